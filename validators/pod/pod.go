// Package pod enforces a namespace's sandbox: with the label runtime.gardener.cloud/sandbox-enforce=<class>, every
// pod of the namespace must run in that RuntimeClass and pass the Pod Security Standards (baseline, or restricted
// with runtime.gardener.cloud/sandbox-enforce-level), evaluated by Kubernetes' own pod-security-admission library.
// It is pure logic over typed objects; the admission wiring lives in webhooks/.
package pod

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// evaluator holds Kubernetes' Pod Security Standards checks; it is safe for concurrent use.
var evaluator = mustEvaluator()

func mustEvaluator() policy.Evaluator {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(fmt.Errorf("building the Pod Security Standards evaluator: %w", err))
	}
	return e
}

// typeOf returns the runtime type of a RuntimeClass, or "".
func typeOf(class string) string {
	t, _ := runtimes.TypeOfClass(class)
	return t
}

// Enforcement is what an enforced namespace demands of its pods.
type Enforcement struct {
	// Namespace is the enforced namespace.
	Namespace string
	// Class is the RuntimeClass its pods must run in, or the runtime type of whose classes they must run in one
	// (label runtime.gardener.cloud/sandbox-enforce).
	Class string
	// Level is the Pod Security Standards level its pods must pass.
	Level apipod.Level
	// Version is the Kubernetes version of the cluster, whose Pod Security Standards apply.
	Version psaapi.Version
}

// Enforce refuses a pod that runs outside e's class or breaks e's Pod Security Standards level, naming every
// problem at once and saying how to comply.
func Enforce(pod *corev1.Pod, e Enforcement) error {
	// What the sandbox does not protect the node from: annotations that reconfigure it, and host access.
	insecure := unsafeAnnotations(pod)
	if violations := Violations(pod, e.Level, e.Version); len(violations) > 0 {
		insecure = append(insecure, fmt.Sprintf("the pod breaks the Pod Security Standards level %q that namespace %s enforces for its sandboxed pods (label %s%s): %s: remove or change these settings, a sandbox does not protect the node from what a pod shares with it",
			e.Level, e.Namespace, apipod.LabelSandboxEnforce, levelLabelHint(e.Level), strings.Join(violations, "; ")))
	}
	outside := classProblem(pod, e)
	switch {
	case outside == "" && len(insecure) == 0:
		return nil
	case outside == "":
		return apipod.Refuse(apipod.ReasonInsecure, "%s", strings.Join(insecure, "; and "))
	default:
		return apipod.Refuse(apipod.ReasonEnforced, "%s", strings.Join(append([]string{outside}, insecure...), "; and "))
	}
}

// RefuseUnknownClass refuses the pods of a namespace whose enforcement label (runtime.gardener.cloud/sandbox-enforce)
// names neither a RuntimeClass nor a runtime type of this extension: no pod can comply.
func RefuseUnknownClass(namespace string) error {
	return apipod.Refuse(apipod.ReasonUnknown, "the label %s of namespace %s names no known runtime class (known: %s; or a runtime type: %s), so no pod can comply; fix the namespace label (%s shows its value)",
		apipod.LabelSandboxEnforce, namespace, strings.Join(runtimes.ClassNames(), ", "), strings.Join(runtimes.Types(), ", "), apipod.ShowLabel(namespace, apipod.LabelSandboxEnforce))
}

// RefuseUnknownLevel refuses the pods of an enforced namespace whose level label
// (runtime.gardener.cloud/sandbox-enforce-level) names no Pod Security Standards level: no pod can comply.
func RefuseUnknownLevel(namespace string) error {
	return apipod.Refuse(apipod.ReasonUnknown, "the label %s of namespace %s names no known level (known: %s; without the label: %s), so no pod can comply; fix the namespace label (%s shows its value)",
		apipod.LabelSandboxEnforceLevel, namespace, strings.Join(apipod.Levels(), ", "), apipod.LevelBaseline, apipod.ShowLabel(namespace, apipod.LabelSandboxEnforceLevel))
}

// levelLabelHint names the level label when it raised the level.
func levelLabelHint(level apipod.Level) string {
	if level == apipod.LevelBaseline {
		return ""
	}
	return fmt.Sprintf(" and %s=%s", apipod.LabelSandboxEnforceLevel, level)
}

// classProblem says why pod runs outside e's class (or, when e names a runtime type, outside the classes of that
// type), and what to change, or returns "".
func classProblem(pod *corev1.Pod, e Enforcement) string {
	name := pod.Spec.RuntimeClassName
	_, isClass := runtimes.TypeOfClass(e.Class)
	isType := !isClass && slices.Contains(runtimes.Types(), e.Class)
	if name != nil && (*name == e.Class || isType && typeOf(*name) == e.Class) {
		return ""
	}
	required := fmt.Sprintf("namespace %s requires runtime class %q (label %s=%s)", e.Namespace, e.Class, apipod.LabelSandboxEnforce, e.Class)
	if isType {
		required = fmt.Sprintf("namespace %s requires a runtime class of %s (label %s=%s)", e.Namespace, e.Class, apipod.LabelSandboxEnforce, e.Class)
	}
	annotations := pod.Annotations
	switch {
	case annotations[apipod.AnnotationSandbox] != "":
		return fmt.Sprintf("%s, but the pod's annotation %s asks for %q: change the annotation to %s: %s",
			required, apipod.AnnotationSandbox, annotations[apipod.AnnotationSandbox], apipod.AnnotationSandbox, e.Class)
	case name != nil && (annotations[apipod.AnnotationUntrustedWorkload] == "true" || annotations[apipod.AnnotationTrustedSandbox] == "false"):
		return fmt.Sprintf("%s, but the pod asks for the cluster's default sandbox by annotation, which is %q here: annotate the pod with %s: %s instead",
			required, *name, apipod.AnnotationSandbox, e.Class)
	case name != nil && isType:
		return fmt.Sprintf("%s, but the pod runs in runtime class %q (its spec.runtimeClassName, or the namespace's default label %s): annotate the pod with %s: %s and leave spec.runtimeClassName unset",
			required, *name, apipod.LabelSandbox, apipod.AnnotationSandbox, e.Class)
	case name != nil:
		return fmt.Sprintf("%s, but the pod runs in runtime class %q (its spec.runtimeClassName, or the namespace's default label %s): set spec.runtimeClassName to %q, or annotate the pod with %s: %s and leave spec.runtimeClassName unset",
			required, *name, apipod.LabelSandbox, e.Class, apipod.AnnotationSandbox, e.Class)
	default:
		return fmt.Sprintf("%s, but the pod asks for no sandbox: annotate the pod with %s: %s, or label the namespace %s=%s to run all its pods in it",
			required, apipod.AnnotationSandbox, e.Class, apipod.LabelSandbox, e.Class)
	}
}

// Violations returns the Pod Security Standards checks of level at version that pod fails, each with what fails
// it, e.g. `hostPath volumes: volume "root"`. It returns nil for a pod that passes.
func Violations(pod *corev1.Pod, level apipod.Level, version psaapi.Version) []string {
	results := evaluator.EvaluatePod(psaapi.LevelVersion{Level: psaapi.Level(level), Version: version}, &pod.ObjectMeta, &pod.Spec)
	var out []string
	for _, r := range results {
		if r.Allowed {
			continue
		}
		reason := r.ForbiddenReason
		if reason == "" {
			reason = policy.UnknownForbiddenReason
		}
		if r.ForbiddenDetail != "" {
			reason += ": " + r.ForbiddenDetail
		}
		out = append(out, reason)
	}
	return out
}

// Warnings returns the admission warnings for a sandboxed pod outside an enforced namespace: that it breaks the Pod
// Security Standards baseline level (the sandbox it asked for does not protect the node from what it shares with
// it), and each annotation a sandbox runtime reads but does not take from pods (the node drops it). It returns nil
// for a pod that passes.
func Warnings(pod *corev1.Pod, version psaapi.Version) []string {
	var out []string
	if violations := Violations(pod, apipod.LevelBaseline, version); len(violations) > 0 {
		class := ""
		if pod.Spec.RuntimeClassName != nil {
			class = fmt.Sprintf(" %q", *pod.Spec.RuntimeClassName)
		}
		out = append(out, fmt.Sprintf("the sandbox%s does not protect the node from what this pod shares with it; it breaks the Pod Security Standards level %q: %s",
			class, apipod.LevelBaseline, strings.Join(violations, "; ")))
	}
	for _, problem := range unsafeAnnotations(pod) {
		out = append(out, problem+"; the node ignores it")
	}
	return out
}

// unsafeAnnotations describes each annotation of pod that a sandbox runtime reads but does not take from pods
// (e.g. Kata's annotations that choose a hypervisor, kernel or host path), with the ones it takes.
func unsafeAnnotations(pod *corev1.Pod) []string {
	unsafe := runtimes.UnsafeAnnotations(pod.Annotations)
	out := make([]string, 0, len(unsafe))
	for _, key := range slices.Sorted(maps.Keys(unsafe)) {
		allowed := "none"
		if len(unsafe[key]) > 0 {
			allowed = strings.Join(unsafe[key], ", ")
		}
		out = append(out, fmt.Sprintf("the pod's annotation %s=%q is not one a sandbox takes from a pod (allowed: %s): remove it", key, pod.Annotations[key], allowed))
	}
	return out
}
