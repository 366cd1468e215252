// Package runtimes lists the sandbox runtimes this extension serves. It is the single place the webhooks ask
// which container runtime types exist; everything specific to one runtime lives in its own sub-package.
package runtimes

import (
	"slices"

	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// Runtime is what the webhooks need to know about one sandbox runtime.
type Runtime interface {
	// Type is the container runtime type a Shoot worker pool names in cri.containerRuntimes[].type.
	Type() string
	// ValidateProviderConfig strictly decodes and validates the providerConfig of one container runtime entry.
	// A nil or empty providerConfig is valid (defaults apply). fldPath is the path of the providerConfig field.
	// It returns admission warnings (e.g. for deprecated forms) and all problems found.
	ValidateProviderConfig(providerConfig *runtime.RawExtension, fldPath *field.Path) (warnings []string, errs field.ErrorList)
	// NodeConfig returns what the nodes of a worker pool with this providerConfig need: containerd plugin entries,
	// files and systemd units. An invalid providerConfig is an error naming fldPath.
	NodeConfig(providerConfig *runtime.RawExtension, fldPath *field.Path) (*node.Config, error)
	// ClassNames returns every RuntimeClass name the runtime can offer, e.g. kata-qemu, kata-clh, kata-fc.
	ClassNames() []string
	// NodeLabels returns the node labels the installer sets, to "true", on a node where the runtime works (and
	// removes where it does not); it may change no other label of its node.
	NodeLabels() []string
	// RuntimeClasses returns the RuntimeClasses a worker pool with this providerConfig offers, in a stable order.
	// An invalid providerConfig is an error naming fldPath.
	RuntimeClasses(providerConfig *runtime.RawExtension, fldPath *field.Path) ([]nodev1.RuntimeClass, error)
}

// all are built once: a runtime holds its decoding scheme, which is safe for concurrent use. The type and class
// lists are derived once too, as the pod webhooks consult them on every request.
var (
	all            = []Runtime{gvisor.New(), kata.New()}
	types, classes = namesOf(all)
	typeOfClass    = classTypes(all)
)

func namesOf(rts []Runtime) (typeNames, classNames []string) {
	for _, r := range rts {
		typeNames = append(typeNames, r.Type())
		classNames = append(classNames, r.ClassNames()...)
	}
	return typeNames, classNames
}

func classTypes(rts []Runtime) map[string]string {
	out := map[string]string{}
	for _, r := range rts {
		for _, c := range r.ClassNames() {
			out[c] = r.Type()
		}
	}
	return out
}

// All returns every sandbox runtime this extension serves, in a stable order.
func All() []Runtime {
	return slices.Clone(all)
}

// Types returns the container runtime types of All.
func Types() []string {
	return slices.Clone(types)
}

// TypeOfClass returns the container runtime type that offers the RuntimeClass name class.
func TypeOfClass(class string) (string, bool) {
	t, ok := typeOfClass[class]
	return t, ok
}

// ClassNames returns every RuntimeClass name a runtime of this extension can offer.
func ClassNames() []string {
	return slices.Clone(classes)
}

// OfferedClasses returns the RuntimeClasses that the worker pools of shoot offer, in pool order, without
// duplicates. Pools with an invalid providerConfig offer nothing (admission refuses them).
func OfferedClasses(shoot *gardencorev1beta1.Shoot) []nodev1.RuntimeClass {
	var out []nodev1.RuntimeClass
	for _, pool := range OfferedByPool(shoot) {
		for _, rc := range pool.Classes {
			if !slices.ContainsFunc(out, func(c nodev1.RuntimeClass) bool { return c.Name == rc.Name }) {
				out = append(out, rc)
			}
		}
	}
	return out
}

// ByType returns the sandbox runtime of a container runtime type.
func ByType(runtimeType string) (Runtime, bool) {
	for _, r := range All() {
		if r.Type() == runtimeType {
			return r, true
		}
	}
	return nil, false
}
