// Command run-local starts the local landscape (`make run-local`): the real Gardener API with the extension's
// components and gardener-resource-manager, the sample objects a Shoot needs, and the sample Shoot's seed side. It
// writes an admin kubeconfig, prints progress lines and one line containing "ready" once every webhook answers,
// and runs in the foreground until interrupted. The components' logs go to files next to the kubeconfig; -v shows
// them on the terminal instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// Log files in the kubeconfig's directory.
const (
	// componentsLog receives what the processes write to stdout and stderr: gardener-apiserver, the admission and
	// the seed component (all in-process), and etcd and kube-apiserver (-v only; else envtest discards them).
	componentsLog = "components.log"
	// shootControllersLog receives gardener-resource-manager's and kube-controllers' logs.
	shootControllersLog = "gardener-resource-manager.log"
)

func main() {
	// controller-runtime registers its own --kubeconfig on the global flag set; this command has its own set.
	fs := flag.NewFlagSet("run-local", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "dev/local/kubeconfig", "where to write the admin kubeconfig; the log files go next to it")
	kubectl := fs.String("kubectl", "kubectl", "the kubectl to suggest in the ready line")
	verbose := fs.Bool("v", false, "show the components' and the control plane's logs on the terminal instead of writing them to files")
	_ = fs.Parse(os.Args[1:]) // ExitOnError: Parse exits on a bad flag.

	logDir := filepath.Dir(*kubeconfig)
	terminal, err := terminalAndLogs(logDir, *verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run-local:", err)
		os.Exit(1)
	}
	if err := run(terminal, *kubeconfig, *kubectl, logDir, *verbose); err != nil {
		fmt.Fprintln(terminal, "run-local:", err)
		if !*verbose {
			fmt.Fprintf(terminal, "run-local: the components' logs are in %s\n", logDir)
		}
		os.Exit(1)
	}
}

// terminalAndLogs returns where this command's own lines go. Unless verbose, everything else the process writes to
// its standard output and error (the in-process components log there) goes to the components log file: the
// terminal keeps a duplicate of the original standard output.
func terminalAndLogs(logDir string, verbose bool) (io.Writer, error) {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	if verbose {
		return os.Stdout, nil
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}
	logFile, err := os.Create(filepath.Join(logDir, componentsLog))
	if err != nil {
		return nil, fmt.Errorf("creating the components log: %w", err)
	}
	fd, err := syscall.Dup(int(os.Stdout.Fd()))
	if err != nil {
		return nil, fmt.Errorf("duplicating the standard output: %w", err)
	}
	terminal := os.NewFile(uintptr(fd), "terminal")
	for _, std := range []*os.File{os.Stdout, os.Stderr} {
		if err := syscall.Dup2(int(logFile.Fd()), int(std.Fd())); err != nil {
			return nil, fmt.Errorf("redirecting %s to the components log: %w", std.Name(), err)
		}
	}
	return terminal, nil
}

func run(terminal io.Writer, kubeconfig, kubectl, logDir string, verbose bool) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	say := func(format string, args ...any) { fmt.Fprintf(terminal, format+"\n", args...) }

	var controlPlaneOutput, shootControllersOutput io.Writer
	if verbose {
		controlPlaneOutput, shootControllersOutput = os.Stderr, os.Stderr
	} else {
		f, err := os.Create(filepath.Join(logDir, shootControllersLog))
		if err != nil {
			return fmt.Errorf("creating the gardener-resource-manager log: %w", err)
		}
		defer f.Close()
		shootControllersOutput = f
		say("Logs go to %s (-v shows them here)", logDir)
	}

	say("Starting etcd, kube-apiserver and gardener-apiserver ...")
	l, err := landscape.Start(ctx, landscape.Options{Output: controlPlaneOutput})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Stop()) }()
	if err := l.WriteKubeconfig(kubeconfig); err != nil {
		return err
	}
	if err := l.Bootstrap(ctx); err != nil {
		return err
	}

	say("Starting gardener-resource-manager and kube-controllers ...")
	if err := l.BootstrapSeed(ctx); err != nil {
		return err
	}
	shoot, err := l.StartShootControllers(ctx, landscape.ShootControllersOptions{Output: shootControllersOutput})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, shoot.Stop()) }()

	say("Starting the admission component and registering its webhooks ...")
	admission, err := l.StartAdmission(ctx, landscape.LocalAdmissionArgs()...)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, admission.Stop()) }()

	say("Starting the seed component and registering its webhooks ...")
	seed, err := l.StartSeed(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, seed.Stop()) }()

	say("Creating the sample Shoot's ContainerRuntimes and waiting until the controller reconciled them ...")
	crs, err := l.DeployContainerRuntimes(ctx, 2*time.Minute)
	if err != nil {
		return err
	}
	for _, cr := range crs {
		say("  ContainerRuntime %s/%s: %s", cr.Namespace, cr.Name, cr.Status.LastOperation.State)
	}

	say("Waiting until gardener-resource-manager applied the sample Shoot's RuntimeClasses and pod webhook configurations ...")
	if err := l.WaitForShoot(ctx, seed); err != nil {
		return err
	}

	k := fmt.Sprintf("%s --kubeconfig %s", kubectl, kubeconfig)
	say("ready: the local landscape answers at %s; try: %s apply -f example/shoot.yaml, then %s get containerruntimes,managedresources -n %s", l.Config.Host, k, k, samples.ShootNamespace)
	<-ctx.Done()
	stop() // a second Ctrl-C ends the process at once
	say("Shutting down ...")
	return nil
}
