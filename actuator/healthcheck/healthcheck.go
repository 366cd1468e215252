// Package healthcheck adds Gardener's health check controller for sandbox ContainerRuntimes. It writes the
// SystemComponentsHealthy condition of each ContainerRuntime from three checks: the health of the ManagedResources
// the actuator deploys into the shoot (as gardener-resource-manager reports it), the readiness of the pool's
// installer DaemonSet in the shoot (every node of the pool got the runtime binaries), and the settings of a stored
// providerConfig that the seed side ignores.
package healthcheck

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionsconfigv1alpha1 "github.com/gardener/gardener/extensions/pkg/apis/config/v1alpha1"
	"github.com/gardener/gardener/extensions/pkg/controller/healthcheck"
	"github.com/gardener/gardener/extensions/pkg/controller/healthcheck/general"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/kubernetes/health"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
)

// DefaultSyncPeriod is how often the health of a ContainerRuntime is checked by default.
const DefaultSyncPeriod = 30 * time.Second

// Add adds a health check controller for the ContainerRuntimes of each of types, checking every syncPeriod.
func Add(mgr manager.Manager, types []string, syncPeriod time.Duration) error {
	for _, t := range types {
		if err := healthcheck.DefaultRegistration(
			t,
			extensionsv1alpha1.SchemeGroupVersion.WithKind(extensionsv1alpha1.ContainerRuntimeResource),
			func() client.ObjectList { return &extensionsv1alpha1.ContainerRuntimeList{} },
			func() extensionsv1alpha1.Object { return &extensionsv1alpha1.ContainerRuntime{} },
			mgr,
			healthcheck.DefaultAddArgs{
				Controller:        controller.Options{SkipNameValidation: new(true)},
				HealthCheckConfig: extensionsconfigv1alpha1.HealthCheckConfig{SyncPeriod: metav1.Duration{Duration: syncPeriod}},
			},
			nil,
			Checks(),
			nil,
		); err != nil {
			return fmt.Errorf("adding the health check controller for %s: %w", t, err)
		}
	}
	return nil
}

// Checks returns the health checks of a ContainerRuntime, all for the SystemComponentsHealthy condition, which
// Gardener shows on the Shoot.
func Checks() []healthcheck.ConditionTypeToHealthCheck {
	condition := string(gardencorev1beta1.ShootSystemComponentsHealthy)
	return []healthcheck.ConditionTypeToHealthCheck{
		{ConditionType: condition, HealthCheck: &ManagedResources{}},
		{ConditionType: condition, HealthCheck: &InstallerDaemonSet{}},
		{ConditionType: condition, HealthCheck: &ProviderConfig{}},
	}
}

// ManagedResources checks that both ManagedResources of a ContainerRuntime, its own (installer) and the one shared
// by the shoot (RuntimeClasses, pod webhook configurations), are applied and healthy, as gardener-resource-manager
// reports them (Gardener's health.CheckManagedResource). Unlike the extension library's check, it logs nothing: a
// ManagedResource that is not applied yet (right after the ContainerRuntime was reconciled) is a state the condition
// reports, not an error.
type ManagedResources struct {
	seed client.Client
}

var (
	_ healthcheck.HealthCheck  = (*ManagedResources)(nil)
	_ healthcheck.SourceClient = (*ManagedResources)(nil)
)

// InjectSourceClient injects the seed client.
func (m *ManagedResources) InjectSourceClient(c client.Client) { m.seed = c }

// SetLoggerSuffix is part of healthcheck.HealthCheck; the check does not log.
func (m *ManagedResources) SetLoggerSuffix(_, _ string) {}

// Check checks the ManagedResources of the ContainerRuntime request names; the first unhealthy one decides.
func (m *ManagedResources) Check(ctx context.Context, request types.NamespacedName) (*healthcheck.SingleCheckResult, error) {
	for _, name := range []string{actuator.ManagedResourceName(request.Name), actuator.ShootManagedResourceName} {
		mr := &resourcesv1alpha1.ManagedResource{}
		if err := m.seed.Get(ctx, client.ObjectKey{Namespace: request.Namespace, Name: name}, mr); err != nil {
			if apierrors.IsNotFound(err) {
				return &healthcheck.SingleCheckResult{
					Status: gardencorev1beta1.ConditionFalse,
					Detail: fmt.Sprintf("ManagedResource %s/%s not found", request.Namespace, name),
				}, nil
			}
			return nil, fmt.Errorf("reading ManagedResource %s/%s: %w", request.Namespace, name, err)
		}
		if err := health.CheckManagedResource(mr); err != nil {
			return &healthcheck.SingleCheckResult{
				Status: gardencorev1beta1.ConditionFalse,
				Detail: fmt.Sprintf("ManagedResource %s/%s is unhealthy: %v", request.Namespace, name, err),
			}, nil
		}
	}
	return &healthcheck.SingleCheckResult{Status: gardencorev1beta1.ConditionTrue}, nil
}

// InstallerDaemonSet checks that the installer DaemonSet of a ContainerRuntime's pool is ready in the shoot: every
// node of the pool runs an up-to-date, ready installer, i.e. has the binaries and the ready label.
type InstallerDaemonSet struct {
	seed, shoot client.Client
	log         logr.Logger
}

var (
	_ healthcheck.HealthCheck  = (*InstallerDaemonSet)(nil)
	_ healthcheck.SourceClient = (*InstallerDaemonSet)(nil)
	_ healthcheck.TargetClient = (*InstallerDaemonSet)(nil)
)

// InjectSourceClient injects the seed client.
func (d *InstallerDaemonSet) InjectSourceClient(c client.Client) { d.seed = c }

// InjectTargetClient injects the shoot client.
func (d *InstallerDaemonSet) InjectTargetClient(c client.Client) { d.shoot = c }

// SetLoggerSuffix sets the logger.
func (d *InstallerDaemonSet) SetLoggerSuffix(provider, extension string) {
	d.log = logf.Log.WithName("healthcheck-installer").WithValues("provider", provider, "extension", extension)
}

// Check reads the ContainerRuntime request names for its pool and type, then checks the pool's installer
// DaemonSet in the shoot.
func (d *InstallerDaemonSet) Check(ctx context.Context, request types.NamespacedName) (*healthcheck.SingleCheckResult, error) {
	cr := &extensionsv1alpha1.ContainerRuntime{}
	if err := d.seed.Get(ctx, request, cr); err != nil {
		return nil, fmt.Errorf("reading ContainerRuntime %s: %w", request, err)
	}
	key := client.ObjectKey{Namespace: actuator.InstallerNamespace, Name: actuator.InstallerName(cr.Spec.WorkerPool.Name, cr.Spec.Type)}
	daemonSet := &appsv1.DaemonSet{}
	if err := d.shoot.Get(ctx, key, daemonSet); err != nil {
		if apierrors.IsNotFound(err) {
			return &healthcheck.SingleCheckResult{
				Status: gardencorev1beta1.ConditionFalse,
				Detail: fmt.Sprintf("installer DaemonSet %s of worker pool %q not found in the shoot", key, cr.Spec.WorkerPool.Name),
			}, nil
		}
		return nil, fmt.Errorf("reading installer DaemonSet %s in the shoot: %w", key, err)
	}
	if healthy, err := general.DaemonSetIsHealthy(daemonSet); !healthy {
		d.log.Info("Installer not ready", "daemonSet", key, "reason", err.Error())
		return &healthcheck.SingleCheckResult{
			Status: gardencorev1beta1.ConditionFalse,
			Detail: fmt.Sprintf("installer of worker pool %q not ready on every node: %v", cr.Spec.WorkerPool.Name, err),
		}, nil
	}
	return &healthcheck.SingleCheckResult{Status: gardencorev1beta1.ConditionTrue}, nil
}
