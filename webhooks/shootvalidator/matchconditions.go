package shootvalidator

import (
	"encoding/json"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

// MatchConditions returns the CEL conditions under which gardener-apiserver sends a Shoot to a validation webhook:
// its creation, and updates that add or change a worker pool that requests one of types (a new pool, another machine
// type, or other runtimes of those types or their providerConfig), as PoolsToJudge decides in Go. Every other update
// (finalizers, annotations, labels, maintenance such as machine image versions, a Shoot being deleted) is decided in
// the API server and goes through while the admission component is down. Every field is guarded with has():
// workerless Shoots, pools without cri, and absent providerConfigs; an erroring condition would refuse the request.
func MatchConditions(types []string) []admissionregistrationv1.MatchCondition {
	typeList, err := json.Marshal(types)
	if err != nil {
		panic(fmt.Errorf("encoding runtime types %v: %w", types, err)) // a []string always encodes
	}
	// sandboxed(p) is the list of p's container runtimes of the types, with their providerConfig.
	sandboxed := func(p string) string {
		return fmt.Sprintf(`(has(%[1]s.cri) && has(%[1]s.cri.containerRuntimes) ? %[1]s.cri.containerRuntimes.filter(r, r.type in %[2]s) : [])`, p, typeList)
	}
	return []admissionregistrationv1.MatchCondition{{
		Name: "sandbox-pools-changed",
		Expression: `request.operation == "CREATE" || (` +
			`!has(object.metadata.deletionTimestamp) && has(object.spec.provider.workers) && ` +
			`object.spec.provider.workers.exists(w, size(` + sandboxed("w") + `) > 0 && ` +
			`!(has(oldObject.spec.provider.workers) && oldObject.spec.provider.workers.exists(o, ` +
			`o.name == w.name && o.machine.type == w.machine.type && ` + sandboxed("o") + ` == ` + sandboxed("w") + `))))`,
	}}
}
