// Package kata describes the Kata Containers sandbox runtime: its container runtime type, its hypervisors and how
// its providerConfig is decoded and validated.
package kata

import (
	"fmt"

	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/validation"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// Type is the container runtime type of Kata Containers in a Shoot worker pool.
const Type = "kata"

// Runtime is the Kata Containers sandbox runtime.
type Runtime struct {
	scheme  *runtime.Scheme
	decoder *decode.Decoder
}

// New returns the Kata runtime.
func New() *Runtime {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		panic(fmt.Errorf("registering the Kata providerConfig API: %w", err))
	}
	return &Runtime{scheme: scheme, decoder: decode.NewDecoder(scheme)}
}

// Type returns "kata".
func (r *Runtime) Type() string { return Type }

// decode strictly decodes and validates a Kata providerConfig and applies defaults; a nil or empty providerConfig
// yields the defaults. Validation runs before defaulting, so that an explicitly empty hypervisor list is refused
// rather than defaulted. It reports every problem at once.
func (r *Runtime) decode(providerConfig *runtime.RawExtension, fldPath *field.Path) (*v1alpha1.KataConfiguration, field.ErrorList) {
	cfg := &v1alpha1.KataConfiguration{}
	var errs field.ErrorList
	if !decode.IsEmpty(providerConfig) {
		_, errs = r.decoder.Decode(providerConfig.Raw, cfg, fldPath)
		if !decode.Decoded(errs, fldPath) {
			return nil, errs
		}
		errs = decode.Merge(errs, validation.ValidateKataConfiguration(cfg, fldPath))
	}
	r.scheme.Default(cfg)
	return cfg, errs
}

// Decode strictly decodes, validates and defaults a pool's Kata providerConfig (see decode). A configuration comes
// back only without problems: no stored Kata configuration predates this extension's admission.
func (r *Runtime) Decode(providerConfig *runtime.RawExtension, fldPath *field.Path) (node.PoolConfig, field.ErrorList) {
	cfg, errs := r.decode(providerConfig, fldPath)
	if len(errs) > 0 {
		return nil, errs
	}
	return poolConfig{cfg}, nil
}

// overhead is the pod overhead of a Kata sandbox VM per hypervisor: the guest kernel, agent and VMM. The values
// are those the kata-deploy chart of the pinned release (Version) sets on its RuntimeClasses
// (tools/packaging/kata-deploy/helm-chart/kata-deploy/templates/runtimeclasses.yaml at tag 3.29.0: qemu 160Mi,
// clh and fc 130Mi, 250m CPU each).
var overhead = map[v1alpha1.Hypervisor]struct{ cpu, memory string }{
	v1alpha1.HypervisorQEMU:            {cpu: "250m", memory: "160Mi"},
	v1alpha1.HypervisorCloudHypervisor: {cpu: "250m", memory: "130Mi"},
	v1alpha1.HypervisorFirecracker:     {cpu: "250m", memory: "130Mi"},
}

// ClassNames returns the RuntimeClass names Kata can offer: one per hypervisor.
func (r *Runtime) ClassNames() []string {
	var out []string
	for _, h := range v1alpha1.AllHypervisors() {
		out = append(out, v1alpha1.RuntimeClassName(h))
	}
	return out
}

// PodAnnotationPrefix returns io.katacontainers.: Kata reads its own annotations from pods, and only the allowlisted
// ones (AllowedPodAnnotations) are safe.
func (r *Runtime) PodAnnotationPrefix() string { return kataAnnotationPrefix }

// AllowedPodAnnotations returns Kata's annotations a pod may set (see AllowedAnnotations).
func (r *Runtime) AllowedPodAnnotations() []string { return AllowedAnnotations() }

// NodeLabels returns the node labels the installer sets where Kata works: runtime.gardener.cloud/kata-ready and
// kata-deploy's katacontainers.io/kata-runtime.
func (r *Runtime) NodeLabels() []string { return []string{node.ReadyLabel(Type), RuntimeLabel} }

// Architectures returns amd64 only: the payload layout (NodeLayout) and the rendered configuration name x86_64's
// QEMU binary and kernel parameters, so a node of another architecture would get handlers that cannot start.
func (r *Runtime) Architectures() []string { return []string{v1beta1constants.ArchitectureAMD64} }

// poolConfig is a pool's decoded Kata configuration.
type poolConfig struct {
	cfg *v1alpha1.KataConfiguration
}

// Warnings returns no warnings: the Kata API has no deprecated forms.
func (p poolConfig) Warnings() []string { return nil }

// NodeConfig returns one runtime handler per hypervisor and, for Firecracker, the devmapper setup.
func (p poolConfig) NodeConfig() (*node.Config, error) { return NodeConfig(p.cfg) }

// RuntimeClasses returns the RuntimeClasses a Kata pool offers: kata-<hypervisor> for each of its hypervisors, with
// the handler of the same name and the sandbox VM's pod overhead.
func (p poolConfig) RuntimeClasses() []nodev1.RuntimeClass {
	out := make([]nodev1.RuntimeClass, 0, len(p.cfg.Hypervisors))
	for _, h := range p.cfg.Hypervisors {
		name := v1alpha1.RuntimeClassName(h)
		out = append(out, node.RuntimeClass(name, name, Type, overhead[h].cpu, overhead[h].memory))
	}
	return out
}
