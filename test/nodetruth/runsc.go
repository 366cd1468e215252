package nodetruth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/pelletier/go-toml/v2"
)

const runscInstall = "install the Debian package with `apt-get install -y runsc` (.ci/run does)"

// GVisorPayloadEnv names the environment variable with the gVisor part of the installer payload: the directory with
// runsc and containerd-shim-runsc-v1 built from the gvisor.dev/gvisor Go module pinned in hack/runsc, which the
// installer copies into ContainerRuntime.spec.binaryPath on every node (`make payload` builds it into
// .cache/payload/bin/gvisor, and `make test` sets the variable).
const GVisorPayloadEnv = "GVISOR_PAYLOAD_DIR"

const payloadInstall = "build it with `make payload` and set " + GVisorPayloadEnv + " to .cache/payload/bin/gvisor (make test does)"

// GVisorPayloadDir returns the directory $GVISOR_PAYLOAD_DIR names, or an error that says how to build it.
func GVisorPayloadDir() (string, error) {
	dir := os.Getenv(GVisorPayloadEnv)
	if dir == "" {
		return "", fmt.Errorf("%s is not set: %s", GVisorPayloadEnv, payloadInstall)
	}
	return dir, nil
}

// runscShimConfig mirrors the Options that gVisor's containerd shim (containerd-shim-runsc-v1, package
// gvisor.dev/gvisor/pkg/shim/v1/runsc) decodes from the file named by the runtime handler's ConfigPath option.
type runscShimConfig struct {
	ShimCgroup            string            `toml:"shim_cgroup"`
	IoUID                 uint32            `toml:"io_uid"`
	IoGID                 uint32            `toml:"io_gid"`
	BinaryName            string            `toml:"binary_name"`
	Root                  string            `toml:"root"`
	LogLevel              string            `toml:"log_level"`
	LogPath               string            `toml:"log_path"`
	Grouping              bool              `toml:"grouping"`
	EnableHibernateServer bool              `toml:"enable_hibernate_server"`
	RunscConfig           map[string]string `toml:"runsc_config"`
}

// RunscConfigFlags returns the runsc flags that gVisor's containerd shim derives from runscToml (the file the runtime
// handler's ConfigPath option names, /etc/containerd/runsc.toml): the shim decodes it into its Options, whose
// [runsc_config] table is a map[string]string of runsc flag names to values, and passes every entry as
// `--name=value` in front of the runsc subcommand. The flags are returned sorted (the shim's order is random).
//
// Like the shim, RunscConfigFlags fails on invalid TOML and on [runsc_config] values that are not TOML strings
// (debug = true instead of debug = "true" makes the shim fail to create any container). Stricter than the shim, which
// ignores them silently, it also fails on top-level keys that are not shim options (as of gVisor 2026-09), so a
// misspelt [runsc-config] table is not lost.
func RunscConfigFlags(runscToml []byte) ([]string, error) {
	var config runscShimConfig
	decoder := toml.NewDecoder(bytes.NewReader(runscToml))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&config); err != nil {
		// The strict mode error only names the offending keys in its String().
		if strict := (*toml.StrictMissingError)(nil); errors.As(err, &strict) {
			return nil, fmt.Errorf("decoding runsc.toml like gVisor's containerd shim: %w:\n%s", err, strict.String())
		}
		return nil, fmt.Errorf("decoding runsc.toml like gVisor's containerd shim: %w", err)
	}
	flags := make([]string, 0, len(config.RunscConfig))
	for _, name := range slices.Sorted(maps.Keys(config.RunscConfig)) {
		flags = append(flags, fmt.Sprintf("--%s=%s", name, config.RunscConfig[name]))
	}
	return flags, nil
}

// RunscAccepts runs `runsc --root <tmpdir> --network=none --ignore-cgroups <flags...> do /bin/true` on node with
// Debian's runsc and returns an error with runsc's output if runsc rejects a flag or fails to run /bin/true in a
// sandbox. It must run as root. flags come after the fixed ones, so they win for flags given twice. runsc runs on
// node, so a --debug-log path below /var/log is created in the node's directory, as on a node.
//
// runsc parses and validates all flags before it runs a subcommand, so unknown flags ("flag provided but not
// defined") and bad values (invalid boolean, unknown network type) fail here. Debian bookworm's runsc 0.0~20221219
// knows debug, debug-log, net-raw, platform, network, ignore-cgroups and root, but not nvproxy; its default platform
// is ptrace. Its debug-log only expands %TIMESTAMP% and %COMMAND%; %ID% is expanded by newer runsc and stays literal
// here.
func RunscAccepts(ctx context.Context, node *Node, flags []string) error {
	return runscAccepts(ctx, node, runscInstall, "runsc", flags)
}

// PayloadRunscAccepts is RunscAccepts with the payload's runsc ($GVISOR_PAYLOAD_DIR/runsc), whose default platform is
// systrap.
func PayloadRunscAccepts(ctx context.Context, node *Node, flags []string) error {
	dir, err := GVisorPayloadDir()
	if err != nil {
		return err
	}
	return runscAccepts(ctx, node, payloadInstall, filepath.Join(dir, "runsc"), flags)
}

// PayloadRunsc runs the payload's runsc with args on the host and returns its stdout.
func PayloadRunsc(ctx context.Context, args ...string) ([]byte, error) {
	dir, err := GVisorPayloadDir()
	if err != nil {
		return nil, err
	}
	return run(ctx, payloadInstall, filepath.Join(dir, "runsc"), args...)
}

func runscAccepts(ctx context.Context, node *Node, install, binary string, flags []string) error {
	root, err := os.MkdirTemp("", "nodetruth-runsc-")
	if err != nil {
		return fmt.Errorf("creating a runsc root directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(root) }()

	args := append([]string{"--root", root, "--network=none", "--ignore-cgroups"}, flags...)
	if _, err := node.run(ctx, install, binary, append(args, "do", "/bin/true")...); err != nil {
		return fmt.Errorf("%s running /bin/true with flags %v: %w", binary, flags, err)
	}
	return nil
}
