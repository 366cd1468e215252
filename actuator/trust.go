package actuator

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"sigs.k8s.io/controller-runtime/pkg/client"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	v1beta1helper "github.com/gardener/gardener/pkg/api/core/v1beta1/helper"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

// ShootWebhooksTrust trusts a serving certificate once every shoot that calls the pod webhooks does: gardener-resource-
// manager has applied the shared ManagedResource of each shoot namespace at its current generation, and that
// version carries pod webhook configurations whose CA bundles verify the certificate. Shoots that are hibernated or
// being deleted are left out: their API servers call no webhook, and gardener-resource-manager applies the current
// bundle when they wake. A shoot found trusting a certificate is not read again for it while its ManagedResource
// keeps its generation, so that a certificate held back for long costs a read of each shoot's secrets once, not at
// every check.
func ShootWebhooksTrust(c client.Client) certs.Trust {
	var (
		mu sync.Mutex
		// trusting is, per shoot namespace, the ManagedResource generation and certificate serial found trusted.
		trusting = map[string]string{}
		decoder  = serializer.NewCodecFactory(c.Scheme()).UniversalDeserializer()
	)
	return func(ctx context.Context, cert *x509.Certificate) error {
		list := &resourcesv1alpha1.ManagedResourceList{}
		if err := c.List(ctx, list); err != nil {
			return fmt.Errorf("listing ManagedResources: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		var errs []error
		for _, mr := range list.Items {
			if mr.Name != ShootManagedResourceName || mr.DeletionTimestamp != nil {
				continue
			}
			key := fmt.Sprintf("%d/%s", mr.Generation, cert.SerialNumber)
			if trusting[mr.Namespace] == key {
				continue
			}
			if err := shootTrusts(ctx, c, decoder, &mr, cert); err != nil {
				errs = append(errs, fmt.Errorf("shoot %s: %w", mr.Namespace, err))
				continue
			}
			trusting[mr.Namespace] = key
		}
		return errors.Join(errs...)
	}
}

// shootTrusts checks the shared ManagedResource mr of one shoot namespace, decoding its objects with decoder.
func shootTrusts(ctx context.Context, c client.Client, decoder runtime.Decoder, mr *resourcesv1alpha1.ManagedResource, cert *x509.Certificate) error {
	cluster, err := extensionscontroller.GetCluster(ctx, c, mr.Namespace)
	if err != nil {
		return fmt.Errorf("reading the Cluster: %w", err)
	}
	if cluster.Shoot != nil && (cluster.Shoot.DeletionTimestamp != nil || extensionscontroller.IsHibernationEnabled(cluster)) {
		return nil
	}
	applied := v1beta1helper.GetCondition(mr.Status.Conditions, resourcesv1alpha1.ResourcesApplied)
	if mr.Status.ObservedGeneration != mr.Generation || applied == nil || applied.Status != gardencorev1beta1.ConditionTrue {
		return fmt.Errorf("ManagedResource %s is not applied at its current generation yet", mr.Name)
	}
	var bundles []certs.NamedBundle
	for _, ref := range mr.Spec.SecretRefs {
		secret := &corev1.Secret{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: mr.Namespace, Name: ref.Name}, secret); err != nil {
			return fmt.Errorf("reading the secret %s of ManagedResource %s: %w", ref.Name, mr.Name, err)
		}
		objs, err := managedresources.ExtractObjectsFromSecret(decoder, secret)
		if err != nil {
			return fmt.Errorf("reading the objects of ManagedResource %s: %w", mr.Name, err)
		}
		for _, obj := range objs {
			bundles = append(bundles, certs.BundlesOf(obj)...)
		}
	}
	return certs.VerifyAll(bundles, cert, time.Now())
}
