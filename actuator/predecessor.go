package actuator

import (
	"context"
	"fmt"
	"slices"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// takeOver removes, on the first reconcile of a pool after a switch, the ManagedResources the extension rt replaces
// deployed for the ContainerRuntime's pool (see runtimes.Successor): those to remove with their objects, waiting
// until gardener-resource-manager deleted them (so the predecessor's node installation has stopped before this
// extension's installer runs), and those to release keeping their objects, which the shared ManagedResource takes
// over. Later reconciles find nothing to do.
func (a *actuator) takeOver(ctx context.Context, log logr.Logger, rt runtimes.Runtime, cr *extensionsv1alpha1.ContainerRuntime) error {
	successor, ok := rt.(runtimes.Successor)
	if !ok {
		return nil
	}
	remove, release := successor.PredecessorManagedResources(cr.Spec.WorkerPool.Name)
	for _, name := range slices.Concat(release, remove) {
		found, err := a.exists(ctx, cr.Namespace, name)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		keepObjects := slices.Contains(release, name)
		log.Info("Deleting a ManagedResource of the extension this one replaces", "managedResource", name, "keepObjects", keepObjects)
		if keepObjects {
			if err := managedresources.SetKeepObjects(ctx, a.client, cr.Namespace, name, true); err != nil {
				return err
			}
		}
		if err := managedresources.DeleteForShoot(ctx, a.client, cr.Namespace, name); err != nil {
			return fmt.Errorf("deleting the predecessor's ManagedResource %s: %w", name, err)
		}
		if keepObjects {
			continue
		}
		waitCtx, cancel := context.WithTimeout(ctx, a.cfg.DeleteTimeout)
		err = managedresources.WaitUntilDeleted(waitCtx, a.client, cr.Namespace, name)
		cancel()
		if err != nil {
			return fmt.Errorf("waiting for the predecessor's ManagedResource %s to be deleted before installing: %w", name, err)
		}
	}
	return nil
}

// exists tells whether the ManagedResource namespace/name exists.
func (a *actuator) exists(ctx context.Context, namespace, name string) (bool, error) {
	err := a.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &resourcesv1alpha1.ManagedResource{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("reading ManagedResource %s/%s: %w", namespace, name, err)
	}
}
