package landscape

import (
	"context"
	"fmt"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
)

// BinaryPath is the ContainerRuntime binary path gardenlet configures (extensionsv1alpha1.ContainerDRuntimeContainersBinFolder).
const BinaryPath = extensionsv1alpha1.ContainerDRuntimeContainersBinFolder

// SampleContainerRuntimes returns the ContainerRuntimes gardenlet creates in the seed for the sample Shoot: one per
// pool and sandbox runtime, named <type>-<pool>, with the runtime's providerConfig.
func SampleContainerRuntimes() ([]*extensionsv1alpha1.ContainerRuntime, error) {
	shoot, err := samples.Shoot()
	if err != nil {
		return nil, err
	}
	var out []*extensionsv1alpha1.ContainerRuntime
	for _, pool := range shoot.Spec.Provider.Workers {
		if pool.CRI == nil {
			continue
		}
		for _, rt := range pool.CRI.ContainerRuntimes {
			out = append(out, containerRuntimeFor(pool, rt))
		}
	}
	return out, nil
}

// containerRuntimeFor returns the ContainerRuntime of a pool's runtime, the way gardenlet builds it.
func containerRuntimeFor(pool gardencorev1beta1.Worker, rt gardencorev1beta1.ContainerRuntime) *extensionsv1alpha1.ContainerRuntime {
	cr := &extensionsv1alpha1.ContainerRuntime{
		ObjectMeta: metav1.ObjectMeta{Name: rt.Type + "-" + pool.Name, Namespace: samples.ShootNamespace},
		Spec: extensionsv1alpha1.ContainerRuntimeSpec{
			DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: rt.Type},
			BinaryPath:  BinaryPath,
			WorkerPool: extensionsv1alpha1.ContainerRuntimeWorkerPool{
				Name:     pool.Name,
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{v1beta1constants.LabelWorkerPool: pool.Name}},
			},
		},
	}
	if rt.ProviderConfig != nil {
		cr.Spec.ProviderConfig = rt.ProviderConfig.DeepCopy()
	}
	return cr
}

// DeployContainerRuntimes creates the sample Shoot's ContainerRuntimes in its seed namespace and waits until the
// seed component's controller reconciled each to lastOperation Succeeded. It needs StartSeed first.
func (l *Landscape) DeployContainerRuntimes(ctx context.Context, timeout time.Duration) ([]*extensionsv1alpha1.ContainerRuntime, error) {
	crs, err := SampleContainerRuntimes()
	if err != nil {
		return nil, err
	}
	for _, cr := range crs {
		if err := l.Client.Create(ctx, cr); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating ContainerRuntime %s: %w", client.ObjectKeyFromObject(cr), err)
		}
	}
	for _, cr := range crs {
		var last string
		if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
			if err := l.Client.Get(ctx, client.ObjectKeyFromObject(cr), cr); err != nil {
				return false, err
			}
			if op := cr.Status.LastOperation; op != nil {
				last = fmt.Sprintf("%s: %s", op.State, op.Description)
				return op.Type != gardencorev1beta1.LastOperationTypeDelete && op.State == gardencorev1beta1.LastOperationStateSucceeded, nil
			}
			return false, nil
		}); err != nil {
			return nil, fmt.Errorf("waiting for ContainerRuntime %s to succeed (last operation %q): %w", client.ObjectKeyFromObject(cr), last, err)
		}
	}
	return crs, nil
}
