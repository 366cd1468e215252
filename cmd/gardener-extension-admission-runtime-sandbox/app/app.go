// Package app builds the command of the garden-side admission component.
package app

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/component-base/version/verflag"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	extensionscmdwebhook "github.com/gardener/gardener/extensions/pkg/webhook/cmd"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/cmd/internal/webhookserver"
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
	)
	switches := webhookSwitches(func() map[string][]shoot.CapabilityRequirement { return requiredCapabilities })
	opts := webhookserver.NewOptions(Name, switches)
	opts.WebhookConfigurationKinds = []client.Object{&admissionregistrationv1.ValidatingWebhookConfiguration{}}

	cmd := &cobra.Command{
		Use:          "gardener-extension-" + Name,
		Short:        "Validates the gVisor and Kata container runtimes of Shoot worker pools in the garden.",
		SilenceUsage: true,
		RunE: func(_ *cobra.Command, _ []string) error {
			verflag.PrintAndExitIfRequested()

			var err error
			if requiredCapabilities, err = shoot.ParseCapabilityRequirements(requiredCapabilitySpecs, runtimes.Types()); err != nil {
				return fmt.Errorf("invalid --%s: %w", RequiredMachineCapabilitiesFlag, err)
			}
			// A Shoot reaches a webhook only when pools of an enabled runtime type change.
			var enabledTypes []string
			for _, rt := range shootvalidator.Enabled(runtimes.All(), switches.Disabled) {
				enabledTypes = append(enabledTypes, rt.Type())
			}
			opts.MatchConditions = webhookserver.MatchConditions{}
			for _, t := range enabledTypes {
				opts.MatchConditions[shootvalidator.Name(t)] = shootvalidator.MatchConditions(enabledTypes)
			}
			return opts.Run(ctx, nil, nil, gardencorev1beta1.AddToScheme)
		},
	}

	verflag.AddFlags(cmd.Flags())
	opts.AddFlags(cmd.Flags())
	cmd.Flags().StringSliceVar(&requiredCapabilitySpecs, RequiredMachineCapabilitiesFlag, nil,
		"Machine type capabilities that worker pools of a container runtime type need, as <type>:<capability>=<value> "+
			"(repeatable), e.g. kata:nestedVirtualization=supported. Checked against the Shoot's CloudProfile.")
	return cmd
}

// webhookSwitches registers one Shoot validation webhook per sandbox runtime. Each judges the pools of every runtime
// whose webhook is enabled: a disabled runtime's rules apply in none. required and the disabled webhooks are read
// when the webhooks are built, after the flags were parsed.
func webhookSwitches(required func() map[string][]shoot.CapabilityRequirement) *extensionscmdwebhook.SwitchOptions {
	switches := extensionscmdwebhook.NewSwitchOptions()
	for _, rt := range runtimes.All() {
		switches.Register(extensionscmdwebhook.Switch(shootvalidator.Name(rt.Type()), func(mgr manager.Manager) (*extensionswebhook.Webhook, error) {
			return shootvalidator.New(rt, shootvalidator.Enabled(runtimes.All(), switches.Disabled), required(), mgr.GetClient()), nil
		}))
	}
	return switches
}
