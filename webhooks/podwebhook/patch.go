package podwebhook

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
)

// patchOf returns the JSON patch that turns original into pod. The pod mutators change only spec.runtimeClassName and
// spec.nodeSelector, so the patch is built from these two fields directly: encoding both pods and diffing them (what
// admission.PatchResponseFromRaw does) took a third of the seed component's CPU under pod load (BENCHMARKS.md). A
// mutation that changed anything else falls back to that generic diff, so the patch is always complete.
func patchOf(original, pod *corev1.Pod) ([]jsonpatch.JsonPatchOperation, error) {
	onlyOurs := original.DeepCopy()
	onlyOurs.Spec.RuntimeClassName = pod.Spec.RuntimeClassName
	onlyOurs.Spec.NodeSelector = pod.Spec.NodeSelector
	if !apiequality.Semantic.DeepEqual(onlyOurs, pod) {
		return genericPatch(original, pod)
	}

	if pod.Spec.RuntimeClassName == nil || dropsKey(original.Spec.NodeSelector, pod.Spec.NodeSelector) {
		// Not the mutators' shape (they set a class and add to the node selector).
		return genericPatch(original, pod)
	}

	var ops []jsonpatch.JsonPatchOperation
	if original.Spec.RuntimeClassName == nil || *original.Spec.RuntimeClassName != *pod.Spec.RuntimeClassName {
		// "add" replaces a member that exists.
		ops = append(ops, jsonpatch.NewOperation("add", "/spec/runtimeClassName", *pod.Spec.RuntimeClassName))
	}
	if len(original.Spec.NodeSelector) == 0 {
		if len(pod.Spec.NodeSelector) > 0 {
			ops = append(ops, jsonpatch.NewOperation("add", "/spec/nodeSelector", pod.Spec.NodeSelector))
		}
		return ops, nil
	}
	for _, key := range slices.Sorted(maps.Keys(pod.Spec.NodeSelector)) {
		if value, ok := original.Spec.NodeSelector[key]; !ok || value != pod.Spec.NodeSelector[key] {
			ops = append(ops, jsonpatch.NewOperation("add", "/spec/nodeSelector/"+escapePointer(key), pod.Spec.NodeSelector[key]))
		}
	}
	return ops, nil
}

// genericPatch diffs the encodings of both pods; both are encoded from the typed pod, so that the patch holds only
// the mutation.
func genericPatch(original, pod *corev1.Pod) ([]jsonpatch.JsonPatchOperation, error) {
	before, err := json.Marshal(original)
	if err != nil {
		return nil, err
	}
	after, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	return jsonpatch.CreatePatch(before, after)
}

// dropsKey tells whether after lacks a key of before.
func dropsKey(before, after map[string]string) bool {
	for key := range before {
		if _, kept := after[key]; !kept {
			return true
		}
	}
	return false
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}
