package webhookserver

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionscmdcontroller "github.com/gardener/gardener/extensions/pkg/controller/cmd"
	extensionscmdwebhook "github.com/gardener/gardener/extensions/pkg/webhook/cmd"
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
func (o *Options) AddFlags(fs *pflag.FlagSet) { o.all.AddFlags(fs) }

// Run completes the options, sets up logging and runs the webhook server until ctx is done: a manager with the given
// schemes, the switched webhooks (registered with their match conditions), the handlers of extra on the webhook
// server (path to handler; their webhook configurations are deployed elsewhere), what setup adds (e.g. controllers;
// nil for nothing) and health checks.
func (o *Options) Run(ctx context.Context, extra map[string]http.Handler, setup func(context.Context, manager.Manager) error, schemes ...func(*runtime.Scheme) error) error {
	if err := o.all.Complete(); err != nil {
		return fmt.Errorf("completing options: %w", err)
	}
	logf.SetLogger(o.manager.Completed().Logger)
	return run(ctx, o.name, o.rest.Completed().Config, o.manager.Completed().Options(), o.webhook.Completed(), o.MatchConditions, extra, setup, schemes...)
}
