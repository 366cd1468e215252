package runtimes

import (
	"cmp"
	"slices"
	"strings"

	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// PoolClasses are the RuntimeClasses one worker pool offers.
type PoolClasses struct {
	// Pool is the worker pool's name.
	Pool string
	// Classes are the RuntimeClasses its sandbox runtimes offer.
	Classes []nodev1.RuntimeClass
}

// PoolRuntime is one container runtime of a worker pool, as a seed's ContainerRuntime stands for it.
type PoolRuntime struct {
	// Pool is the worker pool's name.
	Pool string
	// Type is the container runtime type.
	Type string
	// ProviderConfig is the entry's providerConfig, nil for the defaults.
	ProviderConfig *runtime.RawExtension
}

// OfferedByPool returns the RuntimeClasses that the worker pools of shoot (nil for none) offer, by pool: every pool
// of shoot that offers a sandbox, in pool order, and then, for a pool and type that shoot does not request (a Shoot
// that lags behind the ContainerRuntimes), the classes of entries, in pool name and runtime order. The result
// depends only on shoot and the set of entries, not on their order. A pool whose providerConfig leaves nothing to
// apply offers nothing (admission refuses it).
func OfferedByPool(shoot *gardencorev1beta1.Shoot, entries ...PoolRuntime) []PoolClasses {
	var out []PoolClasses
	requested := map[[2]string]bool{}
	offer := func(pool string, rt Runtime, providerConfig *runtime.RawExtension, fldPath *field.Path) {
		requested[[2]string{pool, rt.Type()}] = true
		cfg, _ := rt.Decode(providerConfig, fldPath)
		if cfg == nil {
			return
		}
		i := slices.IndexFunc(out, func(p PoolClasses) bool { return p.Pool == pool })
		if i < 0 {
			out = append(out, PoolClasses{Pool: pool})
			i = len(out) - 1
		}
		out[i].Classes = append(out[i].Classes, cfg.RuntimeClasses()...)
	}
	if shoot != nil {
		for i, pool := range shoot.Spec.Provider.Workers {
			if pool.CRI == nil {
				continue
			}
			for j, cr := range pool.CRI.ContainerRuntimes {
				if rt, ok := ByType(cr.Type); ok {
					offer(pool.Name, rt, cr.ProviderConfig, ProviderConfigPath(i, j))
				}
			}
		}
	}
	entries = slices.Clone(entries)
	slices.SortStableFunc(entries, func(a, b PoolRuntime) int {
		return cmp.Or(cmp.Compare(a.Pool, b.Pool), cmp.Compare(slices.Index(types, a.Type), slices.Index(types, b.Type)))
	})
	for _, e := range entries {
		if rt, ok := ByType(e.Type); ok && !requested[[2]string{e.Pool, e.Type}] {
			offer(e.Pool, rt, e.ProviderConfig, field.NewPath("spec", "providerConfig"))
		}
	}
	return slices.DeleteFunc(out, func(p PoolClasses) bool { return len(p.Classes) == 0 })
}

// PoolNodeLabels returns the labels that Gardener and this extension put on a node of pool where the runtimes of the
// given RuntimeClass names work: the pool label (unless pool is empty), containerruntime.worker.gardener.cloud/<type>
// and each runtime's NodeLabels, all "true". Together with IsKnownNodeLabel, it tells whether a pod's node selectors
// can be met on such a node.
func PoolNodeLabels(pool string, classes []string) map[string]string {
	labels := map[string]string{}
	if pool != "" {
		labels[v1beta1constants.LabelWorkerPool] = pool
	}
	for _, class := range classes {
		rt, ok := ByType(typeOfClass[class])
		if !ok {
			continue
		}
		labels[node.ContainerRuntimeLabel(rt.Type())] = "true"
		for _, l := range rt.NodeLabels() {
			labels[l] = "true"
		}
	}
	return labels
}

// IsKnownNodeLabel tells whether key is a node label whose value on the nodes of sandbox pools PoolNodeLabels knows:
// the pool label, and the container runtime and ready labels of every runtime. Other labels (the users' own) are
// unknown: whether a node has them is not this extension's to say.
func IsKnownNodeLabel(key string) bool {
	return key == v1beta1constants.LabelWorkerPool || slices.Contains(knownNodeLabels, key)
}

// KnownNodeLabels returns the keys IsKnownNodeLabel knows, the pool label first.
func KnownNodeLabels() []string {
	return append([]string{v1beta1constants.LabelWorkerPool}, knownNodeLabels...)
}

// knownNodeLabels are the runtimes' node labels, derived once (the pod webhooks consult them on every request).
var knownNodeLabels = func() []string {
	var out []string
	for _, rt := range all {
		out = append(out, node.ContainerRuntimeLabel(rt.Type()))
		out = append(out, rt.NodeLabels()...)
	}
	return out
}()

// Names returns every name that may choose a sandbox: the RuntimeClass names, then the runtime types that are not a
// class name too (gvisor is both).
func Names() []string {
	out := ClassNames()
	for _, t := range types {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// UnsafeAnnotations returns the pod annotation keys of annotations that a runtime reads but does not allow pods to
// set (e.g. Kata's io.katacontainers.* outside its allowlist), sorted, each with the annotations of its runtime a
// pod may set.
func UnsafeAnnotations(annotations map[string]string) map[string][]string {
	var out map[string][]string
	for key := range annotations {
		for _, rt := range all {
			if !PodAnnotationAllowed(rt, key) {
				if out == nil {
					out = map[string][]string{}
				}
				out[key] = rt.AllowedPodAnnotations()
			}
		}
	}
	return out
}

// PodAnnotationAllowed tells whether a pod may carry the annotation key as far as rt is concerned: any annotation
// outside rt's own (PodAnnotationPrefix), and those of its own on its allowlist.
func PodAnnotationAllowed(rt Runtime, key string) bool {
	prefix := rt.PodAnnotationPrefix()
	return prefix == "" || !strings.HasPrefix(key, prefix) || slices.Contains(rt.AllowedPodAnnotations(), key)
}
