package kata

import (
	_ "embed"
	"fmt"

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
	// DevmapperUnitName is the systemd unit that runs the setup script before containerd starts.
	DevmapperUnitName = "runtime-sandbox-devmapper.service"
)

//go:embed devmapper-setup.sh
var devmapperSetupScript []byte

// ConfigPath returns the Kata configuration file of a hypervisor on every node (written by the OSC, next to the
// installed version directories).
func ConfigPath(h v1alpha1.Hypervisor) string { return NodeLayout.ConfigPath(h) }

// NodeConfig returns what a node of a Kata pool needs: one runtime handler per hypervisor (kata-qemu, kata-clh,
// kata-fc) with its Kata configuration file, and for Firecracker the devmapper snapshotter with its thin-pool
// setup script and systemd unit. cfg must be validated and defaulted.
func NodeConfig(cfg *v1alpha1.KataConfiguration) (*node.Config, error) {
	out := &node.Config{}
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

func addDevmapper(out *node.Config) error {
	plugin, err := node.AddPlugin([]string{DevmapperPluginName}, map[string]any{
		"root_path":       DevmapperRootPath,
		"pool_name":       DevmapperPoolName,
		"base_image_size": "10GB",
		"discard_blocks":  true,
	})
	if err != nil {
		return fmt.Errorf("configuring the devmapper snapshotter: %w", err)
	}
	out.Plugins = append(out.Plugins, plugin)
	out.Files = append(out.Files, node.InlineFile(DevmapperSetupScriptPath, 0o755, devmapperSetupScript))
	out.Units = append(out.Units, extensionsv1alpha1.Unit{
		Name:      DevmapperUnitName,
		Command:   new(extensionsv1alpha1.CommandStart),
		Enable:    new(true),
		Content:   new(devmapperUnit),
		FilePaths: []string{DevmapperSetupScriptPath},
	})
	return nil
}

// devmapperUnit runs the setup script once per boot, before containerd, whose devmapper snapshotter needs the pool
// when it starts. containerd only wants it (WantedBy), never requires it: when the setup fails (no dm_thin_pool
// module, no loop device), containerd and every other runtime handler still start, and only kata-fc cannot run.
const devmapperUnit = `[Unit]
Description=devmapper thin-pool for Kata Containers on Firecracker
Before=containerd.service
After=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=` + DevmapperSetupScriptPath + `

[Install]
WantedBy=multi-user.target containerd.service
`
