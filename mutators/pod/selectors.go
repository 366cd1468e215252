package pod

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// requiredAffinityPath is where a pod's required node affinity terms are.
const requiredAffinityPath = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"

// unmetOnAll returns "" when the pod's node selector and required node affinity can be met by a node with one of
// the label sets, and otherwise the requirement that fails, as the user wrote it (e.g. `spec.nodeSelector
// katacontainers.io/kata-runtime=true`). Only labels whose values this extension knows (runtimes.IsKnownNodeLabel:
// pool, container runtime and ready labels) are judged; a requirement on any other label is assumed to be met.
func unmetOnAll(pod *corev1.Pod, nodeLabels []map[string]string) string {
	first := ""
	for _, labels := range nodeLabels {
		unmet := unmetBy(pod, labels)
		if unmet == "" {
			return ""
		}
		if first == "" {
			first = unmet
		}
	}
	return first
}

// unmetBy returns the first requirement of the pod's node selector and required node affinity on a known label
// that a node with labels does not meet, or "".
func unmetBy(pod *corev1.Pod, labels map[string]string) string {
	for _, key := range sortedKeys(pod.Spec.NodeSelector) {
		value := pod.Spec.NodeSelector[key]
		if runtimes.IsKnownNodeLabel(key) && labels[key] != value {
			return fmt.Sprintf("spec.nodeSelector %s=%s", key, value)
		}
	}
	affinity := pod.Spec.Affinity
	if affinity == nil || affinity.NodeAffinity == nil || affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	// The terms are ORed: one term whose known requirements the node meets is enough.
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: labels}}
	first := ""
	for i, term := range affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		unmet := unmetTerm(term, node)
		if unmet == "" {
			return ""
		}
		if first == "" {
			first = fmt.Sprintf("%s[%d] requirement %s", requiredAffinityPath, i, unmet)
		}
	}
	return first
}

// unmetTerm returns the first requirement on a known label of a node selector term that node does not meet, or "".
// A requirement that cannot be read (e.g. Gt on a value that is no number) counts as unmet.
func unmetTerm(term corev1.NodeSelectorTerm, node *corev1.Node) string {
	for _, req := range term.MatchExpressions {
		if !runtimes.IsKnownNodeLabel(req.Key) {
			continue
		}
		selector := nodeaffinity.NewLazyErrorNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{req},
		}}})
		if ok, err := selector.Match(node); !ok || err != nil {
			return describe(req)
		}
	}
	return ""
}

// describe renders a node selector requirement as the user wrote it, e.g. `katacontainers.io/kata-runtime In [true]`.
func describe(req corev1.NodeSelectorRequirement) string {
	if len(req.Values) == 0 {
		return fmt.Sprintf("%s %s", req.Key, req.Operator)
	}
	return fmt.Sprintf("%s %s [%s]", req.Key, req.Operator, strings.Join(req.Values, ", "))
}
