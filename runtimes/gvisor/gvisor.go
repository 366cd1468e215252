// Package gvisor describes the gVisor sandbox runtime (runsc): its container runtime type and how its
// providerConfig is decoded and validated.
package gvisor

import (
	"fmt"
	"slices"

	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"

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

// Decode decodes and validates a pool's gVisor providerConfig and applies defaults; nil or empty means runsc's
// defaults. It reports every problem at once, each with its field path below fldPath. The deprecated apiVersion and
// testImageTag are accepted with a warning.
//
// A configuration comes back also when every problem is one gardener-extension-runtime-gvisor ignored: unknown
// fields and flags, flag values it did not apply, duplicates (the last counts), a missing apiVersion or kind. Then
// it is the configuration without them. The seed side applies it and reports the problems, so that a Shoot stored
// before this extension judged it keeps reconciling; admission refuses them for new and changed pools. Problems that
// made the incumbent fail (an undecodable document, another API, values of the wrong type) leave nothing to apply.
func (r *Runtime) Decode(providerConfig *runtime.RawExtension, fldPath *field.Path) (node.PoolConfig, field.ErrorList) {
	cfg := &v1alpha1.GVisorConfiguration{}
	var (
		errs       field.ErrorList
		deprecated bool
	)
	if !decode.IsEmpty(providerConfig) {
		gvk, decodeErrs := r.decoder.Decode(providerConfig.Raw, cfg, fldPath)
		if !decode.Decoded(decodeErrs, fldPath) {
			return nil, decodeErrs
		}
		deprecated = gvk.GroupVersion() == v1alpha1.DeprecatedSchemeGroupVersion
		validationErrs := validation.ValidateGVisorConfiguration(cfg, fldPath)
		errs = decode.Merge(decodeErrs, validationErrs)
		if slices.ContainsFunc(decodeErrs, isTypeError) {
			return nil, errs
		}
		dropInvalidFlags(cfg, validationErrs, fldPath)
	}
	r.scheme.Default(cfg)
	return &poolConfig{cfg: cfg, warnings: warnings(cfg, deprecated, fldPath)}, errs
}

// isTypeError tells whether a decoding error is about a value of the wrong type, which decode reports as Invalid.
func isTypeError(err *field.Error) bool { return err.Type == field.ErrorTypeInvalid }

// dropInvalidFlags removes the flags that errs name from cfg, as gardener-extension-runtime-gvisor ignored them.
func dropInvalidFlags(cfg *v1alpha1.GVisorConfiguration, errs field.ErrorList, fldPath *field.Path) {
	invalid := make(map[string]bool, len(errs))
	for _, err := range errs {
		invalid[err.Field] = true
	}
	flagsPath := fldPath.Child("configFlags")
	for key := range cfg.ConfigFlags {
		if invalid[flagsPath.Key(key).String()] {
			delete(cfg.ConfigFlags, key)
		}
	}
}

// warnings returns the admission warnings about a decoded configuration.
func warnings(cfg *v1alpha1.GVisorConfiguration, deprecated bool, fldPath *field.Path) []string {
	var out []string
	if deprecated {
		out = append(out, fmt.Sprintf("%s: %s is deprecated, use %s",
			fldPath.Child("apiVersion"), v1alpha1.DeprecatedSchemeGroupVersion, v1alpha1.SchemeGroupVersion))
	}
	if cfg.TestImageTag != nil {
		out = append(out, fmt.Sprintf("%s: has no effect and can be removed: gardener-extension-runtime-gvisor chose a test "+
			"build of its installation image with it; here runsc comes from this extension's installer image, which the "+
			"operator pins", fldPath.Child("testImageTag")))
	}
	return out
}

// PredecessorManagedResources returns the ManagedResources gardener-extension-runtime-gvisor deployed into a shoot
// for a worker pool. remove is its installation: a privileged DaemonSet (with its script's ConfigMap) that copies
// runsc onto the node, appends a runsc handler to containerd's config.toml and restarts containerd; it must stop
// before this extension's installer and OSC configuration take over the node. release is the one its pools share:
// RuntimeClass gvisor (this extension's RuntimeClasses take it over under the same name, so running pods and
// manifests are unaffected) and the ServiceAccount gvisor its DaemonSets ran as.
func (r *Runtime) PredecessorManagedResources(pool string) (remove, release []string) {
	return []string{"extension-runtime-gvisor-installation-" + pool}, []string{"extension-runtime-gvisor"}
}

// RuntimeClassName is the RuntimeClass of gVisor.
const RuntimeClassName = "gvisor"

// ClassNames returns the RuntimeClass names gVisor can offer.
func (r *Runtime) ClassNames() []string { return []string{RuntimeClassName} }

// PodAnnotationPrefix returns "": the runsc handler passes no pod annotation to gVisor's shim.
func (r *Runtime) PodAnnotationPrefix() string { return "" }

// AllowedPodAnnotations returns none: gVisor reads no pod annotation through this extension's handler.
func (r *Runtime) AllowedPodAnnotations() []string { return nil }

// NodeLabels returns the node label the installer sets where gVisor works: runtime.gardener.cloud/gvisor-ready.
func (r *Runtime) NodeLabels() []string { return []string{node.ReadyLabel(Type)} }

// Architectures returns amd64 and arm64: the payload holds runsc and its shim for both, and runsc.toml is the same.
func (r *Runtime) Architectures() []string {
	return []string{v1beta1constants.ArchitectureAMD64, v1beta1constants.ArchitectureARM64}
}

// overheadMemory is the pod overhead of a gVisor sandbox: the memory its Sentry and gofer hold besides the
// workload. Measured on this project's development machine with runsc built from the gVisor module pinned in
// hack/runsc (v0.0.0-20260905035102-160fafc42237, systrap platform): a sandbox running one idle process charged
// 17 to 19 MiB to its memory cgroup (three runs; rss, the runsc binary's page cache excluded as every sandbox of a
// node shares it). Rounded up to leave room for the Sentry's per-process kernel state as the workload grows. No
// CPU overhead: both processes run in the pod's cgroup and use CPU only on the workload's behalf.
const overheadMemory = "32Mi"

// poolConfig is a pool's decoded gVisor configuration.
type poolConfig struct {
	cfg      *v1alpha1.GVisorConfiguration
	warnings []string
}

// Warnings returns the admission warnings: the deprecated apiVersion, testImageTag.
func (p *poolConfig) Warnings() []string { return p.warnings }

// NodeConfig returns the runsc handler and runsc.toml with the pool's flags.
func (p *poolConfig) NodeConfig() (*node.Config, error) { return NodeConfig(p.cfg) }

// RuntimeClasses returns the RuntimeClasses a gVisor pool offers: gvisor, with handler runsc and the sandbox's
// memory overhead.
func (p *poolConfig) RuntimeClasses() []nodev1.RuntimeClass {
	return []nodev1.RuntimeClass{node.RuntimeClass(RuntimeClassName, Handler, Type, "", overheadMemory)}
}
