// Package osc mutates a worker pool's OperatingSystemConfig so that every node of the pool gets what a sandbox
// runtime needs: containerd runtime handlers, files and systemd units. It is pure logic over typed objects; the
// admission wiring lives in webhooks/.
package osc

import (
	"encoding/json"
	"fmt"
	"slices"

	apiequality "k8s.io/apimachinery/pkg/api/equality"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// IsPoolReconcileOSC tells whether osc is one this extension may mutate: a reconcile OSC of a worker pool (label
// worker.gardener.cloud/pool). Whether the pool requests a sandbox runtime is read from the Shoot: gardenlet does
// not label OSCs with their container runtimes (only nodes carry containerruntime.worker.gardener.cloud/<type>).
func IsPoolReconcileOSC(osc *extensionsv1alpha1.OperatingSystemConfig) bool {
	return osc.Spec.Purpose == extensionsv1alpha1.OperatingSystemConfigPurposeReconcile &&
		osc.Labels[v1beta1constants.LabelWorkerPool] != ""
}

// Mutate adds rt's node configuration to the OSC of a pool (label worker.gardener.cloud/pool) whose entry in shoot
// requests rt, with the pool's providerConfig. Every other OSC (another purpose, a pool without rt, a pool the
// Shoot no longer has) is left unchanged. Mutating an already mutated OSC yields the same object.
//
// A providerConfig stored before this extension judged it is applied without what it ignores (see
// runtimes.Runtime's Decode; the ContainerRuntime's health check reports it); one that leaves nothing to apply is an
// error naming the pool and the fields, at most decode.MaxShown of them.
func Mutate(osc *extensionsv1alpha1.OperatingSystemConfig, shoot *gardencorev1beta1.Shoot, rt runtimes.Runtime) error {
	if !IsPoolReconcileOSC(osc) {
		return nil
	}
	poolName := osc.Labels[v1beta1constants.LabelWorkerPool]
	providerConfig, fldPath, ok := runtimes.PoolEntry(shoot, poolName, rt.Type())
	if !ok {
		return nil
	}
	pool, errs := rt.Decode(providerConfig, fldPath)
	if pool == nil {
		return fmt.Errorf("the %s configuration of worker pool %q of Shoot %s/%s: %w", rt.Type(), poolName, shoot.Namespace, shoot.Name, decode.LimitedError(errs))
	}
	cfg, err := pool.NodeConfig()
	if err != nil {
		return fmt.Errorf("the %s node configuration of worker pool %q of Shoot %s/%s: %w", rt.Type(), poolName, shoot.Namespace, shoot.Name, err)
	}
	if osc.Spec.CRIConfig == nil || osc.Spec.CRIConfig.Name != extensionsv1alpha1.CRINameContainerD || osc.Spec.CRIConfig.Containerd == nil {
		return fmt.Errorf("OperatingSystemConfig %s/%s has no containerd configuration (spec.criConfig.containerd) to add the %s runtime handlers to", osc.Namespace, osc.Name, rt.Type())
	}
	Merge(osc, cfg)
	return nil
}

// Merge adds cfg to osc: a plugin entry replaces one at the same path, a file one at the same path and a unit one
// of the same name, so that merging twice yields the same object. Plugin entries equal to one of cfg's
// ObsoletePlugins are removed first.
func Merge(osc *extensionsv1alpha1.OperatingSystemConfig, cfg *node.Config) {
	containerd := osc.Spec.CRIConfig.Containerd
	containerd.Plugins = slices.DeleteFunc(containerd.Plugins, func(p extensionsv1alpha1.PluginConfig) bool {
		return slices.ContainsFunc(cfg.ObsoletePlugins, func(obsolete extensionsv1alpha1.PluginConfig) bool { return samePlugin(p, obsolete) })
	})
	for _, p := range cfg.Plugins {
		containerd.Plugins = upsert(containerd.Plugins, p, func(a, b extensionsv1alpha1.PluginConfig) bool { return slices.Equal(a.Path, b.Path) })
	}
	for _, f := range cfg.Files {
		osc.Spec.Files = upsert(osc.Spec.Files, f, func(a, b extensionsv1alpha1.File) bool { return a.Path == b.Path })
	}
	for _, u := range cfg.Units {
		osc.Spec.Units = upsert(osc.Spec.Units, u, func(a, b extensionsv1alpha1.Unit) bool { return a.Name == b.Name })
	}
}

// samePlugin tells whether a and b are the same entry: the same operation, path and values (compared as JSON).
func samePlugin(a, b extensionsv1alpha1.PluginConfig) bool {
	if !slices.Equal(a.Path, b.Path) || !apiequality.Semantic.DeepEqual(a.Op, b.Op) || (a.Values == nil) != (b.Values == nil) {
		return false
	}
	if a.Values == nil {
		return true
	}
	var aValues, bValues any
	if json.Unmarshal(a.Values.Raw, &aValues) != nil || json.Unmarshal(b.Values.Raw, &bValues) != nil {
		return false
	}
	return apiequality.Semantic.DeepEqual(aValues, bValues)
}

func upsert[T any](items []T, item T, same func(a, b T) bool) []T {
	if i := slices.IndexFunc(items, func(existing T) bool { return same(existing, item) }); i >= 0 {
		items[i] = item
		return items
	}
	return append(items, item)
}
