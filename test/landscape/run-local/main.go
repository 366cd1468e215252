// Command run-local starts the local landscape (`make run-local`): the real Gardener API with the extension's
// webhooks registered over TLS and the sample objects a Shoot needs. It writes an admin kubeconfig, prints a line
// containing "ready" once every webhook answers, and runs in the foreground until interrupted.
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
)

func main() {
	// controller-runtime registers its own --kubeconfig on the global flag set; this command has its own set.
	fs := flag.NewFlagSet("run-local", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "dev/local/kubeconfig", "where to write the admin kubeconfig")
	kubectl := fs.String("kubectl", "kubectl", "the kubectl to suggest in the ready line")
	verbose := fs.Bool("v", false, "show the control plane's logs (the extension's logs are always shown)")
	_ = fs.Parse(os.Args[1:]) // ExitOnError: Parse exits on a bad flag.

	if err := run(*kubeconfig, *kubectl, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "run-local:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, kubectl string, verbose bool) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var out io.Writer
	if verbose {
		out = os.Stderr
		logf.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	} else {
		logf.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	}

	fmt.Println("Starting etcd, kube-apiserver and gardener-apiserver ...")
	l, err := startLandscape(ctx, filepath.Join(filepath.Dir(kubeconfig), "control-plane.log"), out)
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

	fmt.Println("Starting the admission component and registering its webhooks ...")
	admission, err := l.StartAdmission(ctx, landscape.LocalAdmissionArgs()...)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, admission.Stop()) }()

	fmt.Println("Starting the seed component and registering its webhooks ...")
	if err := l.BootstrapSeed(ctx); err != nil {
		return err
	}
	seed, err := l.StartSeed(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, seed.Stop()) }()

	fmt.Println("Creating the sample Shoot's ContainerRuntimes and waiting for the controller to reconcile them ...")
	crs, err := l.DeployContainerRuntimes(ctx, 2*time.Minute)
	if err != nil {
		return err
	}
	for _, cr := range crs {
		fmt.Printf("ContainerRuntime %s/%s: %s\n", cr.Namespace, cr.Name, cr.Status.LastOperation.State)
	}

	fmt.Println("Deploying the pod webhook configurations and RuntimeClasses of the sample Shoot ...")
	if err := l.BootstrapShoot(ctx, seed); err != nil {
		return err
	}

	fmt.Printf("ready: the local landscape answers at %s; try: %s --kubeconfig %s apply -f example/shoot.yaml\n", l.Config.Host, kubectl, kubeconfig)
	<-ctx.Done()
	stop() // a second Ctrl-C ends the process at once
	fmt.Println("Shutting down ...")
	return nil
}

// startLandscape starts the landscape. gardener-apiserver runs in-process and logs to the process's stdout and
// stderr, so unless a log output is given, both point to logFile while it starts; this command's own lines and
// the extension's logs still reach the terminal.
func startLandscape(ctx context.Context, logFile string, out io.Writer) (*landscape.Landscape, error) {
	if out != nil {
		return landscape.Start(ctx, landscape.Options{Output: out})
	}
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}
	f, err := os.Create(logFile)
	if err != nil {
		return nil, fmt.Errorf("creating the control plane log: %w", err)
	}
	fmt.Println("Control plane logs go to", logFile)
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = f, f
	defer func() { os.Stdout, os.Stderr = stdout, stderr }()
	return landscape.Start(ctx, landscape.Options{})
}
