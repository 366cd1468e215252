// Package nodetruth checks what a mutated OperatingSystemConfig does on a worker node against the real node
// components instead of against expectations written down in this project:
//
//   - gardener-node-agent's own reconciler renders /etc/containerd/config.toml and writes the OSC's files and units
//     (RenderContainerdConfig), for the containerd version and the config.toml a node has;
//   - a real containerd loads the result (Containerd.DefaultConfig, Containerd.ConfigDump, DroppedKeys,
//     RuntimeHandlers) and runs with it (Containerd.Start), answering CRI requests (RunningContainerd.Status,
//     RunningContainerd.Runtime) on a Node: a private filesystem view in which node processes see the files node-agent
//     wrote at their real paths;
//   - the real runsc parses the flags that the runsc shim derives from runsc.toml (RunscConfigFlags, RunscAccepts,
//     PayloadRunscAccepts);
//   - gardener-extension-runtime-gvisor's edit of config.toml is modelled (IncumbentGVisorConfig), for the switch;
//   - images for a node without a registry are written as OCI archives (WriteOCIImage, BuildStatic).
//
// The binaries: Debian bookworm's packages "containerd" (1.6.20) and "runsc" (0.0~20221219), which `make
// node-packages` installs; containerd 2.2 and 2.4 built from the containerd Go module into .cache/bin (`make
// containerd`, found through $CONTAINERD_MODULE_DIR); the installer's gVisor payload, runsc and
// containerd-shim-runsc-v1 built from the gVisor Go module (`make payload`, found through $GVISOR_PAYLOAD_DIR). `make
// test` builds and sets all of them. Helpers fail with an error that says how to get a missing binary. Processes on a
// Node need root.
package nodetruth
