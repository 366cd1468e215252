package healthcheck

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	"github.com/gardener/gardener/extensions/pkg/controller/healthcheck"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// ProviderConfig reports what the seed side ignores of a ContainerRuntime's providerConfig: a configuration stored
// before this extension judged it (a landscape that switched from gardener-extension-runtime-gvisor) is applied
// without the fields that extension ignored, and this check names each of them with its path in the Shoot, as a
// configuration problem for the shoot owner to fix. Admission refuses such fields in new and changed pools, so the
// check is healthy for every other configuration; one that leaves nothing to apply fails the reconcile instead.
type ProviderConfig struct {
	seed client.Client
}

var (
	_ healthcheck.HealthCheck  = (*ProviderConfig)(nil)
	_ healthcheck.SourceClient = (*ProviderConfig)(nil)
)

// InjectSourceClient injects the seed client.
func (p *ProviderConfig) InjectSourceClient(c client.Client) { p.seed = c }

// SetLoggerSuffix is part of the health check interface; this check does not log.
func (p *ProviderConfig) SetLoggerSuffix(_, _ string) {}

// Check decodes the providerConfig of the ContainerRuntime request names as the actuator and the OSC mutation do.
func (p *ProviderConfig) Check(ctx context.Context, request types.NamespacedName) (*healthcheck.SingleCheckResult, error) {
	cr := &extensionsv1alpha1.ContainerRuntime{}
	if err := p.seed.Get(ctx, request, cr); err != nil {
		return nil, fmt.Errorf("reading ContainerRuntime %s: %w", request, err)
	}
	rt, ok := runtimes.ByType(cr.Spec.Type)
	if !ok {
		return &healthcheck.SingleCheckResult{Status: gardencorev1beta1.ConditionTrue}, nil
	}
	cfg, errs := rt.Decode(cr.Spec.ProviderConfig, p.shootPath(ctx, cr))
	if cfg == nil || len(errs) == 0 {
		return &healthcheck.SingleCheckResult{Status: gardencorev1beta1.ConditionTrue}, nil
	}
	return &healthcheck.SingleCheckResult{
		Status: gardencorev1beta1.ConditionFalse,
		Detail: fmt.Sprintf("the %s providerConfig of worker pool %q was stored before this extension checked it: its nodes "+
			"run without these settings, which are ignored as gardener-extension-runtime-gvisor ignored them; correct or "+
			"remove them in the Shoot: %v", cr.Spec.Type, cr.Spec.WorkerPool.Name, decode.LimitedError(errs)),
		Codes: []gardencorev1beta1.ErrorCode{gardencorev1beta1.ErrorConfigurationProblem},
	}, nil
}

// shootPath returns the field path of cr's providerConfig in the Shoot, which its owner edits, or the path in the
// ContainerRuntime when the Cluster does not tell.
func (p *ProviderConfig) shootPath(ctx context.Context, cr *extensionsv1alpha1.ContainerRuntime) *field.Path {
	if cluster, err := extensionscontroller.GetCluster(ctx, p.seed, cr.Namespace); err == nil && cluster.Shoot != nil {
		if _, fldPath, ok := runtimes.PoolEntry(cluster.Shoot, cr.Spec.WorkerPool.Name, cr.Spec.Type); ok {
			return fldPath
		}
	}
	return field.NewPath("spec", "providerConfig")
}
