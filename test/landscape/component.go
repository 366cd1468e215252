package landscape

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Component is an extension component running in-process against the landscape.
type Component struct {
	// URL is where the component serves its webhooks, e.g. https://127.0.0.1:40123.
	URL string

	runCtx context.Context
	cancel context.CancelFunc
	done   chan error
	dir    string
	pid    int
}

// CertDir is the component's webhook certificate directory (see package certs).
func (c *Component) CertDir() string { return filepath.Join(c.dir, "certs") }

// PID is the process id of a component that runs as its own process (see StartSeedProcess), 0 for one that runs
// in-process.
func (c *Component) PID() int { return c.pid }

// Stop stops the component and waits until it has returned.
func (c *Component) Stop() error {
	c.cancel()
	err := <-c.done
	return errors.Join(err, os.RemoveAll(c.dir))
}

// startComponent runs a component's command in-process with its webhooks served on a free loopback port and
// registered by URL over TLS, then waits until probe succeeds, i.e. the API server reaches them.
func (l *Landscape) startComponent(ctx context.Context, name string, newCommand func(context.Context) *cobra.Command, probe func(context.Context) error, extraArgs ...string) (*Component, error) {
	c, args, err := l.newComponent(ctx, name, extraArgs)
	if err != nil {
		return nil, err
	}
	cmd := newCommand(c.runCtx)
	cmd.SetArgs(args)
	go func() { c.done <- cmd.Execute() }()

	if err := waitUntilReady(ctx, c.done, probe); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), c.Stop())
	}
	return c, nil
}

// newComponent prepares a component's working directory (kubeconfig, certificate directory) and free ports and
// returns it, not yet running, with its command line: the landscape's flags, then extraArgs.
func (l *Landscape) newComponent(ctx context.Context, name string, extraArgs []string) (*Component, []string, error) {
	dir, err := os.MkdirTemp("", "runtime-sandbox-"+name+"-")
	if err != nil {
		return nil, nil, fmt.Errorf("creating a working directory: %w", err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := l.WriteKubeconfig(kubeconfig); err != nil {
		return nil, nil, err
	}
	webhookPort, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	healthPort, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--leader-election=false",
		"--webhook-config-mode=url",
		"--webhook-config-url=127.0.0.1:" + strconv.Itoa(webhookPort),
		"--webhook-config-server-host=127.0.0.1",
		"--webhook-config-server-port=" + strconv.Itoa(webhookPort),
		"--webhook-config-cert-dir=" + filepath.Join(dir, "certs"),
		"--metrics-bind-address=0",
		"--health-bind-address=127.0.0.1:" + strconv.Itoa(healthPort),
		"--log-format=text",
	}, extraArgs...)

	runCtx, cancel := context.WithCancel(ctx)
	return &Component{URL: "https://127.0.0.1:" + strconv.Itoa(webhookPort), runCtx: runCtx, cancel: cancel, done: make(chan error, 1), dir: dir}, args, nil
}

// waitUntilReady polls probe until it succeeds, the component exits or two minutes pass.
func waitUntilReady(ctx context.Context, done <-chan error, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var lastErr error
	for {
		select {
		case err := <-done:
			return fmt.Errorf("exited before it was ready: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("the webhooks did not answer in time, last answer: %v", lastErr)
		case <-time.After(200 * time.Millisecond):
		}
		if lastErr = probe(ctx); lastErr == nil {
			return nil
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ServedCertificate returns the certificate the component's webhook server presents now.
func (c *Component) ServedCertificate() (*x509.Certificate, error) {
	conn, err := tls.Dial("tcp", strings.TrimPrefix(c.URL, "https://"), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // only reads the presented certificate
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

// ServedSerial returns the serial number of the certificate the component's webhook server presents now.
func (c *Component) ServedSerial() (string, error) {
	cert, err := c.ServedCertificate()
	if err != nil {
		return "", err
	}
	return cert.SerialNumber.String(), nil
}
