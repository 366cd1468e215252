// Package pod enforces a namespace's sandbox: with the label runtime.gardener.cloud/sandbox-enforce=<class>, every
// pod of the namespace must run in that RuntimeClass. It is pure logic over typed objects; the admission wiring
// lives in webhooks/.
package pod

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
)

// LabelSandboxEnforce on a namespace names the RuntimeClass every pod of the namespace must run in.
const LabelSandboxEnforce = "runtime.gardener.cloud/sandbox-enforce"

// Enforce refuses a pod of namespace that would run outside class, saying how to comply.
func Enforce(pod *corev1.Pod, namespace, class string) error {
	name := pod.Spec.RuntimeClassName
	if name != nil && *name == class {
		return nil
	}
	got := "no spec.runtimeClassName"
	if name != nil {
		got = fmt.Sprintf("spec.runtimeClassName %q", *name)
	}
	return &mutatorpod.Refusal{Reason: "enforced", Message: fmt.Sprintf("namespace %s requires runtime class %q (label %s), but the pod has %s: annotate the pod with %s: %s, or label the namespace %s=%s",
		namespace, class, LabelSandboxEnforce, got, mutatorpod.AnnotationSandbox, class, mutatorpod.LabelSandbox, class)}
}
