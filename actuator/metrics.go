package actuator

import (
	"context"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	"github.com/gardener/gardener/extensions/pkg/controller/containerruntime"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
)

// Operations counts the actuator's operations on ContainerRuntimes by runtime type, operation (reconcile, delete,
// force-delete, migrate, restore) and result (succeeded, failed).
var Operations = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: "runtime_sandbox",
	Name:      "containerruntime_operations_total",
	Help:      "ContainerRuntime operations of the runtime-sandbox actuator, by runtime type, operation and result.",
}, []string{"runtime", "operation", "result"})

func init() {
	metrics.Registry.MustRegister(Operations)
}

// counted is an actuator that counts every operation of the actuator it wraps.
type counted struct {
	containerruntime.Actuator
}

func count(cr *extensionsv1alpha1.ContainerRuntime, operation string, err error) error {
	result := "succeeded"
	if err != nil {
		result = "failed"
	}
	Operations.WithLabelValues(cr.Spec.Type, operation, result).Inc()
	return err
}

// Reconcile counts the wrapped Reconcile.
func (c counted) Reconcile(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	return count(cr, "reconcile", c.Actuator.Reconcile(ctx, log, cr, cluster))
}

// Delete counts the wrapped Delete.
func (c counted) Delete(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	return count(cr, "delete", c.Actuator.Delete(ctx, log, cr, cluster))
}

// ForceDelete counts the wrapped ForceDelete.
func (c counted) ForceDelete(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	return count(cr, "force-delete", c.Actuator.ForceDelete(ctx, log, cr, cluster))
}

// Migrate counts the wrapped Migrate.
func (c counted) Migrate(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	return count(cr, "migrate", c.Actuator.Migrate(ctx, log, cr, cluster))
}

// Restore counts the wrapped Restore.
func (c counted) Restore(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	return count(cr, "restore", c.Actuator.Restore(ctx, log, cr, cluster))
}
