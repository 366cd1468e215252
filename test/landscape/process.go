package landscape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// StartSeedProcess runs the seed component like StartSeed, but as its own process from binary (built from
// ./cmd/gardener-extension-runtime-sandbox), so that its memory and CPU can be measured apart from the control
// plane, which runs in this process. wrapper, if not empty, is prepended to the command line (e.g. taskset -c 1).
// The process's output goes to out (nil discards it); Stop ends it with SIGTERM.
func (l *Landscape) StartSeedProcess(ctx context.Context, binary string, wrapper []string, out io.Writer, extraArgs ...string) (*Component, error) {
	c, args, err := l.newComponent(ctx, "seed", seedArgs(extraArgs))
	if err != nil {
		return nil, err
	}
	argv := append(append(append([]string{}, wrapper...), binary), args...)
	cmd := exec.CommandContext(c.runCtx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	// The component shuts down gracefully on SIGTERM (its webhook server drains); it is killed if it hangs.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	if err := cmd.Start(); err != nil {
		c.cancel()
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	c.pid = cmd.Process.Pid
	go func() {
		err := cmd.Wait()
		// A stop asked for by Stop is a clean exit, whatever the signal did to the exit status.
		var exitErr *exec.ExitError
		if c.runCtx.Err() != nil && (errors.As(err, &exitErr) || errors.Is(err, context.Canceled)) {
			err = nil
		}
		c.done <- err
	}()

	if err := waitUntilReady(ctx, c.done, l.probeOSCWebhooks); err != nil {
		return nil, errors.Join(fmt.Errorf("seed process: %w", err), c.Stop())
	}
	return c, nil
}
