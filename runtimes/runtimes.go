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

// Runtime is what the webhooks and the actuator need to know about one sandbox runtime.
type Runtime interface {
	// Type is the container runtime type a Shoot worker pool names in cri.containerRuntimes[].type.
	Type() string
	// ClassNames returns every RuntimeClass name the runtime can offer, e.g. kata-qemu, kata-clh, kata-fc.
	ClassNames() []string
	// NodeLabels returns the node labels the installer sets, to "true", on a node where the runtime works (and
	// removes where it does not); it may change no other label of its node.
	NodeLabels() []string
	// PodAnnotationPrefix returns the prefix of the runtime's own pod annotations, e.g. io.katacontainers., or ""
	// when it reads none from pods: a pod may carry one of them only if it is on AllowedPodAnnotations.
	PodAnnotationPrefix() string
	// AllowedPodAnnotations returns the runtime's own pod annotations a pod may set, in a stable order.
	AllowedPodAnnotations() []string
	// Architectures returns the machine architectures (Gardener's names, e.g. amd64) whose nodes the runtime's
	// payload and configuration are built for; admission refuses a pool of another architecture.
	Architectures() []string
	// Decode decodes, validates and defaults the providerConfig of one container runtime entry, once per request;
	// nil or empty means the defaults. fldPath is the path of the providerConfig. errs are all problems found, each
	// with its field path: admission refuses them. cfg is what the pool gets, nil when the problems leave nothing to
	// apply; a runtime may return it together with errs for a configuration stored before this extension judged it,
	// which the seed side then applies without what errs name and reports (see runtimes/gvisor).
	Decode(providerConfig *runtime.RawExtension, fldPath *field.Path) (cfg node.PoolConfig, errs field.ErrorList)
}

// Successor is implemented by a runtime that takes shoots over from another Gardener extension:
// PredecessorManagedResources names the ManagedResources that extension deployed into a shoot for a worker pool. On
// the pool's reconcile, the actuator removes those in remove with their objects (waiting until they are gone, before
// it deploys its own installer) and those in release keeping their objects, which its own ManagedResources take
// over.
type Successor interface {
	PredecessorManagedResources(pool string) (remove, release []string)
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

// defaultSandbox is the RuntimeClass that "the cluster's default sandbox" (kata-deploy's and CRI-O's pod
// annotations) means when the cluster offers it (README: "gvisor when offered, else its first Kata class").
var defaultSandbox = gvisor.RuntimeClassName

// DefaultFirst returns the RuntimeClass names offered in the order "the cluster's default sandbox" prefers them: the
// default sandbox first when offered, then the others in their given order (that of the worker pools).
func DefaultFirst(offered []string) []string {
	out := slices.Clone(offered)
	if i := slices.Index(out, defaultSandbox); i > 0 {
		out = slices.Insert(slices.Delete(out, i, i+1), 0, defaultSandbox)
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
// duplicates. Pools whose providerConfig leaves nothing to apply offer nothing (admission refuses them).
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

// PoolPath returns the field path of worker pool i of a Shoot.
func PoolPath(i int) *field.Path {
	return field.NewPath("spec", "provider", "workers").Index(i)
}

// ContainerRuntimePath returns the field path of container runtime entry j of worker pool i of a Shoot.
func ContainerRuntimePath(i, j int) *field.Path {
	return PoolPath(i).Child("cri", "containerRuntimes").Index(j)
}

// ProviderConfigPath returns the field path of the providerConfig of container runtime entry j of worker pool i of
// a Shoot.
func ProviderConfigPath(i, j int) *field.Path {
	return ContainerRuntimePath(i, j).Child("providerConfig")
}

// PoolEntry finds the first container runtime entry of type runtimeType in the worker pool named pool of shoot and
// returns its providerConfig with its field path. ok is false when the Shoot has no such pool or entry.
func PoolEntry(shoot *gardencorev1beta1.Shoot, pool, runtimeType string) (providerConfig *runtime.RawExtension, fldPath *field.Path, ok bool) {
	i := slices.IndexFunc(shoot.Spec.Provider.Workers, func(w gardencorev1beta1.Worker) bool { return w.Name == pool })
	if i < 0 || shoot.Spec.Provider.Workers[i].CRI == nil {
		return nil, nil, false
	}
	entries := shoot.Spec.Provider.Workers[i].CRI.ContainerRuntimes
	j := slices.IndexFunc(entries, func(cr gardencorev1beta1.ContainerRuntime) bool { return cr.Type == runtimeType })
	if j < 0 {
		return nil, nil, false
	}
	return entries[j].ProviderConfig, ProviderConfigPath(i, j), true
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
