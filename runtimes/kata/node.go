package kata

import (
	_ "embed"
	"fmt"

	"github.com/pelletier/go-toml/v2"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

const (
	// RuntimeType is the containerd shim of Kata Containers.
	RuntimeType = "io.containerd.kata.v2"
	// RuntimeLabel is kata-deploy's node label for nodes where Kata works. The installer sets and removes it
	// together with runtime.gardener.cloud/kata-ready, so that workloads written for kata-deploy (which select it)
	// find the same nodes.
	RuntimeLabel = "katacontainers.io/kata-runtime"

	// DevmapperSnapshotter is the containerd snapshotter Kata on Firecracker needs.
	DevmapperSnapshotter = "devmapper"
	// DevmapperPluginName is containerd's devmapper snapshotter plugin.
	DevmapperPluginName = "io.containerd.snapshotter.v1.devmapper"
	// DevmapperPoolName is the thin-pool the setup script creates.
	DevmapperPoolName = "containerd-pool"
	// DevmapperRootPath is where the devmapper snapshotter keeps its metadata.
	DevmapperRootPath = "/var/lib/containerd/io.containerd.snapshotter.v1.devmapper"
	// DevmapperSetupScriptPath is the thin-pool setup script on every node of a Firecracker pool.
	DevmapperSetupScriptPath = "/opt/runtime-sandbox/bin/devmapper-setup.sh"
	// DevmapperPluginConfigPath is the devmapper snapshotter's plugin table on every node of a Firecracker pool, kept
	// where containerd does not read it: the setup script copies it to DevmapperDropInPath once the pool exists.
	DevmapperPluginConfigPath = "/opt/runtime-sandbox/etc/containerd-devmapper.toml"
	// DevmapperDropInPath is where the setup script puts the plugin table for containerd, and removes it from when
	// the pool cannot be set up: a file of the directory that gardener-node-agent's containerd configuration imports
	// (/etc/containerd/conf.d/*.toml).
	DevmapperDropInPath = "/etc/containerd/conf.d/runtime-sandbox-devmapper.toml"
	// DevmapperUnitName is the systemd unit that runs the setup script before containerd starts.
	DevmapperUnitName = "runtime-sandbox-devmapper.service"
)

//go:embed devmapper-setup.sh
var devmapperSetupScript []byte

// ConfigPath returns the Kata configuration file of a hypervisor on every node (written by the OSC, next to the
// installed version directories).
func ConfigPath(h v1alpha1.Hypervisor) string { return NodeLayout.ConfigPath(h) }

// NodeConfig returns what a node of a Kata pool needs: one runtime handler per hypervisor (kata-qemu, kata-clh,
// kata-fc) with its Kata configuration file, and for Firecracker the thin-pool setup script with its systemd unit
// and the devmapper snapshotter's plugin table, which the script hands to containerd once the pool exists. cfg
// must be validated and defaulted.
func NodeConfig(cfg *v1alpha1.KataConfiguration) (*node.Config, error) {
	// Earlier versions put the snapshotter's table, exactly this, into containerd's main configuration.
	earlierTable, err := node.AddPlugin([]string{DevmapperPluginName}, map[string]any{
		"root_path":       DevmapperRootPath,
		"pool_name":       DevmapperPoolName,
		"base_image_size": "10GB",
		"discard_blocks":  true,
	})
	if err != nil {
		return nil, err
	}
	out := &node.Config{ObsoletePlugins: []extensionsv1alpha1.PluginConfig{earlierTable}}
	for _, h := range cfg.Hypervisors {
		values := map[string]any{
			"runtime_type": RuntimeType,
			// A privileged pod in the sandbox gets no host devices: with them, it could reach the node's disks and
			// hardware from inside its VM.
			"privileged_without_host_devices": true,
			// Only the allowlisted Kata annotations reach the shim (containerd matches these as exact names).
			"pod_annotations":       AllowedAnnotations(),
			"container_annotations": AllowedAnnotations(),
			"options":               map[string]any{"ConfigPath": ConfigPath(h)},
		}
		if h == v1alpha1.HypervisorFirecracker {
			values["snapshotter"] = DevmapperSnapshotter
		}
		handler, err := node.AddPlugin(node.RuntimeHandlerPath(v1alpha1.RuntimeClassName(h)), values)
		if err != nil {
			return nil, err
		}
		out.Plugins = append(out.Plugins, handler)
		content, err := Configuration(h, NodeLayout)
		if err != nil {
			return nil, err
		}
		out.Files = append(out.Files, node.InlineFile(ConfigPath(h), 0o644, content))

		if h == v1alpha1.HypervisorFirecracker {
			if err := addDevmapper(out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// devmapperPlugin is the devmapper snapshotter's configuration, the table plugins.<DevmapperPluginName> of a
// containerd configuration. Plugin name and keys are the same in containerd's config versions 2, 3 and 4.
type devmapperPlugin struct {
	RootPath      string `toml:"root_path"`
	PoolName      string `toml:"pool_name"`
	BaseImageSize string `toml:"base_image_size"`
	DiscardBlocks bool   `toml:"discard_blocks"`
}

// DevmapperPluginConfig renders the file at DevmapperPluginConfigPath: the devmapper snapshotter's plugin table,
// without a version (the setup script writes the version of the node's containerd configuration in front of it).
//
// It is never part of containerd's main configuration: with a pool_name, containerd loads the snapshotter, and
// when the thin-pool is missing containerd 2.x fails its metadata plugin and with it the CRI, so no pod of any
// handler could start on the node. Without the table containerd skips the snapshotter, and only kata-fc fails.
func DevmapperPluginConfig() ([]byte, error) {
	content, err := toml.Marshal(map[string]map[string]devmapperPlugin{"plugins": {DevmapperPluginName: {
		RootPath:      DevmapperRootPath,
		PoolName:      DevmapperPoolName,
		BaseImageSize: "10GB",
		DiscardBlocks: true,
	}}})
	if err != nil {
		return nil, fmt.Errorf("rendering the devmapper snapshotter's configuration: %w", err)
	}
	return content, nil
}

func addDevmapper(out *node.Config) error {
	plugin, err := DevmapperPluginConfig()
	if err != nil {
		return err
	}
	out.Files = append(out.Files,
		node.InlineFile(DevmapperSetupScriptPath, 0o755, devmapperSetupScript),
		node.InlineFile(DevmapperPluginConfigPath, 0o644, plugin),
	)
	out.Units = append(out.Units, extensionsv1alpha1.Unit{
		Name:    DevmapperUnitName,
		Command: new(extensionsv1alpha1.CommandStart),
		Enable:  new(true),
		Content: new(devmapperUnit),
		// gardener-node-agent restarts the unit when one of them changes.
		FilePaths: []string{DevmapperSetupScriptPath, DevmapperPluginConfigPath},
	})
	return nil
}

// devmapperUnit runs the setup script once per boot, before containerd, which reads the snapshotter's plugin table
// (which the script puts in place only once the pool exists) when it starts. containerd only wants it (WantedBy),
// never requires it: when the setup fails (no dm_thin_pool module, no loop device), containerd and every other
// runtime handler still start, and only kata-fc cannot run. Stopping the unit (when a pool no longer has
// Firecracker, gardener-node-agent stops and removes it; and at shutdown, after containerd) removes the plugin
// table, so that no later containerd start sees the snapshotter without a pool set up in the same boot. The unit is
// part of containerd (PartOf): every restart of containerd restarts it first, in the same transaction, so containerd
// reads the table the setup has just handed over. gardener-node-agent restarts containerd and changed units in
// parallel (when an update changes config.toml and the unit together); without PartOf, containerd could start before
// the table is in place and run without the snapshotter until its next restart.
const devmapperUnit = `[Unit]
Description=devmapper thin-pool for Kata Containers on Firecracker
Before=containerd.service
PartOf=containerd.service
After=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=` + DevmapperSetupScriptPath + ` start
ExecStop=` + DevmapperSetupScriptPath + ` stop

[Install]
WantedBy=multi-user.target containerd.service
`
