package nodetruth

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

const containerdInstall = "install the Debian package with `apt-get install -y containerd` (.ci/run does)"

// ContainerdDefaultConfig returns the output of `containerd config default`, which is what gardener-node-agent writes
// to /etc/containerd/config.toml before patching it. Debian bookworm's containerd 1.6.20 prints a config of version 2,
// in which runtime handlers live at plugins."io.containerd.grpc.v1.cri".containerd.runtimes.<handler>.
func ContainerdDefaultConfig(ctx context.Context) ([]byte, error) {
	out, err := run(ctx, containerdInstall, "containerd", "config", "default")
	if err != nil {
		return nil, fmt.Errorf("printing containerd's default configuration: %w", err)
	}
	return out, nil
}

// ContainerdConfigDump runs `containerd --config configPath config dump` and returns its output: the configuration
// containerd would run with. It needs no running containerd.
//
// Observed with containerd 1.6.20 (config version 2):
//   - Invalid TOML, a duplicated table and a value of the wrong type for a field containerd knows (runtime_type = 42,
//     privileged_without_host_devices = "yes") fail the dump; the error carries containerd's message with line and
//     column.
//   - Imports are followed on the host filesystem: a glob that matches nothing is fine, a missing file that is not a
//     glob fails. Imported files are merged, and the dump's imports lists the files that were actually loaded,
//     starting with configPath itself. gardener-node-agent's import /etc/containerd/conf.d/*.toml therefore reads
//     the host's directory.
//   - Unknown keys are dropped silently: unknown top-level keys, unknown plugin tables, unknown keys of a known plugin
//     and unknown fields of a runtime handler (containerd 1.6 has no per-runtime "snapshotter", so a kata-fc handler's
//     snapshotter = "devmapper" disappears). DroppedKeys finds them.
//   - A runtime handler's options table is kept verbatim: containerd does not know the shim's option types, so
//     unknown or misspelt options (TypeUrl, ConfigPath, BinaryName, ...) are neither rejected nor dropped; only the
//     shim sees them when it starts a container.
func ContainerdConfigDump(ctx context.Context, configPath string) ([]byte, error) {
	out, err := run(ctx, containerdInstall, "containerd", "--config", configPath, "config", "dump")
	if err != nil {
		return nil, fmt.Errorf("dumping containerd's view of %s: %w", configPath, err)
	}
	return out, nil
}

// DroppedKeys returns the keys of config (a containerd config.toml) that are missing from dump (what
// ContainerdConfigDump printed for it), in TOML dotted-key notation and sorted. Because containerd drops what it does
// not know, these are keys containerd ignores. When a whole table is missing, only the table is returned. Values are
// not compared: containerd normalises some of them (imports, for instance).
func DroppedKeys(config, dump []byte) ([]string, error) {
	var configTree, dumpTree map[string]any
	if err := toml.Unmarshal(config, &configTree); err != nil {
		return nil, fmt.Errorf("parsing the containerd configuration: %w", err)
	}
	if err := toml.Unmarshal(dump, &dumpTree); err != nil {
		return nil, fmt.Errorf("parsing containerd's config dump: %w", err)
	}
	var dropped []string
	collectDroppedKeys(configTree, dumpTree, nil, &dropped)
	slices.Sort(dropped)
	return dropped, nil
}

func collectDroppedKeys(config, dump map[string]any, path []string, dropped *[]string) {
	for key, value := range config {
		keyPath := append(slices.Clone(path), key)
		dumped, ok := dump[key]
		if !ok {
			*dropped = append(*dropped, dottedKey(keyPath))
			continue
		}
		table, isTable := value.(map[string]any)
		dumpedTable, dumpedIsTable := dumped.(map[string]any)
		if isTable && dumpedIsTable {
			collectDroppedKeys(table, dumpedTable, keyPath, dropped)
		}
	}
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func dottedKey(path []string) string {
	parts := make([]string, len(path))
	for i, key := range path {
		if bareKey.MatchString(key) {
			parts[i] = key
		} else {
			parts[i] = strconv.Quote(key)
		}
	}
	return strings.Join(parts, ".")
}
