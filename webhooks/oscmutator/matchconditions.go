package oscmutator

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

// MatchConditions returns the CEL conditions under which the seed's API server sends an OperatingSystemConfig of a
// worker pool to the webhook: a reconcile OSC, not being deleted, created or with its spec changed. Whether the
// pool requests a sandbox is only in the Shoot, which CEL cannot read, so every such write of every pool's OSC still
// reaches the webhook; but metadata-only writes (finalizers of the operating system extension, annotations,
// labels), provision OSCs and OSCs being deleted go through while the seed component is down.
func MatchConditions() []admissionregistrationv1.MatchCondition {
	return []admissionregistrationv1.MatchCondition{
		{Name: "reconcile-purpose", Expression: `has(object.spec.purpose) && object.spec.purpose == "reconcile"`},
		{Name: "not-being-deleted", Expression: `!has(object.metadata.deletionTimestamp)`},
		{Name: "spec-changed", Expression: `request.operation == "CREATE" || object.spec != oldObject.spec`},
	}
}
