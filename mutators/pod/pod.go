// Package pod defaults pods to a sandbox runtime: an annotation (or a namespace default) names a RuntimeClass or
// a runtime type, and the pod gets spec.runtimeClassName and the node selector of the pools that offer it. It is
// pure logic over typed objects; the admission wiring lives in webhooks/.
package pod

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// Offer is what the cluster offers: its RuntimeClass names, in the order of its worker pools.
type Offer struct {
	// Classes are the RuntimeClass names the cluster's worker pools offer.
	Classes []string
}

// DefaultClass is the class of "the default sandbox": gvisor when offered, else the first offered class.
func (o Offer) DefaultClass() (string, bool) {
	if slices.Contains(o.Classes, gvisor.RuntimeClassName) {
		return gvisor.RuntimeClassName, true
	}
	if len(o.Classes) > 0 {
		return o.Classes[0], true
	}
	return "", false
}

func (o Offer) String() string {
	if len(o.Classes) == 0 {
		return "none"
	}
	return strings.Join(o.Classes, ", ")
}

// AsksForSandbox tells whether a pod's annotations ask for a sandbox (the same condition the shoot's webhook
// configuration evaluates in CEL before calling the annotation webhook).
func AsksForSandbox(pod *corev1.Pod) bool {
	a := pod.Annotations
	return a[apipod.AnnotationSandbox] != "" || a[apipod.AnnotationUntrustedWorkload] == "true" || a[apipod.AnnotationTrustedSandbox] == "false"
}

// OfferOf returns the offer of the given RuntimeClasses: their names in order, without duplicates.
func OfferOf(classes ...[]nodev1.RuntimeClass) Offer {
	var offer Offer
	for _, list := range classes {
		for _, rc := range list {
			if !slices.Contains(offer.Classes, rc.Name) {
				offer.Classes = append(offer.Classes, rc.Name)
			}
		}
	}
	return offer
}

// Requested returns the RuntimeClass a pod's annotations ask for and which annotation asked ("" when the pod asks
// for nothing). A runtime type resolves to the cluster's first class of that type; kata-deploy's annotations to
// the default sandbox. An unknown name or a class the cluster does not offer is an error that says what is known
// and what is offered.
func Requested(pod *corev1.Pod, offer Offer) (class, source string, err error) {
	annotations := pod.Annotations
	switch {
	case annotations[apipod.AnnotationSandbox] != "":
		source = "annotation " + apipod.AnnotationSandbox
		class, err = resolve(annotations[apipod.AnnotationSandbox], offer, source)
		return class, source, err
	case annotations[apipod.AnnotationUntrustedWorkload] == "true":
		source = fmt.Sprintf("annotation %s=true", apipod.AnnotationUntrustedWorkload)
	case annotations[apipod.AnnotationTrustedSandbox] == "false":
		source = fmt.Sprintf("annotation %s=false", apipod.AnnotationTrustedSandbox)
	default:
		return "", "", nil
	}
	// kata-deploy's annotations ask for any sandbox: a pod that names an offered one itself is already sandboxed.
	if name := pod.Spec.RuntimeClassName; name != nil && slices.Contains(offer.Classes, *name) {
		return *name, source, nil
	}
	class, ok := offer.DefaultClass()
	if !ok {
		return "", source, apipod.Refuse(apipod.ReasonNotOffered, "the pod asks for a sandbox (%s), but no worker pool of this cluster offers one: remove the annotation, or ask the cluster's owner for a worker pool with gvisor or kata", source)
	}
	return class, source, nil
}

// resolve turns a RuntimeClass name or runtime type into an offered RuntimeClass name.
func resolve(name string, offer Offer, source string) (string, error) {
	if slices.Contains(runtimes.Types(), name) {
		for _, class := range offer.Classes {
			if t, _ := runtimes.TypeOfClass(class); t == name {
				return class, nil
			}
		}
		return "", apipod.Refuse(apipod.ReasonNotOffered, "%s asks for %q, but no worker pool of this cluster offers %s; offered runtime classes: %s", source, name, name, offer)
	}
	if _, known := runtimes.TypeOfClass(name); !known {
		return "", apipod.Refuse(apipod.ReasonUnknown, "%s names the unknown sandbox %q; known: %s (or a runtime type: %s); offered here: %s",
			source, name, strings.Join(runtimes.ClassNames(), ", "), strings.Join(runtimes.Types(), ", "), offer)
	}
	if !slices.Contains(offer.Classes, name) {
		return "", apipod.Refuse(apipod.ReasonNotOffered, "%s asks for runtime class %q, but no worker pool of this cluster offers it; offered runtime classes: %s", source, name, offer)
	}
	return name, nil
}

// Apply puts the pod into class: spec.runtimeClassName and the node selector of the pools whose runtime offers
// it. A pod that names another runtime class or whose node selector contradicts is refused with what to change;
// source says who asked for class.
func Apply(pod *corev1.Pod, class, source string) error {
	runtimeType, ok := runtimes.TypeOfClass(class)
	if !ok {
		return apipod.Refuse(apipod.ReasonUnknown, "%s names the unknown runtime class %q", source, class)
	}
	if name := pod.Spec.RuntimeClassName; name != nil && *name != class {
		return apipod.Refuse(apipod.ReasonConflict, "%s asks for runtime class %q, but the pod sets spec.runtimeClassName %q: remove spec.runtimeClassName or change the %s", source, class, *name, source)
	}
	key := node.ContainerRuntimeLabel(runtimeType)
	if value, set := pod.Spec.NodeSelector[key]; set && value != "true" {
		return apipod.Refuse(apipod.ReasonConflict, "%s asks for runtime class %q, which runs only on nodes with %s=true, but the pod's spec.nodeSelector sets %s=%q: remove that node selector", source, class, key, key, value)
	}
	pod.Spec.RuntimeClassName = &class
	if pod.Spec.NodeSelector == nil {
		pod.Spec.NodeSelector = map[string]string{}
	}
	pod.Spec.NodeSelector[key] = "true"
	return nil
}

// DefaultAnnotated applies the class a pod's annotations ask for; a pod that asks for nothing is left unchanged.
func DefaultAnnotated(pod *corev1.Pod, offer Offer) error {
	class, source, err := Requested(pod, offer)
	if err != nil || class == "" {
		return err
	}
	return Apply(pod, class, source)
}

// DefaultFromNamespace applies the namespace's default class (label runtime.gardener.cloud/sandbox) to a pod that
// neither asks for a sandbox itself (its annotation wins) nor sets spec.runtimeClassName (an explicit choice is
// not overridden by a default; a namespace that must not allow it uses enforcement).
func DefaultFromNamespace(pod *corev1.Pod, class string, offer Offer) error {
	if AsksForSandbox(pod) || pod.Spec.RuntimeClassName != nil {
		return nil
	}
	source := fmt.Sprintf("namespace label %s=%s", apipod.LabelSandbox, class)
	if !slices.Contains(offer.Classes, class) {
		return apipod.Refuse(apipod.ReasonNotOffered, "%s names runtime class %q, but no worker pool of this cluster offers it; offered runtime classes: %s; fix the namespace label", source, class, offer)
	}
	return Apply(pod, class, source)
}
