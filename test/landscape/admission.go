package landscape

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	admissionapp "github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-admission-runtime-sandbox/app"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// StartAdmission runs the garden-side admission component (the same command as the binary) in-process, with its
// webhooks registered by URL over TLS, and waits until the API server calls them. extraArgs are appended to the
// command line, e.g. --required-machine-capabilities.
func (l *Landscape) StartAdmission(ctx context.Context, extraArgs ...string) (*Component, error) {
	probe, err := invalidProbeShoot()
	if err != nil {
		return nil, err
	}
	return l.startComponent(ctx, "admission", admissionapp.NewCommand, func(ctx context.Context) error { return l.probeEachRuntime(ctx, probe) }, extraArgs...)
}

// probeEachRuntime checks that each runtime type's webhook refuses the probe pool of its type, which proves that
// the API server reaches the webhooks over TLS. The API server reports only the first webhook's denial, so each
// pool is probed on its own.
func (l *Landscape) probeEachRuntime(ctx context.Context, probe *gardencorev1beta1.Shoot) error {
	for i, pool := range probe.Spec.Provider.Workers {
		single := probe.DeepCopy()
		single.Spec.Provider.Workers = []gardencorev1beta1.Worker{single.Spec.Provider.Workers[i]}
		err := l.Client.Create(ctx, single, client.DryRunAll)
		// A webhook that cannot be called is named in the API server's error too: that is no answer.
		if err == nil || !strings.Contains(err.Error(), "shoot-"+pool.CRI.ContainerRuntimes[0].Type+".") || strings.Contains(err.Error(), "failed calling webhook") {
			return fmt.Errorf("webhook for %s not answering yet: %v", pool.CRI.ContainerRuntimes[0].Type, err)
		}
	}
	return nil
}

// invalidProbeShoot is the sample Shoot with only its sandbox pools, with an unknown gVisor flag and an unknown
// Kata hypervisor.
func invalidProbeShoot() (*gardencorev1beta1.Shoot, error) {
	shoot, err := samples.Shoot()
	if err != nil {
		return nil, err
	}
	shoot.Name = "ready-probe"
	var pools []gardencorev1beta1.Worker
	for _, pool := range shoot.Spec.Provider.Workers {
		if pool.CRI == nil || len(pool.CRI.ContainerRuntimes) == 0 {
			continue
		}
		cr := &pool.CRI.ContainerRuntimes[0]
		switch cr.Type {
		case "gvisor":
			cr.ProviderConfig = &runtime.RawExtension{Raw: []byte(`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"ready-probe":"true"}}`)}
		case "kata":
			cr.ProviderConfig = &runtime.RawExtension{Raw: []byte(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["ready-probe"]}`)}
		default:
			return nil, fmt.Errorf("sample pool %s has unexpected runtime %s", pool.Name, cr.Type)
		}
		pools = append(pools, pool)
	}
	shoot.Spec.Provider.Workers = pools
	return shoot, nil
}

// LocalAdmissionArgs are the admission flags of the local landscape: Kata pools need a machine type with nested
// virtualization, as the sample CloudProfile declares it.
func LocalAdmissionArgs() []string {
	return []string{"--" + admissionapp.RequiredMachineCapabilitiesFlag + "=kata:nestedVirtualization=supported"}
}
