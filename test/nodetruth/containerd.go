package nodetruth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// ModuleContainerdDirEnv names the environment variable with the directory that holds the containerd releases built
// from the github.com/containerd/containerd/v2 Go module: containerd-<minor> and ctr-<minor> (`make containerd`
// builds them into .cache/bin, and `make test` sets the variable).
const ModuleContainerdDirEnv = "CONTAINERD_MODULE_DIR"

// Containerd is one containerd release the node-truth checks load configurations with and run.
type Containerd struct {
	// Name says which release it is, e.g. "containerd 1.6 (Debian)" or "containerd 2.2".
	Name string
	// Binary and Ctr are its containerd and ctr: a path, or a name looked up on PATH.
	Binary, Ctr string

	install string
}

// DebianContainerd is the containerd of Debian bookworm's package "containerd" (1.6.20), on PATH.
func DebianContainerd() Containerd {
	return Containerd{
		Name:    "containerd 1.6 (Debian)",
		Binary:  "containerd",
		Ctr:     "ctr",
		install: "install the Debian package with `apt-get install -y containerd` (make node-packages does)",
	}
}

// ModuleContainerd is the containerd release of the given minor version (e.g. "2.2") built from the containerd Go
// module pinned in hack/containerd-<minor>, found in $CONTAINERD_MODULE_DIR.
func ModuleContainerd(minor string) Containerd {
	dir := os.Getenv(ModuleContainerdDirEnv)
	if dir == "" {
		// Fails with the install hint below when it is run.
		dir = "$" + ModuleContainerdDirEnv
	}
	return Containerd{
		Name:    "containerd " + minor,
		Binary:  filepath.Join(dir, "containerd-"+minor),
		Ctr:     filepath.Join(dir, "ctr-"+minor),
		install: fmt.Sprintf("build it with `make containerd` and set %s to .cache/bin (make test does)", ModuleContainerdDirEnv),
	}
}

// Version returns the version containerd reports (`containerd --version`), as gardener-node-agent's containerd client
// would compare it: without a leading "v" and without Debian's "~ds1" suffix, e.g. "1.6.20" or "2.2.9".
func (c Containerd) Version(ctx context.Context) (string, error) {
	out, err := run(ctx, c.install, c.Binary, "--version")
	if err != nil {
		return "", fmt.Errorf("asking %s for its version: %w", c.Name, err)
	}
	// containerd github.com/containerd/containerd/v2 v2.2.9 <revision>
	fields := strings.Fields(string(out))
	if len(fields) < 3 {
		return "", fmt.Errorf("%s printed an unexpected version line %q", c.Name, out)
	}
	version, _, _ := strings.Cut(strings.TrimPrefix(fields[2], "v"), "~")
	return version, nil
}

// DefaultConfig returns the output of `containerd config default`, which is what gardener-node-agent writes to
// /etc/containerd/config.toml before patching it. containerd 1.6 prints a config of version 2, 2.0 to 2.2 of
// version 3, 2.3 and later of version 4.
func (c Containerd) DefaultConfig(ctx context.Context) ([]byte, error) {
	out, err := run(ctx, c.install, c.Binary, "config", "default")
	if err != nil {
		return nil, fmt.Errorf("printing the default configuration of %s: %w", c.Name, err)
	}
	return out, nil
}

// ConfigDump runs `containerd --config /etc/containerd/config.toml config dump` on node and returns its output: the
// configuration containerd would run with. It needs no running containerd.
//
// Observed with containerd 1.6.20 (config version 2):
//   - Invalid TOML, a duplicated table and a value of the wrong type for a field containerd knows (runtime_type = 42,
//     privileged_without_host_devices = "yes") fail the dump; the error carries containerd's message with line and
//     column.
//   - Imports are followed: a glob that matches nothing is fine, a missing file that is not a glob fails. Imported
//     files are merged, and the dump's imports lists the files that were actually loaded, starting with the config
//     itself. gardener-node-agent's import /etc/containerd/conf.d/*.toml reads the node's directory.
//   - Unknown keys are dropped silently: unknown top-level keys, unknown plugin tables, unknown keys of a known plugin
//     and unknown fields of a runtime handler (containerd 1.6 has no per-runtime "snapshotter", so a kata-fc handler's
//     snapshotter = "devmapper" disappears). DroppedKeys finds them.
//   - A runtime handler's options table is kept verbatim: containerd does not know the shim's option types, so
//     unknown or misspelt options (TypeUrl, ConfigPath, BinaryName, ...) are neither rejected nor dropped; only the
//     shim sees them when it starts a container.
//
// containerd 2.x reads config versions 2 and 3 by migrating them to its current version in memory, and dumps the
// migrated configuration: its version and plugin names are those of containerd's own `config default`.
func (c Containerd) ConfigDump(ctx context.Context, node *Node) ([]byte, error) {
	out, err := node.run(ctx, c.install, c.Binary, "--config", ContainerdConfigFile, "config", "dump")
	if err != nil {
		return nil, fmt.Errorf("dumping the view of %s on %s: %w", c.Name, ContainerdConfigFile, err)
	}
	return out, nil
}

// ConfigVersion returns the version field of a containerd configuration; a configuration without one is version 1.
func ConfigVersion(config []byte) (int, error) {
	var header struct {
		Version int `toml:"version"`
	}
	if err := toml.Unmarshal(config, &header); err != nil {
		return 0, fmt.Errorf("parsing the containerd configuration: %w", err)
	}
	if header.Version == 0 {
		return 1, nil
	}
	return header.Version, nil
}

// CRIRuntimePlugin returns the plugin that holds runtime handlers (below containerd.runtimes) in a containerd
// configuration of the given version: "io.containerd.grpc.v1.cri" up to version 2, "io.containerd.cri.v1.runtime"
// from version 3 (containerd 2.0).
func CRIRuntimePlugin(configVersion int) string {
	if configVersion >= 3 {
		return "io.containerd.cri.v1.runtime"
	}
	return "io.containerd.grpc.v1.cri"
}

// RuntimeHandlers returns the runtime handlers of a containerd configuration (a config.toml or a config dump), read
// from where containerd of that configuration's version reads them: plugins.<CRIRuntimePlugin>.containerd.runtimes.
func RuntimeHandlers(config []byte) (map[string]any, error) {
	version, err := ConfigVersion(config)
	if err != nil {
		return nil, err
	}
	var tree map[string]any
	if err := toml.Unmarshal(config, &tree); err != nil {
		return nil, fmt.Errorf("parsing the containerd configuration: %w", err)
	}
	path := []string{"plugins", CRIRuntimePlugin(version), "containerd", "runtimes"}
	node := any(tree)
	for _, key := range path {
		table, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("configuration version %d has no table %s", version, dottedKey(path))
		}
		if node, ok = table[key]; !ok {
			return nil, fmt.Errorf("configuration version %d has no table %s", version, dottedKey(path))
		}
	}
	handlers, ok := node.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s of configuration version %d is not a table", dottedKey(path), version)
	}
	return handlers, nil
}

// PluginConfig returns the table plugins.<name> of a containerd configuration, or nil when it has none.
func PluginConfig(config []byte, name string) (map[string]any, error) {
	var tree struct {
		Plugins map[string]map[string]any `toml:"plugins"`
	}
	if err := toml.Unmarshal(config, &tree); err != nil {
		return nil, fmt.Errorf("parsing the containerd configuration: %w", err)
	}
	return tree.Plugins[name], nil
}

// DroppedKeys returns the keys of config (a containerd config.toml) that are missing from dump (what ConfigDump
// printed for it), in TOML dotted-key notation and sorted. Because containerd drops what it does not know, these are
// keys containerd ignores. When a whole table is missing, only the table is returned. Values are not compared:
// containerd normalises some of them (imports, for instance). config and dump must be of the same version: containerd
// 2.x dumps a configuration of an older version migrated to its own.
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
