package landscape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Process is a binary of the landscape running as a child process: gardener-resource-manager and kube-controllers,
// built into the assets directory by the Makefile like etcd and kube-apiserver.
type Process struct {
	name string
	cmd  *exec.Cmd
	done chan error
	dir  string
}

// processStopTimeout is how long Stop waits after SIGTERM before it kills the process.
const processStopTimeout = 30 * time.Second

// startProcess starts binary with args, its output going to out (discarded when nil). dir is the process's working
// directory (config files, certificates), removed by Stop.
func startProcess(name, binary, dir string, args []string, out io.Writer) (*Process, error) {
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("%s not found (run `make control-plane`): %w", name, err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	// The process dies with the landscape's process, also when that is killed without a chance to stop it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, done: make(chan error, 1), dir: dir}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

// Exited returns a channel that receives the process's exit error when it exits.
func (p *Process) Exited() <-chan error { return p.done }

// Stop terminates the process (SIGTERM, SIGKILL after 30 seconds), waits until it has exited and removes its
// working directory.
func (p *Process) Stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(processStopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return os.RemoveAll(p.dir)
}

// processDir creates the working directory of a process.
func processDir(name string) (string, error) {
	dir, err := os.MkdirTemp("", "runtime-sandbox-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("creating the working directory of %s: %w", name, err)
	}
	return dir, nil
}

// binary returns the path of a landscape binary in the assets directory.
func (l *Landscape) binary(name string) string { return filepath.Join(l.assets, name) }

// waitForProcess polls ready until it succeeds, the process exits, ctx ends or timeout passes.
func waitForProcess(ctx context.Context, p *Process, timeout time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		select {
		case err := <-p.done:
			p.done <- err // Stop waits on it too
			return fmt.Errorf("%s exited before it was ready: %v", p.name, err)
		case <-ctx.Done():
			return fmt.Errorf("%s was not ready in time, last: %v", p.name, lastErr)
		case <-time.After(200 * time.Millisecond):
		}
		if lastErr = ready(ctx); lastErr == nil {
			return nil
		}
	}
}
