// Package app builds the command of the node installer of sandbox runtimes.
package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/version/verflag"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// Name is the name of the node installer.
const Name = "runtime-sandbox-installer"

// options are the flags of the command.
type options struct {
	source          string
	destination     string
	hostDestination string
	sysRoot         string
	runtimeType     string
	nodeName        string
	kubeconfig      string
	resyncInterval  time.Duration
}

// NewCommand returns the command that installs a runtime's binaries on the node, labels the node ready while the
// runtime works there (the whole set of binaries of one payload is installed; for Kata also: the KVM device exists
// and every file the node's Kata configurations refer to is installed), and reinstalls the binaries and checks again
// every resync interval until ctx is done. It keeps the labels when ctx is done: a terminating installer (a rolling
// update, an eviction) leaves working binaries behind, and the labels go with the runtime, when the ContainerRuntime
// is deleted (the actuator removes them from the pool's nodes).
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
	flags.StringVar(&opts.hostDestination, "host-destination", node.BinaryPath, "the path of the destination on the host, which the runtime's configuration files refer to")
	flags.StringVar(&opts.sysRoot, "sys-root", "/sys", "where the host's sysfs is seen (read-only), to check for the KVM device")
	flags.StringVar(&opts.runtimeType, "runtime-type", "", fmt.Sprintf("the runtime whose binaries are installed, one of %s (required)", strings.Join(runtimes.Types(), ", ")))
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
	if known := runtimes.Types(); !slices.Contains(known, o.runtimeType) {
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

// run installs the binaries and labels the node ready when the runtime works there, then installs and checks again
// every resync interval until ctx is done, keeping the labels then. The node stays (or becomes) unlabelled while the
// runtime cannot work there, with a log line that says why; a failed first installation is an error.
func (o *options) run(ctx context.Context, c client.Client) error {
	log := logf.FromContext(ctx)
	notReady, err := o.install(ctx)
	if err != nil {
		return err
	}
	if notReady == nil {
		if err := installer.MarkReady(ctx, c, o.nodeName, o.runtimeType); err != nil {
			return err
		}
		log.Info("Node marked ready", "labels", installer.ReadyLabels(o.runtimeType))
	} else {
		o.unmark(ctx, c, notReady)
	}

	ticker := time.NewTicker(o.resyncInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Info("Terminating, keeping the ready labels: the installed binaries stay and work")
			return nil
		case <-ticker.C:
			notReady, err := o.install(ctx)
			if err != nil {
				notReady = fmt.Errorf("reinstallation failed: %w", err)
			}
			if notReady != nil {
				o.unmark(ctx, c, notReady)
				continue
			}
			if err := installer.MarkReady(ctx, c, o.nodeName, o.runtimeType); err != nil {
				log.Error(err, "Marking the node ready failed")
			}
		}
	}
}

// unmark removes the ready labels because of reason, and logs why.
func (o *options) unmark(ctx context.Context, c client.Client, reason error) {
	log := logf.FromContext(ctx)
	log.Info("The runtime cannot work on this node, it is not labelled ready", "labels", installer.ReadyLabels(o.runtimeType), "reason", reason.Error())
	if err := installer.UnmarkReady(ctx, c, o.nodeName, o.runtimeType); err != nil {
		log.Error(err, "Removing the ready labels failed")
	}
}

// install installs the payload from the source to the destination (installer.InstallPayload: the binaries as one
// set, switched at once) and logs what it changed. It returns why the runtime cannot work on the node (nil when it
// can: the whole set is verified), or an error when the installation failed.
func (o *options) install(ctx context.Context) (notReady, err error) {
	log := logf.FromContext(ctx)
	var dirs []string
	if o.runtimeType == kata.Type {
		// The installer checks its image's payload against the layout the configurations are rendered for.
		if err := kata.CheckPayload(o.source); err != nil {
			return nil, fmt.Errorf("the image's Kata payload in %s is incomplete: %w", o.source, err)
		}
		dirs = append(dirs, path.Join(kata.VersionsDir, kata.Version))
	}
	changes, err := installer.InstallPayload(o.source, o.destination, o.runtimeType, dirs...)
	if err != nil {
		return nil, fmt.Errorf("installing %s to %s: %w", o.source, o.destination, err)
	}
	if len(changes.Changed) > 0 || len(changes.Removed) > 0 {
		log.Info("Installed binaries", "source", o.source, "destination", o.destination, "set", changes.Stamp, "changed", changes.Changed, "removed", changes.Removed)
	} else {
		log.V(1).Info("Binaries up to date", "source", o.source, "destination", o.destination, "set", changes.Stamp)
	}
	if err := installer.Verify(o.destination, o.runtimeType); err != nil {
		return fmt.Errorf("the installed binaries are not one whole set: %w", err), nil
	}
	if o.runtimeType != kata.Type {
		return nil, nil
	}
	return o.checkKata(ctx)
}

// checkKata removes the Kata versions no configuration on the node refers to any more, keeping the one this
// installer ships, and tells why Kata cannot work on the node (nil when it can).
func (o *options) checkKata(ctx context.Context) (notReady, err error) {
	log := logf.FromContext(ctx)
	files, err := installer.CheckKataFiles(o.destination, o.hostDestination)
	if err != nil {
		return nil, fmt.Errorf("checking the node's Kata configurations: %w", err)
	}
	keep := maps.Clone(files.Versions)
	keep[kata.Version] = true
	removed, err := installer.RemoveUnreferencedVersions(filepath.Join(o.destination, kata.VersionsDir), keep)
	if len(removed) > 0 {
		log.Info("Removed Kata versions no configuration refers to", "versions", removed, "referenced", slices.Sorted(maps.Keys(files.Versions)))
	}
	if err != nil {
		return nil, err
	}
	return errors.Join(installer.CheckKVM(o.sysRoot), files.Ready()), nil
}
