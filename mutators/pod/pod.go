// Package pod defaults pods to a sandbox runtime: an annotation (or a namespace default) names a RuntimeClass or
// a runtime type, and the pod gets spec.runtimeClassName and the node selector of the pools that offer it. It is
// pure logic over typed objects; the admission wiring lives in webhooks/.
package pod

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// Offer is what the cluster offers: its RuntimeClass names in the order of its worker pools, and the pools that
// offer each.
type Offer struct {
	// Classes are the RuntimeClass names the cluster's worker pools offer.
	Classes []string
	// Pools are the worker pools that offer each class. A class without pools here is offered by pools the webhook
	// does not know by name (a webhook path built before pools travelled): only its runtime's node labels are known.
	Pools map[string][]string
}

// OfferOf returns the offer of the given worker pools: their classes in pool order, without duplicates, and the
// pools of each class.
func OfferOf(pools ...runtimes.PoolClasses) Offer {
	var offer Offer
	for _, pool := range pools {
		for _, rc := range pool.Classes {
			if !slices.Contains(offer.Classes, rc.Name) {
				offer.Classes = append(offer.Classes, rc.Name)
			}
			if offer.Pools == nil {
				offer.Pools = map[string][]string{}
			}
			if !slices.Contains(offer.Pools[rc.Name], pool.Pool) {
				offer.Pools[rc.Name] = append(offer.Pools[rc.Name], pool.Pool)
			}
		}
	}
	return offer
}

func (o Offer) String() string {
	if len(o.Classes) == 0 {
		return "none"
	}
	return strings.Join(o.Classes, ", ")
}

// Defaults returns the offered classes in the order "the default sandbox" prefers them (runtimes.DefaultFirst).
func (o Offer) Defaults() []string {
	return runtimes.DefaultFirst(o.Classes)
}

// Candidates returns the offered classes that satisfy name, a RuntimeClass or a runtime type, preferred first; nil
// when the offer has none.
func (o Offer) Candidates(name string) []string {
	if slices.Contains(runtimes.Types(), name) {
		return o.ofType(name)
	}
	if slices.Contains(o.Classes, name) {
		return []string{name}
	}
	return nil
}

// WithDefaults returns candidates followed by the offered classes they lack, in the order of Defaults: the classes
// that may serve a pod for which a namespace's default is only a preference.
func (o Offer) WithDefaults(candidates []string) []string {
	out := slices.Clone(candidates)
	for _, class := range o.Defaults() {
		if !slices.Contains(out, class) {
			out = append(out, class)
		}
	}
	return out
}

// ofType returns the offered classes of a runtime type, in offer order.
func (o Offer) ofType(runtimeType string) []string {
	var out []string
	for _, class := range o.Classes {
		if t, _ := runtimes.TypeOfClass(class); t == runtimeType {
			out = append(out, class)
		}
	}
	return out
}

// NodeLabels returns the known labels of the nodes that can run class: one label set per pool that offers it.
func (o Offer) NodeLabels(class string) []map[string]string {
	pools := o.Pools[class]
	if len(pools) == 0 {
		return []map[string]string{runtimes.PoolNodeLabels("", []string{class})}
	}
	out := make([]map[string]string, 0, len(pools))
	for _, pool := range pools {
		var classes []string
		for _, c := range o.Classes {
			if slices.Contains(o.Pools[c], pool) {
				classes = append(classes, c)
			}
		}
		out = append(out, runtimes.PoolNodeLabels(pool, classes))
	}
	return out
}

// AsksForSandbox tells whether a pod's annotations ask for a sandbox: the sandbox annotation with a value, or
// kata-deploy's or CRI-O's annotation with its "untrusted" value.
func AsksForSandbox(pod *corev1.Pod) bool {
	a := pod.Annotations
	return a[apipod.AnnotationSandbox] != "" || a[apipod.AnnotationUntrustedWorkload] == "true" || a[apipod.AnnotationTrustedSandbox] == "false"
}

// RefuseUnknownDefault refuses the pods of a namespace whose default label (runtime.gardener.cloud/sandbox) names
// neither a RuntimeClass nor a runtime type of this extension.
func RefuseUnknownDefault(namespace string) error {
	return apipod.Refuse(apipod.ReasonUnknown, "the label %s of namespace %s names no known runtime class (known: %s; or a runtime type: %s); fix the namespace label (%s shows its value), or choose a sandbox in the pod with the annotation %s",
		apipod.LabelSandbox, namespace, strings.Join(runtimes.ClassNames(), ", "), strings.Join(runtimes.Types(), ", "), apipod.ShowLabel(namespace, apipod.LabelSandbox), apipod.AnnotationSandbox)
}

// request is what asks a pod into a sandbox.
type request struct {
	// source names what the user wrote, e.g. `annotation runtime.gardener.cloud/sandbox=gvisor`.
	source string
	// asks says what source asks for, e.g. `runtime type "kata"` or `the cluster's default sandbox`.
	asks string
	// candidates are the classes that satisfy the request, preferred first.
	candidates []string
	// fallback tells whether classes outside candidates may serve a pod that the candidates' nodes cannot run (a
	// namespace's default yields to a pod's node selectors that choose another sandbox).
	fallback bool
	// fix says what to change when no candidate can run the pod.
	fix string
}

// CheckAnnotations refuses annotations that look like a request for a sandbox but are none, so that a typo never
// silently means "no sandbox": a key under runtime.gardener.cloud/ this extension does not define, an empty
// sandbox annotation, and kata-deploy's or CRI-O's annotation with a value that is neither of its two spellings.
func CheckAnnotations(pod *corev1.Pod) error {
	for _, key := range sortedKeys(pod.Annotations) {
		value := pod.Annotations[key]
		switch {
		case key == apipod.AnnotationSandbox && value == "":
			return apipod.Refuse(apipod.ReasonInvalid, `the pod's annotation %s is empty: name a runtime class (%s) or a runtime type (%s), or remove the annotation`,
				key, strings.Join(runtimes.ClassNames(), ", "), strings.Join(runtimes.Types(), ", "))
		case key != apipod.AnnotationSandbox && strings.HasPrefix(key, apipod.AnnotationPrefix):
			return apipod.Refuse(apipod.ReasonInvalid, `the pod's annotation %s=%q is not one this cluster's sandboxes know: the only annotation under %s is %s (a runtime class or type); fix the key`,
				key, value, apipod.AnnotationPrefix, apipod.AnnotationSandbox)
		case key == apipod.AnnotationUntrustedWorkload && value != "true" && value != "false":
			return apipod.Refuse(apipod.ReasonInvalid, `the pod's annotation %s=%q is neither "true" (run the pod in the default sandbox) nor "false" (no sandbox); write exactly one of them`, key, value)
		case key == apipod.AnnotationTrustedSandbox && value != "true" && value != "false":
			return apipod.Refuse(apipod.ReasonInvalid, `the pod's annotation %s=%q is neither "false" (run the pod in the default sandbox) nor "true" (no sandbox); write exactly one of them`, key, value)
		}
	}
	return nil
}

// annotationRequest returns what the pod's annotations ask for, or nil when they ask for nothing. An unknown name
// or one the cluster does not offer is refused, saying what is known and what is offered.
func annotationRequest(pod *corev1.Pod, offer Offer) (*request, error) {
	annotations := pod.Annotations
	if name := annotations[apipod.AnnotationSandbox]; name != "" {
		source := fmt.Sprintf("annotation %s=%s", apipod.AnnotationSandbox, name)
		candidates, err := resolve(name, offer, source)
		if err != nil {
			return nil, err
		}
		return &request{source: source, asks: asked(name), candidates: candidates, fix: "change the annotation " + apipod.AnnotationSandbox}, nil
	}
	var source string
	switch {
	case annotations[apipod.AnnotationUntrustedWorkload] == "true":
		source = fmt.Sprintf("annotation %s=true", apipod.AnnotationUntrustedWorkload)
	case annotations[apipod.AnnotationTrustedSandbox] == "false":
		source = fmt.Sprintf("annotation %s=false", apipod.AnnotationTrustedSandbox)
	default:
		return nil, nil
	}
	// kata-deploy's annotations ask for any sandbox: a pod that names an offered one itself is already sandboxed.
	if name := pod.Spec.RuntimeClassName; name != nil && slices.Contains(offer.Classes, *name) {
		return &request{source: source, asks: "a sandbox", candidates: []string{*name}, fix: "change spec.runtimeClassName"}, nil
	}
	if len(offer.Classes) == 0 {
		return nil, apipod.Refuse(apipod.ReasonNotOffered, "the pod asks for a sandbox (%s), but no worker pool of this cluster offers one: remove the annotation, or ask the cluster's owner for a worker pool with %s",
			source, strings.Join(runtimes.Types(), " or "))
	}
	return &request{source: source, asks: "the cluster's default sandbox", candidates: offer.Defaults(), fix: "annotate the pod with " + apipod.AnnotationSandbox + " naming a sandbox whose nodes it selects"}, nil
}

// resolve turns a RuntimeClass name or runtime type into the offered classes that satisfy it.
func resolve(name string, offer Offer, source string) ([]string, error) {
	if slices.Contains(runtimes.Types(), name) {
		classes := offer.Candidates(name)
		if len(classes) == 0 {
			return nil, apipod.Refuse(apipod.ReasonNotOffered, "%s asks for %s, but no worker pool of this cluster offers %s; offered runtime classes: %s", source, name, name, offer)
		}
		return classes, nil
	}
	if _, known := runtimes.TypeOfClass(name); !known {
		return nil, apipod.Refuse(apipod.ReasonUnknown, "%s names the unknown sandbox %q; known: %s (or a runtime type: %s); offered here: %s",
			source, name, strings.Join(runtimes.ClassNames(), ", "), strings.Join(runtimes.Types(), ", "), offer)
	}
	if !slices.Contains(offer.Classes, name) {
		return nil, apipod.Refuse(apipod.ReasonNotOffered, "%s asks for runtime class %q, but no worker pool of this cluster offers it; offered runtime classes: %s", source, name, offer)
	}
	return []string{name}, nil
}

// apply puts the pod into the first class of req whose nodes can run it: spec.runtimeClassName and the node
// selector of the pools whose runtime offers it. A pod that names another runtime class, or whose node selectors or
// required node affinity no node of the candidates' pools meets, is refused with what to change.
func apply(pod *corev1.Pod, req *request, offer Offer) error {
	candidates := req.candidates
	if name := pod.Spec.RuntimeClassName; name != nil {
		if !slices.Contains(candidates, *name) {
			return apipod.Refuse(apipod.ReasonConflict, "%s asks for runtime class %q, but the pod sets spec.runtimeClassName %q: remove spec.runtimeClassName or %s",
				req.source, candidates[0], *name, req.fix)
		}
		candidates = []string{*name}
	} else if req.fallback {
		candidates = offer.WithDefaults(candidates)
	}

	var firstUnmet string
	for _, class := range candidates {
		unmet := unmetOnAll(pod, offer.NodeLabels(class))
		if unmet == "" {
			return setClass(pod, class)
		}
		if firstUnmet == "" {
			firstUnmet = unmet
		}
	}
	if len(req.candidates) == 1 && !req.fallback {
		return apipod.Refuse(apipod.ReasonConflict, "%s asks for runtime class %q, but the pod's %s matches no node that runs it%s, so the pod would stay Pending: remove that selector, or %s",
			req.source, req.candidates[0], firstUnmet, offer.poolsOf(req.candidates), req.fix)
	}
	return apipod.Refuse(apipod.ReasonConflict, "%s asks for %s, but the pod's %s matches no node of the worker pools that offer %s%s, so the pod would stay Pending: remove that selector, or %s",
		req.source, req.asks, firstUnmet, strings.Join(candidates, ", "), offer.poolsOf(candidates), req.fix)
}

// poolsOf names the worker pools that offer any of classes, e.g. ` (worker pools gvisor, kata)`, or "" when the
// offer does not know them.
func (o Offer) poolsOf(classes []string) string {
	var pools []string
	for _, class := range classes {
		for _, pool := range o.Pools[class] {
			if !slices.Contains(pools, pool) {
				pools = append(pools, pool)
			}
		}
	}
	if len(pools) == 0 {
		return ""
	}
	return fmt.Sprintf(" (worker pools %s)", strings.Join(pools, ", "))
}

// asked describes what a sandbox name asks for: a runtime type (its classes) or a runtime class.
func asked(name string) string {
	if slices.Contains(runtimes.Types(), name) {
		if _, isClass := runtimes.TypeOfClass(name); !isClass {
			return fmt.Sprintf("runtime type %q", name)
		}
	}
	return fmt.Sprintf("runtime class %q", name)
}

// setClass sets the pod's runtime class and the node selector of its runtime type.
func setClass(pod *corev1.Pod, class string) error {
	runtimeType, ok := runtimes.TypeOfClass(class)
	if !ok {
		return apipod.Refuse(apipod.ReasonUnknown, "unknown runtime class %q", class)
	}
	pod.Spec.RuntimeClassName = &class
	if pod.Spec.NodeSelector == nil {
		pod.Spec.NodeSelector = map[string]string{}
	}
	pod.Spec.NodeSelector[node.ContainerRuntimeLabel(runtimeType)] = "true"
	return nil
}

// DefaultAnnotated applies the class a pod's annotations ask for; a pod that asks for nothing is left unchanged.
// Annotations that look like a request but are none are refused (see CheckAnnotations).
func DefaultAnnotated(pod *corev1.Pod, offer Offer) error {
	if err := CheckAnnotations(pod); err != nil {
		return err
	}
	req, err := annotationRequest(pod, offer)
	if err != nil || req == nil {
		return err
	}
	return apply(pod, req, offer)
}

// DefaultFromNamespace applies the namespace's default (label runtime.gardener.cloud/sandbox=name, a RuntimeClass or
// a runtime type) to a pod that neither asks for a sandbox itself (its annotation wins) nor sets
// spec.runtimeClassName (an explicit choice is not overridden by a default; a namespace that must not allow it uses
// enforcement). A pod whose node selectors choose another sandbox (e.g. kata-deploy's
// katacontainers.io/kata-runtime=true in a namespace whose default is gvisor) gets the first class whose nodes it
// selects.
func DefaultFromNamespace(pod *corev1.Pod, name string, offer Offer) error {
	if AsksForSandbox(pod) || pod.Spec.RuntimeClassName != nil {
		return nil
	}
	source := fmt.Sprintf("namespace label %s=%s", apipod.LabelSandbox, name)
	candidates, err := resolve(name, offer, source)
	if err != nil {
		var refusal *apipod.Refusal
		if asRefusal(err, &refusal) {
			refusal.Message += "; fix the namespace label"
		}
		return err
	}
	return apply(pod, &request{source: source, asks: asked(name), candidates: candidates, fallback: true, fix: "annotate the pod with " + apipod.AnnotationSandbox + " naming a sandbox whose nodes it selects"}, offer)
}

func asRefusal(err error, target **apipod.Refusal) bool {
	r, ok := err.(*apipod.Refusal)
	if ok {
		*target = r
	}
	return ok
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
