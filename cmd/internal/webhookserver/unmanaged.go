package webhookserver

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	extensionscmdwebhook "github.com/gardener/gardener/extensions/pkg/webhook/cmd"
	"github.com/gardener/gardener/pkg/utils/retry"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

// ServerCertValidity is how long the server certificates of a run without certificate management are valid; they
// are rotated after two thirds of it.
const ServerCertValidity = 7 * 24 * time.Hour

// addUnmanagedWebhooks serves the webhooks of webhookConfig without Gardener's certificate management (no webhook
// config namespace: local runs and tests). Instead of the library's one-off certificates, the server certificates
// come from a CA kept in the certificate directory (see package certs) and are rotated while serving; the webhook
// configurations are registered, as the library does, with that CA's bundle once this replica leads.
func addUnmanagedWebhooks(mgr manager.Manager, name string, webhookConfig *extensionscmdwebhook.AddToManagerConfig) error {
	server, ok := mgr.GetWebhookServer().(*webhook.DefaultServer)
	if !ok {
		return fmt.Errorf("expected controller-runtime's default webhook server, got %T", mgr.GetWebhookServer())
	}
	webhooks, err := webhookConfig.Switch.WebhooksFactory(mgr)
	if err != nil {
		return fmt.Errorf("creating the webhooks: %w", err)
	}
	for _, wh := range webhooks {
		server.Register(webhookPath(wh), wh.Webhook)
	}

	servicePort := server.Options.Port
	if webhookConfig.Server.ServicePort > 0 && webhookConfig.Server.Mode != extensionswebhook.ModeURL {
		servicePort = webhookConfig.Server.ServicePort
	}
	configs, _, err := extensionswebhook.BuildWebhookConfigs(webhooks, mgr.GetClient(), "", name, false, servicePort,
		webhookConfig.Server.Mode, webhookConfig.Server.URL, nil, webhookConfig.General.SelfHostedShootCluster)
	if err != nil {
		return fmt.Errorf("building the webhook configurations: %w", err)
	}

	authority, err := certs.LoadOrCreateAuthority(server.Options.CertDir, extensionswebhook.PrefixedName(name, false))
	if err != nil {
		return err
	}
	rotator := &certs.Rotator{
		Authority: authority,
		Dir:       server.Options.CertDir,
		Hosts:     serverHosts(name, webhookConfig.Server),
		Validity:  ServerCertValidity,
		Log:       mgr.GetLogger().WithName("certificates"),
	}
	// The first certificate must be there before the webhook server starts and reads it.
	if _, err := rotator.Ensure(); err != nil {
		return err
	}
	if err := mgr.Add(rotator); err != nil {
		return fmt.Errorf("adding the certificate rotation: %w", err)
	}

	// A RunnableFunc runs only on the leader.
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		for _, config := range configs.GetWebhookConfigs() {
			if err := retry.UntilTimeout(ctx, time.Second, time.Minute, func(ctx context.Context) (bool, error) {
				if err := extensionswebhook.ReconcileSeedWebhookConfig(ctx, mgr.GetClient(), config, webhookConfig.Server.OwnerNamespace, authority.Bundle()); err != nil {
					return retry.MinorError(err)
				}
				return retry.Ok()
			}); err != nil {
				return fmt.Errorf("registering webhook configuration %s: %w", config.GetName(), err)
			}
		}
		return nil
	}))
}

// webhookPath is where a webhook is served, as the extension library serves it.
func webhookPath(wh *extensionswebhook.Webhook) string {
	if wh.Path == "" {
		return "/" + wh.Name
	}
	if !strings.HasPrefix(wh.Path, "/") {
		return "/" + wh.Path
	}
	return wh.Path
}

// serverHosts are the names the API servers use to reach the webhook server: the host of the URL in url mode, the
// service name otherwise.
func serverHosts(name string, server extensionscmdwebhook.ServerConfig) []string {
	if server.Mode == extensionswebhook.ModeURL {
		if host, _, err := net.SplitHostPort(server.URL); err == nil {
			return []string{host}
		}
		return []string{server.URL}
	}
	return []string{extensionswebhook.PrefixedName(name, false)}
}
