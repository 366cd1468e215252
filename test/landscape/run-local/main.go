// Command run-local starts the local landscape (`make run-local`, see package local): the real Gardener API with the
// extension's components and gardener-resource-manager, the sample objects a Shoot needs, and the sample Shoot's seed
// side. It writes an admin kubeconfig, prints progress lines and one line containing "ready" once every webhook
// answers, and runs in the foreground until interrupted. The components' logs go to files next to the kubeconfig,
// each error on one line (without the stack traces the loggers add); -v shows them on the terminal instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape/local"
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
	terminal, closeLogs, err := terminalAndLogs(logDir, *verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run-local:", err)
		os.Exit(1)
	}
	err = run(terminal, *kubeconfig, relative(*kubectl), logDir, *verbose)
	if err != nil {
		fmt.Fprintln(terminal, "run-local:", err)
		if !*verbose {
			fmt.Fprintf(terminal, "run-local: the components' logs are in %s\n", logDir)
		}
	}
	closeLogs()
	if err != nil {
		os.Exit(1)
	}
}

// relative returns path relative to the working directory when it is below it (make passes absolute paths), so
// that the ready line can be copied as it is.
func relative(path string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(path) {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// terminalAndLogs returns where this command's own lines go, and a function that flushes the logs. Unless verbose,
// everything else the process writes to its standard output and error (the in-process components log there) goes,
// without stack traces, to the components log file: the terminal keeps a duplicate of the original standard output.
func terminalAndLogs(logDir string, verbose bool) (io.Writer, func(), error) {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	if verbose {
		return os.Stdout, func() {}, nil
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating the log directory: %w", err)
	}
	logFile, err := os.Create(filepath.Join(logDir, componentsLog))
	if err != nil {
		return nil, nil, fmt.Errorf("creating the components log: %w", err)
	}
	fd, err := syscall.Dup(int(os.Stdout.Fd()))
	if err != nil {
		return nil, nil, fmt.Errorf("duplicating the standard output: %w", err)
	}
	terminal := os.NewFile(uintptr(fd), "terminal")
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("creating the log pipe: %w", err)
	}
	for _, std := range []*os.File{os.Stdout, os.Stderr} {
		if err := syscall.Dup2(int(w.Fd()), int(std.Fd())); err != nil {
			return nil, nil, fmt.Errorf("redirecting %s to the components log: %w", std.Name(), err)
		}
	}
	_ = w.Close() // standard output and error hold the pipe's write end now
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		if err := withoutStacktraces(logFile, r); err != nil {
			fmt.Fprintln(terminal, "run-local: writing the components log:", err)
		}
		_ = logFile.Close()
	}()
	// Closing both ends the copy once what was written is in the file.
	closeLogs := func() {
		if devNull, err := os.Open(os.DevNull); err == nil {
			_ = syscall.Dup2(int(devNull.Fd()), int(os.Stdout.Fd()))
			_ = syscall.Dup2(int(devNull.Fd()), int(os.Stderr.Fd()))
			_ = devNull.Close()
			<-copied
		}
	}
	return terminal, closeLogs, nil
}

func run(terminal io.Writer, kubeconfig, kubectl, logDir string, verbose bool) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := local.Options{Terminal: terminal, Kubeconfig: kubeconfig, Kubectl: kubectl}
	if verbose {
		opts.ControlPlaneOutput, opts.ShootControllersOutput = os.Stderr, os.Stderr
	} else {
		f, err := os.Create(filepath.Join(logDir, shootControllersLog))
		if err != nil {
			return fmt.Errorf("creating the gardener-resource-manager log: %w", err)
		}
		defer f.Close()
		pr, pw := io.Pipe()
		copied := make(chan struct{})
		go func() {
			defer close(copied)
			_ = pr.CloseWithError(withoutStacktraces(f, pr))
		}()
		defer func() { _ = pw.Close(); <-copied }()
		opts.ShootControllersOutput, opts.LogDir = pw, logDir
	}

	l, err := local.Start(ctx, opts)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop() // a second Ctrl-C ends the process at once
	fmt.Fprintln(terminal, "Shutting down ...")
	return l.Stop()
}
