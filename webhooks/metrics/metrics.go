// Package metrics holds the extension's admission metrics, registered on controller-runtime's metrics registry.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Outcomes of an admission request.
const (
	OutcomeMutated   = "mutated"
	OutcomeUnchanged = "unchanged"
	OutcomeRefused   = "refused"
)

// RuntimeNone is the runtime label of a request that concerns no sandbox runtime, or whose runtime is not known.
const RuntimeNone = "none"

// Refusal reasons that more than one webhook uses.
const (
	// ReasonBadRequest is the reason of a request the webhook cannot read: an unexpected kind, or an object that
	// does not decode.
	ReasonBadRequest = "bad-request"
	// ReasonInvalid is the reason of a request whose object the webhook judges invalid.
	ReasonInvalid = "invalid"
	// ReasonError is the reason of a request the webhook fails to answer because of an internal error.
	ReasonError = "error"
)

// AdmissionRequests counts admission requests by webhook, runtime, outcome and, for refusals, reason. Every label
// value comes from a fixed set, never from the request:
//
//   - pod webhooks (webhook "pod-<mode>"): runtime is the type of the pod's sandbox runtime class, or "none";
//     outcome mutated, unchanged or refused; reasons "bad-request", "error" and the refusal reasons of
//     mutators/pod and validators/pod.
//   - Shoot validators (webhook "shoot-<type>"): runtime is the webhook's runtime type; outcome unchanged (allowed)
//     or refused; reasons "bad-request" (unexpected kind, undecodable Shoot), "invalid" (the Shoot fails
//     validation), "error" (e.g. the CloudProfile cannot be read).
//   - OSC mutator (webhook "osc"): runtime is the sandbox runtime types the OSC's worker pool requests, joined with
//     "+" in the order the extension lists its runtimes (e.g. "gvisor", "kata", "gvisor+kata"), or "none" (the
//     pool requests none, or the request was refused before the Shoot was read); outcome mutated, unchanged or
//     refused; reasons "bad-request" (not an OSC), "cluster" (the Cluster cannot be read or carries no Shoot),
//     "invalid" (the pool's runtime configuration cannot be applied: an invalid providerConfig, or an OSC without
//     containerd configuration). Requests that Gardener's webhook library answers before the mutator runs (an
//     unexpected kind, an undecodable object) are not counted.
var AdmissionRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: "runtime_sandbox",
	Name:      "admission_requests_total",
	Help: "Admission requests answered by the runtime-sandbox webhooks, by webhook, runtime (sandbox runtime type(s) or none), " +
		"outcome (mutated, unchanged, refused) and refusal reason (e.g. bad-request, invalid, error, cluster; empty unless refused).",
}, []string{"webhook", "runtime", "outcome", "reason"})

func init() {
	metrics.Registry.MustRegister(AdmissionRequests)
}

// Mutated counts a request that webhook allowed with a mutation.
func Mutated(webhook, runtime string) {
	AdmissionRequests.WithLabelValues(webhook, runtime, OutcomeMutated, "").Inc()
}

// Unchanged counts a request that webhook allowed without a mutation.
func Unchanged(webhook, runtime string) {
	AdmissionRequests.WithLabelValues(webhook, runtime, OutcomeUnchanged, "").Inc()
}

// Refused counts a request that webhook refused or failed to answer, for reason.
func Refused(webhook, runtime, reason string) {
	AdmissionRequests.WithLabelValues(webhook, runtime, OutcomeRefused, reason).Inc()
}
