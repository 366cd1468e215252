// Package app builds the command of the seed-side component.
package app

import (
	"context"
	"net/http"
	"slices"

	"github.com/spf13/cobra"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/component-base/version/verflag"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	extensionscmdwebhook "github.com/gardener/gardener/extensions/pkg/webhook/cmd"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
	"github.com/gardener/gardener-extension-runtime-sandbox/cmd/internal/webhookserver"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/oscmutator"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

// Name is the name of the seed-side component.
const Name = "runtime-sandbox"

// NewCommand returns the command that runs the seed-side webhooks.
func NewCommand(ctx context.Context) *cobra.Command {
	switches := webhookSwitches()
	opts := webhookserver.NewOptions(Name, switches)
	opts.CacheTransform = TrimCluster
	opts.MatchConditions = webhookserver.MatchConditions{oscmutator.Name: oscmutator.MatchConditions()}
	opts.WebhookConfigurationKinds = []client.Object{&admissionregistrationv1.MutatingWebhookConfiguration{}}
	// The shoots call the pod webhooks: a serving certificate of a rotated CA waits until they carry the CA.
	opts.ServingTrust = func(mgr manager.Manager) certs.Trust { return actuator.ShootWebhooksTrust(mgr.GetClient()) }
	ctrlOpts := &controllerOptions{
		server:             opts.ServerConfig,
		oscWebhookDisabled: func() bool { return slices.Contains(switches.Disabled, oscmutator.Name) },
	}
	cmd := &cobra.Command{
		Use:          "gardener-extension-" + Name,
		Short:        "Reconciles gVisor and Kata ContainerRuntimes, adds their node configuration to OperatingSystemConfigs and defaults the pods of shoots to sandboxes.",
		SilenceUsage: true,
		RunE: func(_ *cobra.Command, _ []string) error {
			verflag.PrintAndExitIfRequested()
			return opts.Run(ctx, map[string]http.Handler{podwebhook.PathPrefix: podwebhook.NewHandler()}, ctrlOpts.setup,
				extensionsv1alpha1.AddToScheme, resourcesv1alpha1.AddToScheme)
		},
	}
	verflag.AddFlags(cmd.Flags())
	opts.AddFlags(cmd.Flags())
	ctrlOpts.addFlags(cmd.Flags())
	return cmd
}

// webhookSwitches registers the OperatingSystemConfig webhook.
func webhookSwitches() *extensionscmdwebhook.SwitchOptions {
	return extensionscmdwebhook.NewSwitchOptions(extensionscmdwebhook.Switch(oscmutator.Name, func(mgr manager.Manager) (*extensionswebhook.Webhook, error) {
		return oscmutator.New(mgr, runtimes.All())
	}))
}
