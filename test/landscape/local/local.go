// Package local starts what `make run-local` runs: the local landscape with the extension's components, the sample
// Shoot's seed side and its shoot side, printing one progress line per step and one line with "ready" once every
// webhook answers. cmd run-local and the test of the README's walkthrough (test/tryit) share it, so that the lines
// the README quotes are the ones a user sees.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

// Options configure the local landscape.
type Options struct {
	// Terminal receives the progress lines and the ready line.
	Terminal io.Writer
	// Kubeconfig is where the admin kubeconfig is written.
	Kubeconfig string
	// KubeconfigShown is how the ready line names the kubeconfig (e.g. relative to the working directory); defaults
	// to Kubeconfig.
	KubeconfigShown string
	// Kubectl is the kubectl the ready line suggests.
	Kubectl string
	// LogDir, when set, is named in the first line as where the logs go.
	LogDir string
	// ControlPlaneOutput receives etcd's and kube-apiserver's logs and all of gardener-apiserver's; nil discards
	// them (gardener-apiserver still logs errors to the process's standard output).
	ControlPlaneOutput io.Writer
	// ShootControllersOutput receives gardener-resource-manager's and kube-controllers' logs.
	ShootControllersOutput io.Writer
}

// Local is a running local landscape.
type Local struct {
	// Landscape is the running landscape.
	Landscape *landscape.Landscape
	stops     []func() error
}

// Start starts the local landscape and returns once it is ready, after printing the ready line. On error,
// everything started so far is stopped.
func Start(ctx context.Context, opts Options) (_ *Local, err error) {
	say := func(format string, args ...any) { fmt.Fprintf(opts.Terminal, format+"\n", args...) }
	l := &Local{}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Stop())
		}
	}()
	if opts.LogDir != "" {
		say("Logs go to %s (-v shows them here)", opts.LogDir)
	}

	say("Starting etcd, kube-apiserver and gardener-apiserver ...")
	land, err := landscape.Start(ctx, landscape.Options{Output: opts.ControlPlaneOutput})
	if err != nil {
		return nil, err
	}
	l.Landscape = land
	l.stops = append(l.stops, land.Stop)
	if err := land.WriteKubeconfig(opts.Kubeconfig); err != nil {
		return nil, err
	}
	if err := land.Bootstrap(ctx); err != nil {
		return nil, err
	}

	say("Starting gardener-resource-manager and kube-controllers ...")
	if err := land.BootstrapSeed(ctx); err != nil {
		return nil, err
	}
	shoot, err := land.StartShootControllers(ctx, landscape.ShootControllersOptions{Output: opts.ShootControllersOutput})
	if err != nil {
		return nil, err
	}
	l.stops = append(l.stops, shoot.Stop)

	say("Starting the admission component and registering its webhooks ...")
	admission, err := land.StartAdmission(ctx, landscape.LocalAdmissionArgs()...)
	if err != nil {
		return nil, err
	}
	l.stops = append(l.stops, admission.Stop)

	say("Starting the seed component and registering its webhooks ...")
	seed, err := land.StartSeed(ctx)
	if err != nil {
		return nil, err
	}
	l.stops = append(l.stops, seed.Stop)

	say("Creating the sample Shoot's ContainerRuntimes and waiting until the controller reconciled them ...")
	crs, err := land.DeployContainerRuntimes(ctx, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	for _, cr := range crs {
		say("  ContainerRuntime %s/%s: %s", cr.Namespace, cr.Name, cr.Status.LastOperation.State)
	}

	say("Waiting until gardener-resource-manager applied the sample Shoot's RuntimeClasses and pod webhook configurations ...")
	if err := land.WaitForShoot(ctx, seed); err != nil {
		return nil, err
	}

	shown := opts.KubeconfigShown
	if shown == "" {
		shown = opts.Kubeconfig
	}
	say("ready: the local landscape answers at %s; in another terminal: export KUBECONFIG=%s, then %s apply -f example/shoot.yaml (README: Try it)",
		land.Config.Host, shown, opts.Kubectl)
	return l, nil
}

// Stop stops everything Start started, the last started first.
func (l *Local) Stop() error {
	var errs []error
	for i := len(l.stops) - 1; i >= 0; i-- {
		errs = append(errs, l.stops[i]())
	}
	l.stops = nil
	return errors.Join(errs...)
}
