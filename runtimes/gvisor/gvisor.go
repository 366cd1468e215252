// Package gvisor describes the gVisor sandbox runtime (runsc): its container runtime type and how its
// providerConfig is decoded and validated.
package gvisor

import (
	"fmt"

	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
	"github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/validation"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// Type is the container runtime type of gVisor in a Shoot worker pool.
const Type = "gvisor"

// Runtime is the gVisor sandbox runtime.
type Runtime struct {
	scheme  *runtime.Scheme
	decoder *decode.Decoder
}

// New returns the gVisor runtime.
func New() *Runtime {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		panic(fmt.Errorf("registering the gVisor providerConfig API: %w", err))
	}
	return &Runtime{scheme: scheme, decoder: decode.NewDecoder(scheme)}
}

// Type returns "gvisor".
func (r *Runtime) Type() string { return Type }

// decode strictly decodes and validates a gVisor providerConfig and applies defaults; a nil or empty providerConfig
// yields the defaults. It reports every problem at once, and whether the document used the deprecated apiVersion.
func (r *Runtime) decode(providerConfig *runtime.RawExtension, fldPath *field.Path) (cfg *v1alpha1.GVisorConfiguration, deprecated bool, errs field.ErrorList) {
	cfg = &v1alpha1.GVisorConfiguration{}
	if !decode.IsEmpty(providerConfig) {
		var gvk schema.GroupVersionKind
		gvk, errs = r.decoder.Decode(providerConfig.Raw, cfg, fldPath)
		if !decode.Decoded(errs, fldPath) {
			return nil, false, errs
		}
		deprecated = gvk.GroupVersion() == v1alpha1.DeprecatedSchemeGroupVersion
		errs = decode.Merge(errs, validation.ValidateGVisorConfiguration(cfg, fldPath))
	}
	r.scheme.Default(cfg)
	return cfg, deprecated, errs
}

// ValidateProviderConfig strictly decodes and validates a gVisor providerConfig: only the allowed flags, each
// "true" or "false". The deprecated apiVersion is accepted with a warning that names the current one.
func (r *Runtime) ValidateProviderConfig(providerConfig *runtime.RawExtension, fldPath *field.Path) ([]string, field.ErrorList) {
	_, deprecated, errs := r.decode(providerConfig, fldPath)
	var warnings []string
	if deprecated {
		warnings = append(warnings, fmt.Sprintf("%s: %s is deprecated, use %s",
			fldPath.Child("apiVersion"), v1alpha1.DeprecatedSchemeGroupVersion, v1alpha1.SchemeGroupVersion))
	}
	return warnings, errs
}

// NodeConfig decodes and validates a pool's gVisor providerConfig and returns the node configuration for it.
// fldPath names the providerConfig in errors.
func (r *Runtime) NodeConfig(providerConfig *runtime.RawExtension, fldPath *field.Path) (*node.Config, error) {
	cfg, _, errs := r.decode(providerConfig, fldPath)
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return NodeConfig(cfg)
}

// RuntimeClassName is the RuntimeClass of gVisor.
const RuntimeClassName = "gvisor"

// ClassNames returns the RuntimeClass names gVisor can offer.
func (r *Runtime) ClassNames() []string { return []string{RuntimeClassName} }

// NodeLabels returns the node label the installer sets where gVisor works: runtime.gardener.cloud/gvisor-ready.
func (r *Runtime) NodeLabels() []string { return []string{node.ReadyLabel(Type)} }

// overheadMemory is the pod overhead of a gVisor sandbox: the memory its Sentry and gofer hold besides the
// workload. Measured on this project's development machine with runsc built from the gVisor module pinned in
// hack/runsc (v0.0.0-20260905035102-160fafc42237, systrap platform): a sandbox running one idle process charged
// 17 to 19 MiB to its memory cgroup (three runs; rss, the runsc binary's page cache excluded as every sandbox of a
// node shares it). Rounded up to leave room for the Sentry's per-process kernel state as the workload grows. No
// CPU overhead: both processes run in the pod's cgroup and use CPU only on the workload's behalf.
const overheadMemory = "32Mi"

// RuntimeClasses returns the RuntimeClasses a gVisor pool offers: gvisor, with handler runsc and the sandbox's
// memory overhead.
func (r *Runtime) RuntimeClasses(providerConfig *runtime.RawExtension, fldPath *field.Path) ([]nodev1.RuntimeClass, error) {
	if _, _, errs := r.decode(providerConfig, fldPath); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return []nodev1.RuntimeClass{node.RuntimeClass(RuntimeClassName, Handler, Type, "", overheadMemory)}, nil
}
