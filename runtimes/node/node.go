// Package node holds the node configuration a sandbox runtime contributes to a worker pool's
// OperatingSystemConfig: containerd plugin entries, files and systemd units. Runtimes build it; the OSC mutator
// merges it.
package node

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	nodev1 "k8s.io/api/node/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
)

// CRIPluginName is containerd's CRI plugin in config version 2; gardener-node-agent translates paths under it for
// containerd config version 3.
const CRIPluginName = "io.containerd.grpc.v1.cri"

// BinaryPath is where the installer puts the runtime binaries on every node (ContainerRuntime.spec.binaryPath);
// it is on containerd's PATH.
const BinaryPath = "/var/bin/containerruntimes"

// Config is what one sandbox runtime adds to the OperatingSystemConfig of a worker pool.
type Config struct {
	// Plugins are entries of containerd's plugins section, e.g. runtime handlers.
	Plugins []extensionsv1alpha1.PluginConfig
	// Files are files written on every node.
	Files []extensionsv1alpha1.File
	// Units are systemd units on every node.
	Units []extensionsv1alpha1.Unit
	// ObsoletePlugins are plugin entries that an earlier version of the runtime added and this one no longer does.
	// gardenlet writes the OSC's containerd configuration anew at each reconciliation, which drops them; until then,
	// the OSC mutator removes an entry equal to one of them (same path and values), so that no mutation keeps what
	// the runtime no longer wants. An entry of the same path with other values is someone else's and stays.
	ObsoletePlugins []extensionsv1alpha1.PluginConfig
}

// RuntimeHandlerPath returns the containerd plugin path of the runtime handler with the given name.
func RuntimeHandlerPath(handler string) []string {
	return []string{CRIPluginName, "containerd", "runtimes", handler}
}

// AddPlugin returns an "add" plugin entry at path whose values are v encoded as JSON.
func AddPlugin(path []string, v any) (extensionsv1alpha1.PluginConfig, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return extensionsv1alpha1.PluginConfig{}, fmt.Errorf("encoding containerd plugin values at %v: %w", path, err)
	}
	op := extensionsv1alpha1.AddPluginPathOperation
	return extensionsv1alpha1.PluginConfig{Op: &op, Path: path, Values: &apiextensionsv1.JSON{Raw: raw}}, nil
}

// InlineFile returns a file with the given content, stored base64-encoded in the OSC.
func InlineFile(path string, permissions uint32, content []byte) extensionsv1alpha1.File {
	return extensionsv1alpha1.File{
		Path:        path,
		Permissions: &permissions,
		Content: extensionsv1alpha1.FileContent{Inline: &extensionsv1alpha1.FileContentInline{
			Encoding: "b64",
			Data:     base64.StdEncoding.EncodeToString(content),
		}},
	}
}

// PoolConfig is a sandbox runtime's providerConfig of a worker pool, decoded once per request: what the pool gets.
type PoolConfig interface {
	// Warnings are the admission warnings about the providerConfig, e.g. for deprecated forms.
	Warnings() []string
	// NodeConfig returns what the nodes of the pool need.
	NodeConfig() (*Config, error)
	// RuntimeClasses returns the RuntimeClasses the pool offers, in a stable order.
	RuntimeClasses() []nodev1.RuntimeClass
}
