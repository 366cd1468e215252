// Package webhookserver runs the webhook server the extension's binaries share: a controller-runtime manager
// whose webhooks are served and registered by Gardener's extension webhook library.
package webhookserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	extensionscmdwebhook "github.com/gardener/gardener/extensions/pkg/webhook/cmd"
)

// run starts a manager against config with the given schemes, adds the webhooks of webhookConfig (which also
// registers their webhook configurations, with conditions), the handlers of extra on the webhook server, what setup
// adds and health checks, and serves until ctx is done.
func run(ctx context.Context, name string, config *rest.Config, mgrOptions manager.Options, webhookConfig *extensionscmdwebhook.AddToManagerConfig, conditions MatchConditions, extra map[string]http.Handler, setup func(context.Context, manager.Manager) error, schemes ...func(*runtime.Scheme) error) error {
	log := logf.Log.WithName(name)

	// In a cluster, the webhook certificates are kept in the cluster the component runs in; outside of one (local
	// runs) that is the target cluster itself.
	sourceConfig, err := rest.InClusterConfig()
	if errors.Is(err, rest.ErrNotInCluster) {
		sourceConfig = config
	} else if err != nil {
		return fmt.Errorf("reading the in-cluster config: %w", err)
	}
	mgrOptions.LeaderElectionConfig = sourceConfig
	leastPrivilegeCache(&mgrOptions, name, webhookConfig.Server.OwnerNamespace)
	// controller-runtime checks controller names process-wide, not per manager: a component restarted in the same
	// process (as the fault suites restart it, where the kubelet would start a new container) would be refused. Each
	// controller is added once per manager.
	mgrOptions.Controller.SkipNameValidation = new(true)

	mgr, err := manager.New(config, mgrOptions)
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	for _, addToScheme := range schemes {
		if err := addToScheme(mgr.GetScheme()); err != nil {
			return fmt.Errorf("registering APIs: %w", err)
		}
	}

	if err := addWebhooks(ctx, withMatchConditions(mgr, extensionswebhook.PrefixedName(name, false), conditions), name, sourceConfig, webhookConfig); err != nil {
		return fmt.Errorf("adding the webhooks: %w", err)
	}
	for path, handler := range extra {
		mgr.GetWebhookServer().Register(path, handler)
	}
	if setup != nil {
		if err := setup(ctx, mgr); err != nil {
			return fmt.Errorf("setting up %s: %w", name, err)
		}
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("webhook-server", mgr.GetWebhookServer().StartedChecker()); err != nil {
		return fmt.Errorf("adding the readiness check: %w", err)
	}

	log.Info("Starting")
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}

// leastPrivilegeCache keeps what the component need not hold out of its manager's cache, so that it needs neither
// the RBAC to list and watch it nor keeps it in memory: Secrets are never cached (the seed component reads a few by
// name, while a cache would hold every shoot's credentials and CA keys), and of the cluster-scoped objects it reads
// by name, only those are cached: its own webhook configurations (named after the component) and the namespace that
// owns them. A list or watch with a metadata.name field selector is authorised against RBAC resourceNames.
func leastPrivilegeCache(opts *manager.Options, name, ownerNamespace string) {
	if opts.Client.Cache == nil {
		opts.Client.Cache = &client.CacheOptions{}
	}
	opts.Client.Cache.DisableFor = append(opts.Client.Cache.DisableFor, &corev1.Secret{})

	byName := func(objName string) cache.ByObject {
		return cache.ByObject{Field: fields.OneTermEqualSelector(metav1.ObjectNameField, objName)}
	}
	if opts.Cache.ByObject == nil {
		opts.Cache.ByObject = map[client.Object]cache.ByObject{}
	}
	webhookConfigName := extensionswebhook.PrefixedName(name, false)
	opts.Cache.ByObject[&admissionregistrationv1.MutatingWebhookConfiguration{}] = byName(webhookConfigName)
	opts.Cache.ByObject[&admissionregistrationv1.ValidatingWebhookConfiguration{}] = byName(webhookConfigName)
	if ownerNamespace != "" {
		opts.Cache.ByObject[&corev1.Namespace{}] = byName(ownerNamespace)
	}
}

// addWebhooks serves the webhooks of webhookConfig and registers their webhook configurations. With a webhook config
// namespace (in a cluster), Gardener's extension library does that, with its certificate management: CA and server
// certificate as secrets in that namespace of the source cluster, rotated, reloaded while serving and injected into
// the webhook configurations. Without one (local runs, tests), see addUnmanagedWebhooks.
func addWebhooks(ctx context.Context, mgr manager.Manager, name string, sourceConfig *rest.Config, webhookConfig *extensionscmdwebhook.AddToManagerConfig) error {
	if webhookConfig.Server.Namespace == "" {
		return addUnmanagedWebhooks(mgr, name, webhookConfig)
	}
	// The certificate management reads only the secrets of its namespace: the cache is limited to it, so that the
	// component needs no cluster-wide read access to secrets.
	sourceCluster, err := cluster.New(sourceConfig, func(opts *cluster.Options) {
		opts.Logger = mgr.GetLogger()
		opts.Cache.DefaultNamespaces = map[string]cache.Config{webhookConfig.Server.Namespace: {}}
		// Namespaces are cluster-scoped: only the webhook configurations' own one is read.
		opts.Cache.ByObject = map[client.Object]cache.ByObject{
			&corev1.Namespace{}: {Field: fields.OneTermEqualSelector(metav1.ObjectNameField, webhookConfig.Server.Namespace)},
		}
	})
	if err != nil {
		return fmt.Errorf("creating the source cluster: %w", err)
	}
	if err := mgr.Add(sourceCluster); err != nil {
		return fmt.Errorf("adding the source cluster: %w", err)
	}
	_, err = webhookConfig.AddToManager(ctx, mgr, sourceCluster)
	return err
}
