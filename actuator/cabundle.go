package actuator

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
)

// RefreshShootWebhooks rewrites the shared ManagedResource of every shoot namespace that has one, from the
// namespace's Cluster and with the pod webhooks' current client configuration (cfg.PodWebhookClientConfig). The
// component's webhook CA is rotated (by Gardener's certificate management in a cluster); the shoots' pod webhook
// configurations carry its CA bundle and must follow at once, not with their next ContainerRuntime reconciliation.
func RefreshShootWebhooks(ctx context.Context, c client.Client, cfg Config) error {
	list := &resourcesv1alpha1.ManagedResourceList{}
	if err := c.List(ctx, list); err != nil {
		return fmt.Errorf("listing ManagedResources: %w", err)
	}
	a := &actuator{client: c, cfg: cfg}
	var errs []error
	for _, mr := range list.Items {
		if mr.Name != ShootManagedResourceName || mr.DeletionTimestamp != nil {
			continue
		}
		cluster, err := extensionscontroller.GetCluster(ctx, c, mr.Namespace)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading the Cluster %s: %w", mr.Namespace, err))
			continue
		}
		if _, err := a.writeShared(ctx, mr.Namespace, cluster, nil, false); err != nil {
			errs = append(errs, fmt.Errorf("refreshing the shoot webhooks of %s: %w", mr.Namespace, err))
		}
	}
	return errors.Join(errs...)
}

// AddShootWebhookRefresh adds a controller that calls RefreshShootWebhooks when the component's seed
// MutatingWebhookConfiguration webhookConfigName appears or its CA bundle changes. It runs in the leader.
func AddShootWebhookRefresh(mgr manager.Manager, cfg Config, webhookConfigName string) error {
	caBundleChanged := predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return true },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !bytes.Equal(caBundleOf(e.ObjectOld), caBundleOf(e.ObjectNew))
		},
	}
	named := predicate.NewPredicateFuncs(func(obj client.Object) bool { return obj.GetName() == webhookConfigName })
	return builder.ControllerManagedBy(mgr).
		Named("shoot-webhook-ca").
		For(&admissionregistrationv1.MutatingWebhookConfiguration{}, builder.WithPredicates(named, caBundleChanged)).
		Complete(reconcile.Func(func(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
			if err := RefreshShootWebhooks(ctx, mgr.GetClient(), cfg); err != nil {
				return reconcile.Result{}, err
			}
			logf.FromContext(ctx).Info("Refreshed the shoots' pod webhook configurations with the current CA bundle")
			return reconcile.Result{}, nil
		}))
}

// caBundleOf returns the CA bundle of a MutatingWebhookConfiguration, or nil.
func caBundleOf(obj client.Object) []byte {
	config, ok := obj.(*admissionregistrationv1.MutatingWebhookConfiguration)
	if !ok {
		return nil
	}
	caBundle, err := extensionswebhook.GetCABundleFromWebhookConfig(config)
	if err != nil {
		return nil
	}
	return caBundle
}
