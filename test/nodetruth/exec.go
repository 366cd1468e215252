package nodetruth

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// run runs binary (a name on PATH or a path) with args and returns its stdout. install says how to get binary; if
// it is missing the error says so. A failing run returns an error carrying stderr (or, when stderr is empty,
// stdout).
func run(ctx context.Context, install, binary string, args ...string) ([]byte, error) {
	path, err := lookPath(install, binary)
	if err != nil {
		return nil, err
	}
	return output(exec.CommandContext(ctx, path, args...), binary, args)
}

// lookPath resolves binary like exec.LookPath; a missing binary is an error that says how to install it.
func lookPath(install, binary string) (string, error) {
	path, err := exec.LookPath(binary)
	if err != nil {
		return "", fmt.Errorf("%s is not installed, %s: %w", binary, install, err)
	}
	return path, nil
}

// output runs cmd, which runs binary with args, and returns its stdout, or an error with its stderr (stdout when
// stderr is empty).
func output(cmd *exec.Cmd, binary string, args []string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		out := stderr.String()
		if strings.TrimSpace(out) == "" {
			out = stdout.String()
		}
		return nil, fmt.Errorf("%s %s: %w: %s", binary, strings.Join(args, " "), err, strings.TrimSpace(out))
	}
	return stdout.Bytes(), nil
}
