// Package app builds the command of the garden-side admission component.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/component-base/version/verflag"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionscmdcontroller "github.com/gardener/gardener/extensions/pkg/controller/cmd"
	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	extensionscmdwebhook "github.com/gardener/gardener/extensions/pkg/webhook/cmd"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/validators/shoot"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/shootvalidator"
)

// Name is the name of the admission component.
const Name = "admission-runtime-sandbox"

// RequiredMachineCapabilitiesFlag is the flag that lists the machine capabilities a runtime type needs.
const RequiredMachineCapabilitiesFlag = "required-machine-capabilities"

// NewCommand returns the command that runs the Shoot validation webhooks for the garden.
func NewCommand(ctx context.Context) *cobra.Command {
	var (
		requiredCapabilitySpecs []string
		requiredCapabilities    map[string][]shoot.CapabilityRequirement

		restOpts = &extensionscmdcontroller.RESTOptions{}
		mgrOpts  = &extensionscmdcontroller.ManagerOptions{
			LeaderElection:          true,
			LeaderElectionID:        extensionscmdcontroller.LeaderElectionNameID(Name),
			LeaderElectionNamespace: os.Getenv("LEADER_ELECTION_NAMESPACE"),
			WebhookServerPort:       10250,
			WebhookCertDir:          "/tmp/" + Name + "-cert",
		}
		webhookOpts = extensionscmdwebhook.NewAddToManagerOptions(
			Name, "", nil, nil,
			&extensionscmdwebhook.ServerOptions{Namespace: os.Getenv("WEBHOOK_CONFIG_NAMESPACE")},
			webhookSwitches(func() map[string][]shoot.CapabilityRequirement { return requiredCapabilities }),
		)
		aggOpts = extensionscmdcontroller.NewOptionAggregator(restOpts, mgrOpts, webhookOpts)
	)

	cmd := &cobra.Command{
		Use:           "gardener-extension-" + Name,
		Short:         "Validates the gVisor and Kata container runtimes of Shoot worker pools in the garden.",
		SilenceUsage:  true,
		SilenceErrors: false,
		RunE: func(_ *cobra.Command, _ []string) error {
			verflag.PrintAndExitIfRequested()

			var err error
			if requiredCapabilities, err = shoot.ParseCapabilityRequirements(requiredCapabilitySpecs, runtimes.Types()); err != nil {
				return fmt.Errorf("invalid --%s: %w", RequiredMachineCapabilitiesFlag, err)
			}
			if err := aggOpts.Complete(); err != nil {
				return fmt.Errorf("completing options: %w", err)
			}
			logf.SetLogger(mgrOpts.Completed().Logger)
			return run(ctx, restOpts.Completed().Config, mgrOpts.Completed().Options(), webhookOpts.Completed())
		},
	}

	verflag.AddFlags(cmd.Flags())
	aggOpts.AddFlags(cmd.Flags())
	cmd.Flags().StringSliceVar(&requiredCapabilitySpecs, RequiredMachineCapabilitiesFlag, nil,
		"Machine type capabilities that worker pools of a container runtime type need, as <type>:<capability>=<value> "+
			"(repeatable), e.g. kata:nestedVirtualization=supported. Checked against the Shoot's CloudProfile.")
	return cmd
}

// webhookSwitches registers one Shoot validation webhook per sandbox runtime. required is read when the webhooks
// are built, after the flags were parsed.
func webhookSwitches(required func() map[string][]shoot.CapabilityRequirement) *extensionscmdwebhook.SwitchOptions {
	var pairs []extensionscmdwebhook.NameToFactory
	for _, rt := range runtimes.All() {
		pairs = append(pairs, extensionscmdwebhook.Switch(shootvalidator.Name(rt.Type()), func(mgr manager.Manager) (*extensionswebhook.Webhook, error) {
			return shootvalidator.New(rt, required()[rt.Type()], mgr.GetClient()), nil
		}))
	}
	return extensionscmdwebhook.NewSwitchOptions(pairs...)
}

func run(ctx context.Context, gardenConfig *rest.Config, mgrOptions manager.Options, webhookConfig *extensionscmdwebhook.AddToManagerConfig) error {
	log := logf.Log.WithName(Name)

	// In a cluster, the webhook certificates are kept in the cluster the component runs in; outside of one (local
	// runs) that is the garden itself.
	sourceConfig, err := rest.InClusterConfig()
	if errors.Is(err, rest.ErrNotInCluster) {
		sourceConfig = gardenConfig
	} else if err != nil {
		return fmt.Errorf("reading the in-cluster config: %w", err)
	}
	mgrOptions.LeaderElectionConfig = sourceConfig

	mgr, err := manager.New(gardenConfig, mgrOptions)
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if err := gardencorev1beta1.AddToScheme(mgr.GetScheme()); err != nil {
		return fmt.Errorf("registering the Gardener core API: %w", err)
	}

	sourceCluster, err := cluster.New(sourceConfig, func(opts *cluster.Options) { opts.Logger = log })
	if err != nil {
		return fmt.Errorf("creating the source cluster: %w", err)
	}
	if err := mgr.Add(sourceCluster); err != nil {
		return fmt.Errorf("adding the source cluster: %w", err)
	}

	if _, err := webhookConfig.AddToManager(ctx, mgr, sourceCluster); err != nil {
		return fmt.Errorf("adding the webhooks: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("webhook-server", mgr.GetWebhookServer().StartedChecker()); err != nil {
		return fmt.Errorf("adding the readiness check: %w", err)
	}

	log.Info("Starting", "runtimes", runtimes.Types())
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the manager: %w", err)
	}
	return nil
}
