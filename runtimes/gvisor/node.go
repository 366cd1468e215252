package gvisor

import (
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

const (
	// Handler is the containerd runtime handler (and RuntimeClass handler) of gVisor.
	Handler = "runsc"
	// RuntimeType is the containerd shim of gVisor.
	RuntimeType = "io.containerd.runsc.v1"
	// ConfigPath is the runsc shim configuration on every node.
	ConfigPath = "/etc/containerd/runsc.toml"
	// DebugLog is where runsc writes its debug logs when the debug flag is on: one file per container and runsc
	// command, named as gardener-extension-runtime-gvisor names them, so that log shipping set up for it keeps
	// working.
	DebugLog = "/var/log/runsc/%ID%/gvisor-%COMMAND%.log"

	debugLogFlag = "debug-log"
)

// shimConfig is the runsc shim's configuration file: runsc_config entries become runsc flags.
type shimConfig struct {
	RunscConfig map[string]string `toml:"runsc_config"`
}

// NodeConfig returns what a node of a gVisor pool needs: the runsc runtime handler and /etc/containerd/runsc.toml
// with the pool's flags. cfg must be validated.
func NodeConfig(cfg *v1alpha1.GVisorConfiguration) (*node.Config, error) {
	handler, err := node.AddPlugin(node.RuntimeHandlerPath(Handler), map[string]any{
		"runtime_type": RuntimeType,
		// A privileged pod in the sandbox gets no host devices: with them, it could reach the node's disks and
		// hardware from inside the sandbox.
		"privileged_without_host_devices": true,
		"options": map[string]any{
			"TypeUrl":    RuntimeType + ".options",
			"ConfigPath": ConfigPath,
		},
	})
	if err != nil {
		return nil, err
	}
	content, err := RunscConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &node.Config{
		Plugins: []extensionsv1alpha1.PluginConfig{handler},
		Files:   []extensionsv1alpha1.File{node.InlineFile(ConfigPath, 0o644, content)},
	}, nil
}

// RunscConfig renders runsc.toml: a [runsc_config] table with the pool's flags, and for debug="true" also the
// debug log location.
func RunscConfig(cfg *v1alpha1.GVisorConfiguration) ([]byte, error) {
	for key, value := range cfg.ConfigFlags {
		// TOML holds only UTF-8: go-toml would write other bytes as different characters, so runsc would get
		// another flag than the one asked for. Validation lets no such flag through; this guards other callers.
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			return nil, fmt.Errorf("rendering %s: flag %q with value %q is not valid UTF-8", ConfigPath, key, value)
		}
	}
	flags := maps.Clone(cfg.ConfigFlags)
	if flags == nil {
		flags = map[string]string{}
	}
	if flags[v1alpha1.FlagDebug] == v1alpha1.FlagValueTrue {
		flags[debugLogFlag] = DebugLog
	}
	out, err := toml.Marshal(shimConfig{RunscConfig: flags})
	if err != nil {
		return nil, fmt.Errorf("rendering %s with flags %v: %w", ConfigPath, slices.Sorted(maps.Keys(flags)), err)
	}
	return out, nil
}
