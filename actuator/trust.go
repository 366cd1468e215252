package actuator

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	v1beta1helper "github.com/gardener/gardener/pkg/api/core/v1beta1/helper"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

// ShootWebhooksTrust trusts a serving certificate once every shoot that calls the pod webhooks does: the shared
// ManagedResource of each shoot namespace carries pod webhook configurations whose CA bundles verify it, and
// gardener-resource-manager has applied that version of it. Shoots that are hibernated or being deleted are left
// out: their API servers call no webhook, and gardener-resource-manager applies the current bundle when they wake.
func ShootWebhooksTrust(c client.Client) certs.Trust {
	return func(ctx context.Context, cert *x509.Certificate) error {
		list := &resourcesv1alpha1.ManagedResourceList{}
		if err := c.List(ctx, list); err != nil {
			return fmt.Errorf("listing ManagedResources: %w", err)
		}
		var errs []error
		for _, mr := range list.Items {
			if mr.Name != ShootManagedResourceName || mr.DeletionTimestamp != nil {
				continue
			}
			if err := shootTrusts(ctx, c, &mr, cert); err != nil {
				errs = append(errs, fmt.Errorf("shoot %s: %w", mr.Namespace, err))
			}
		}
		return errors.Join(errs...)
	}
}

// shootTrusts checks the shared ManagedResource mr of one shoot namespace.
func shootTrusts(ctx context.Context, c client.Client, mr *resourcesv1alpha1.ManagedResource, cert *x509.Certificate) error {
	cluster, err := extensionscontroller.GetCluster(ctx, c, mr.Namespace)
	if err != nil {
		return fmt.Errorf("reading the Cluster: %w", err)
	}
	if cluster.Shoot != nil && (cluster.Shoot.DeletionTimestamp != nil || extensionscontroller.IsHibernationEnabled(cluster)) {
		return nil
	}
	objs, err := managedresources.GetObjects(ctx, c, mr.Namespace, mr.Name)
	if err != nil {
		return err
	}
	var bundles []certs.NamedBundle
	for _, obj := range objs {
		bundles = append(bundles, certs.BundlesOf(obj)...)
	}
	if err := certs.VerifyAll(bundles, cert, time.Now()); err != nil {
		return err
	}
	applied := v1beta1helper.GetCondition(mr.Status.Conditions, resourcesv1alpha1.ResourcesApplied)
	if mr.Status.ObservedGeneration != mr.Generation || applied == nil || applied.Status != gardencorev1beta1.ConditionTrue {
		return fmt.Errorf("ManagedResource %s carries the CA but is not applied yet", mr.Name)
	}
	return nil
}
