package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// component is an extension component running as a child process.
type component struct {
	name        string
	url         string
	metricsURL  string
	dir         string
	cmd         *exec.Cmd
	exited      chan error
	logFile     *os.File
	metricsHTTP *http.Client
}

// startComponent starts binary with its webhooks served on a free loopback port and registered by URL, as the
// integration suites run the components, with its metrics on another free port.
func startComponent(ctx context.Context, binary, name, parent, kubeconfig string, extraArgs ...string) (*component, error) {
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ports := make([]int, 3)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
	}
	webhookPort, metricsPort, healthPort := ports[0], ports[1], ports[2]
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--leader-election=false",
		"--webhook-config-mode=url",
		"--webhook-config-url=127.0.0.1:" + strconv.Itoa(webhookPort),
		"--webhook-config-server-host=127.0.0.1",
		"--webhook-config-server-port=" + strconv.Itoa(webhookPort),
		"--webhook-config-cert-dir=" + filepath.Join(dir, "certs"),
		"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(metricsPort),
		"--health-bind-address=127.0.0.1:" + strconv.Itoa(healthPort),
		"--log-format=text",
	}, extraArgs...)
	logFile, err := os.Create(filepath.Join(parent, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the %s component (%s; make soak builds it): %w", name, binary, err)
	}
	c := &component{
		name: name, url: "https://127.0.0.1:" + strconv.Itoa(webhookPort), metricsURL: "http://127.0.0.1:" + strconv.Itoa(metricsPort) + "/metrics",
		dir: dir, cmd: cmd, exited: make(chan error, 1), logFile: logFile, metricsHTTP: &http.Client{Timeout: 5 * time.Second},
	}
	go func() { c.exited <- cmd.Wait() }()
	return c, nil
}

// stop terminates the component and reports whether its log shows a panic.
func (c *component) stop() error {
	select {
	case err := <-c.exited:
		return fmt.Errorf("the %s component exited during the soak: %v (log: %s)", c.name, err, c.logFile.Name())
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	_ = c.logFile.Close()
	log, err := os.ReadFile(c.logFile.Name())
	if err != nil {
		return err
	}
	if strings.Contains(string(log), "panic") {
		return fmt.Errorf("the %s component's log mentions a panic: %s", c.name, c.logFile.Name())
	}
	return nil
}

// sample is one measurement of a component.
type sample struct {
	rssKiB     int64
	fds        int
	goroutines int
}

func (s sample) String() string {
	return fmt.Sprintf("rss %.1f MiB, fds %d, goroutines %d", float64(s.rssKiB)/1024, s.fds, s.goroutines)
}

// sample reads the component's resident memory and open descriptors from /proc and its goroutines from its
// metrics (go_goroutines).
func (c *component) sample(ctx context.Context) (sample, error) {
	pid := c.cmd.Process.Pid
	var s sample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				s.rssKiB, _ = strconv.ParseInt(fields[0], 10, 64)
			}
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	s.goroutines, err = c.goroutines(ctx)
	return s, err
}

func (c *component) goroutines(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.metricsURL, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.metricsHTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return goroutinesFrom(resp.Body)
}

func goroutinesFrom(r io.Reader) (int, error) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(scanner.Text(), "go_goroutines "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return int(v), err
		}
	}
	if err := scanner.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no go_goroutines in the metrics")
}
