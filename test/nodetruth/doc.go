// Package nodetruth checks what a mutated OperatingSystemConfig does on a worker node against the real node
// components instead of against expectations written down in this project:
//
//   - gardener-node-agent's own reconciler renders /etc/containerd/config.toml and writes the OSC's files and units
//     (RenderContainerdConfig),
//   - the real containerd binary loads the result (ContainerdDefaultConfig, ContainerdConfigDump, DroppedKeys),
//   - the real runsc binary parses the flags that the runsc shim derives from runsc.toml (RunscConfigFlags,
//     RunscAccepts).
//
// The binaries come from the Debian bookworm packages "containerd" (1.6.20) and "runsc" (0.0~20221219); .ci/run
// installs them. Helpers fail with an error that names the package when a binary is missing.
package nodetruth
