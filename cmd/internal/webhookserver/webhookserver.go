// Package webhookserver runs the webhook server the extension's binaries share: a controller-runtime manager
// whose webhooks are served and registered by Gardener's extension webhook library.
package webhookserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionscmdwebhook "github.com/gardener/gardener/extensions/pkg/webhook/cmd"
)

// Run starts a manager against config with the given schemes, adds the webhooks of webhookConfig (which also
// registers their webhook configurations), the handlers of extra on the webhook server (path to handler; their
// webhook configurations are deployed elsewhere), what setup adds (e.g. controllers; nil for nothing) and health
// checks, and serves until ctx is done.
func Run(ctx context.Context, name string, config *rest.Config, mgrOptions manager.Options, webhookConfig *extensionscmdwebhook.AddToManagerConfig, extra map[string]http.Handler, setup func(context.Context, manager.Manager) error, schemes ...func(*runtime.Scheme) error) error {
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

	mgr, err := manager.New(config, mgrOptions)
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	for _, addToScheme := range schemes {
		if err := addToScheme(mgr.GetScheme()); err != nil {
			return fmt.Errorf("registering APIs: %w", err)
		}
	}

	if err := addWebhooks(ctx, mgr, name, sourceConfig, webhookConfig); err != nil {
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
