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
	path, err := exec.LookPath(binary)
	if err != nil {
		return nil, fmt.Errorf("%s is not installed, %s: %w", binary, install, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		output := stderr.String()
		if strings.TrimSpace(output) == "" {
			output = stdout.String()
		}
		return nil, fmt.Errorf("%s %s: %w: %s", binary, strings.Join(args, " "), err, strings.TrimSpace(output))
	}
	return stdout.Bytes(), nil
}
