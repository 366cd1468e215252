package runtimes

import (
	"slices"

	nodev1 "k8s.io/api/node/v1"

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

// OfferedByPool returns, for every worker pool of shoot that offers a sandbox, in pool order, the RuntimeClasses it
// offers. A pool whose providerConfig leaves nothing to apply offers nothing (admission refuses it).
func OfferedByPool(shoot *gardencorev1beta1.Shoot) []PoolClasses {
	var out []PoolClasses
	for i, pool := range shoot.Spec.Provider.Workers {
		if pool.CRI == nil {
			continue
		}
		offered := PoolClasses{Pool: pool.Name}
		for j, cr := range pool.CRI.ContainerRuntimes {
			rt, ok := ByType(cr.Type)
			if !ok {
				continue
			}
			cfg, _ := rt.Decode(cr.ProviderConfig, ProviderConfigPath(i, j))
			if cfg == nil {
				continue
			}
			offered.Classes = append(offered.Classes, cfg.RuntimeClasses()...)
		}
		if len(offered.Classes) > 0 {
			out = append(out, offered)
		}
	}
	return out
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
			if !rt.PodAnnotationAllowed(key) {
				if out == nil {
					out = map[string][]string{}
				}
				out[key] = rt.AllowedPodAnnotations()
			}
		}
	}
	return out
}
