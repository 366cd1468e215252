package webhookserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	extensionscmdcontroller "github.com/gardener/gardener/extensions/pkg/controller/cmd"
	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	"github.com/gardener/gardener/extensions/pkg/webhook/certificates"
	extensionscmdwebhook "github.com/gardener/gardener/extensions/pkg/webhook/cmd"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

// Options are the command-line options both binaries share: Gardener's extension library options for the REST
// client, the manager and the webhook server.
type Options struct {
	// MatchConditions are the CEL match conditions of the switched webhooks, by webhook name.
	MatchConditions MatchConditions

	name    string
	rest    *extensionscmdcontroller.RESTOptions
	manager *extensionscmdcontroller.ManagerOptions
	webhook *extensionscmdwebhook.AddToManagerOptions
	all     extensionscmdcontroller.OptionAggregator

	pprofBindAddress      string
	certificateSyncPeriod time.Duration

	// WebhookConfigurationKinds are the kinds of webhook configuration the component registers (e.g. an empty
	// MutatingWebhookConfiguration): a new serving certificate is served once they carry its CA (see
	// certs.Reloader). Only these are read, as the component may read no others.
	WebhookConfigurationKinds []client.Object
	// ServingTrust, if set, returns what else must trust a new serving certificate before it is served.
	ServingTrust func(manager.Manager) certs.Trust

	// CacheTransform, if set, is applied to every object the manager's cache keeps, after their managedFields are
	// dropped (e.g. to drop what no reader of an object uses).
	CacheTransform toolscache.TransformFunc
}

// NewOptions returns the options of the component name (e.g. "runtime-sandbox") serving the webhooks of switches.
func NewOptions(name string, switches *extensionscmdwebhook.SwitchOptions) *Options {
	o := &Options{
		name: name,
		rest: &extensionscmdcontroller.RESTOptions{},
		manager: &extensionscmdcontroller.ManagerOptions{
			LeaderElection:          true,
			LeaderElectionID:        extensionscmdcontroller.LeaderElectionNameID(name),
			LeaderElectionNamespace: os.Getenv("LEADER_ELECTION_NAMESPACE"),
			WebhookServerPort:       10250,
			WebhookCertDir:          "/tmp/gardener-extension-" + name + "-cert",
		},
		webhook: extensionscmdwebhook.NewAddToManagerOptions(name, "", nil, nil,
			&extensionscmdwebhook.ServerOptions{Namespace: os.Getenv("WEBHOOK_CONFIG_NAMESPACE")}, switches),
	}
	o.all = extensionscmdcontroller.NewOptionAggregator(o.rest, o.manager, o.webhook)
	return o
}

// ServerConfig returns how the webhook server is exposed (mode, URL, namespace, service port). Only valid once Run
// has completed the options, e.g. inside its setup function.
func (o *Options) ServerConfig() extensionscmdwebhook.ServerConfig {
	return o.webhook.Completed().Server
}

// AddFlags adds the options' flags to fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	o.all.AddFlags(fs)
	fs.DurationVar(&o.certificateSyncPeriod, "webhook-certificate-sync-period", 5*time.Minute, "How often Gardener's certificate management (with --webhook-config-namespace) renews the webhook certificates that are due and reloads a renewed server certificate.")
	fs.StringVar(&o.pprofBindAddress, "pprof-bind-address", "", "TCP address to serve Go's pprof profiles on (e.g. 127.0.0.1:6060); empty for none. Profiles reveal memory contents: bind to loopback.")
}

// Run completes the options, sets up logging and runs the webhook server until ctx is done: a manager with the given
// schemes, the switched webhooks (registered with their match conditions), the handlers of extra on the webhook
// server (path to handler; their webhook configurations are deployed elsewhere), what setup adds (e.g. controllers;
// nil for nothing) and health checks.
func (o *Options) Run(ctx context.Context, extra map[string]http.Handler, setup func(context.Context, manager.Manager) error, schemes ...func(*runtime.Scheme) error) error {
	if err := o.all.Complete(); err != nil {
		return fmt.Errorf("completing options: %w", err)
	}
	logf.SetLogger(o.manager.Completed().Logger)
	// The extension library reads its certificate management's period from this variable only.
	certificates.DefaultSyncPeriod = o.certificateSyncPeriod
	mgrOptions := o.manager.Completed().Options()
	mgrOptions.PprofBindAddress = o.pprofBindAddress
	mgrOptions.Cache.DefaultTransform = cacheTransform(o.CacheTransform)
	server, ok := mgrOptions.WebhookServer.(*webhook.DefaultServer)
	if !ok {
		return fmt.Errorf("expected controller-runtime's default webhook server, got %T", mgrOptions.WebhookServer)
	}
	certificate := &certs.Reloader{Dir: server.Options.CertDir, Log: logf.Log.WithName(o.name).WithName("serving-certificate")}
	server.Options.TLSOpts = append(server.Options.TLSOpts, httpOneOnly, certificate.TLSOption)
	setupAll := func(ctx context.Context, mgr manager.Manager) error {
		certificate.Trust = certs.WebhookConfigurations(mgr.GetClient(), extensionswebhook.PrefixedName(o.name, false), o.WebhookConfigurationKinds...)
		if o.ServingTrust != nil {
			certificate.Trust = certs.TrustAll(certificate.Trust, o.ServingTrust(mgr))
		}
		if err := mgr.Add(certificate); err != nil {
			return fmt.Errorf("adding the serving certificate: %w", err)
		}
		if setup == nil {
			return nil
		}
		return setup(ctx, mgr)
	}
	return run(ctx, o.name, o.rest.Completed().Config, mgrOptions, o.webhook.Completed(), o.MatchConditions, extra, setupAll, schemes...)
}

// httpOneOnly serves the webhooks over HTTP/1.1 only. controller-runtime's webhook server offers HTTP/2 (its TLS
// configuration names only "h2"), but kube-apiserver calls a webhook over HTTP/1.1 whenever it reaches it through a
// service or a URL that is not on loopback, i.e. in every landscape (k8s.io/apiserver/pkg/util/webhook: HTTP/2
// would not spread the calls over the replicas). So HTTP/2 served only local runs: without it, the server is out of
// reach of HTTP/2's stream attacks (rapid reset, CVE-2023-44487), and local runs and `make bench` measure the
// protocol of the landscapes (which cost about the same per review there, see BENCHMARKS.md).
func httpOneOnly(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }
