// Package app builds the command of the node installer of sandbox runtimes.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/version/verflag"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/gardener/gardener-extension-runtime-sandbox/cmd/runtime-sandbox-installer/installer"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

// Name is the name of the node installer.
const Name = "runtime-sandbox-installer"

// unmarkTimeout bounds the removal of the ready label after termination.
const unmarkTimeout = 30 * time.Second

// options are the flags of the command.
type options struct {
	source         string
	destination    string
	runtimeType    string
	nodeName       string
	kubeconfig     string
	resyncInterval time.Duration
}

// NewCommand returns the command that installs a runtime's binaries on the node, labels the node ready until ctx
// is done, reinstalls the binaries every resync interval, and removes the label when ctx is done.
func NewCommand(ctx context.Context) *cobra.Command {
	opts := options{}
	cmd := &cobra.Command{
		Use:          Name,
		Short:        "Installs the binaries of a sandbox runtime on the node and labels the node ready for it while running.",
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			verflag.PrintAndExitIfRequested()
			if opts.source == "" {
				opts.source = installer.SourceDir(opts.runtimeType)
			}
			if err := opts.validate(); err != nil {
				return err
			}
			log := zap.New(zap.WriteTo(cmd.ErrOrStderr())).WithValues("node", opts.nodeName, "runtimeType", opts.runtimeType)
			logf.SetLogger(log)
			cfg, err := opts.restConfig()
			if err != nil {
				return fmt.Errorf("loading the kubeconfig: %w", err)
			}
			c, err := client.New(cfg, client.Options{})
			if err != nil {
				return fmt.Errorf("creating the client: %w", err)
			}
			return opts.run(logf.IntoContext(ctx, log), c)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&opts.source, "source", "", "the directory of the image that holds the runtime's binaries (default "+installer.SourceDir("<runtime-type>")+")")
	flags.StringVar(&opts.destination, "destination", "", "the host's container runtime binary path, mounted via hostPath (required)")
	flags.StringVar(&opts.runtimeType, "runtime-type", "", fmt.Sprintf("the runtime whose binaries are installed: %s or %s (required)", gvisor.Type, kata.Type))
	flags.StringVar(&opts.nodeName, "node-name", os.Getenv("NODE_NAME"), "the node to label, defaults to $NODE_NAME (required)")
	flags.StringVar(&opts.kubeconfig, "kubeconfig", "", "a kubeconfig to use instead of the in-cluster configuration")
	flags.DurationVar(&opts.resyncInterval, "resync-interval", 10*time.Minute, "how often the binaries are installed again, restoring deleted or changed ones")
	verflag.AddFlags(flags)
	return cmd
}

// validate checks that the required flags are given and valid.
func (o *options) validate() error {
	var errs []error
	if o.destination == "" {
		errs = append(errs, errors.New("--destination is required"))
	}
	if known := []string{gvisor.Type, kata.Type}; !slices.Contains(known, o.runtimeType) {
		errs = append(errs, fmt.Errorf("--runtime-type must be one of %v, got %q", known, o.runtimeType))
	}
	if o.nodeName == "" {
		errs = append(errs, errors.New("--node-name or $NODE_NAME is required"))
	}
	if o.resyncInterval <= 0 {
		errs = append(errs, fmt.Errorf("--resync-interval must be positive, got %v", o.resyncInterval))
	}
	return errors.Join(errs...)
}

// restConfig loads the kubeconfig given by --kubeconfig, or else the in-cluster configuration (or $KUBECONFIG).
func (o *options) restConfig() (*rest.Config, error) {
	if o.kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	}
	return config.GetConfig()
}

// run installs the binaries and labels the node ready, then reinstalls them every resync interval until ctx is
// done, and finally removes the label. A failed reinstallation removes the label until a later one succeeds.
func (o *options) run(ctx context.Context, c client.Client) error {
	log := logf.FromContext(ctx)
	if err := o.install(ctx); err != nil {
		return err
	}
	if err := installer.MarkReady(ctx, c, o.nodeName, o.runtimeType); err != nil {
		return err
	}
	log.Info("Node marked ready")

	ticker := time.NewTicker(o.resyncInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Info("Terminating, removing the ready label")
			unmarkCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unmarkTimeout)
			defer cancel()
			if err := installer.UnmarkReady(unmarkCtx, c, o.nodeName, o.runtimeType); err != nil {
				return err
			}
			log.Info("Ready label removed")
			return nil
		case <-ticker.C:
			if err := o.install(ctx); err != nil {
				log.Error(err, "Reinstallation failed, removing the ready label until it succeeds")
				if err := installer.UnmarkReady(ctx, c, o.nodeName, o.runtimeType); err != nil {
					log.Error(err, "Removing the ready label failed")
				}
				continue
			}
			if err := installer.MarkReady(ctx, c, o.nodeName, o.runtimeType); err != nil {
				log.Error(err, "Marking the node ready failed")
			}
		}
	}
}

// install copies the binaries from the source to the destination and logs what it changed.
func (o *options) install(ctx context.Context) error {
	log := logf.FromContext(ctx)
	changed, err := installer.Install(o.source, o.destination)
	if err != nil {
		return fmt.Errorf("installing %s to %s: %w", o.source, o.destination, err)
	}
	if len(changed) > 0 {
		log.Info("Installed binaries", "source", o.source, "destination", o.destination, "changed", changed)
	} else {
		log.V(1).Info("Binaries up to date", "source", o.source, "destination", o.destination)
	}
	return nil
}
