package nodetruth

import (
	"bytes"
	"fmt"
)

// IncumbentGVisorConfig returns config (a node's /etc/containerd/config.toml) as gardener-extension-runtime-gvisor's
// installation DaemonSet leaves it. Its script (charts/internal/gvisor-installation, ConfigMap containerd-gvisor-<pool>)
// does nothing when the file mentions containerd.runtimes.runsc already; otherwise it reads the version from the
// first `version = N` line and appends two tables for the runsc handler at that version's plugin path
// (io.containerd.grpc.v1.cri for version 2, io.containerd.cri.v1.runtime for versions 3 and 4): runtime_type
// io.containerd.runsc.v1, and options TypeUrl and ConfigPath /etc/containerd/runsc.toml. Then it restarts containerd.
// It never sets privileged_without_host_devices. Besides, it overwrites /etc/containerd/runsc.toml with its flags,
// which the OSC's runsc.toml replaces.
func IncumbentGVisorConfig(config []byte) ([]byte, error) {
	if bytes.Contains(config, []byte("containerd.runtimes.runsc")) {
		return config, nil
	}
	version, err := ConfigVersion(config)
	if err != nil {
		return nil, err
	}
	if version < 2 {
		// The incumbent writes plugins.cri tables then; no containerd checked here prints such a config.
		return nil, fmt.Errorf("config version %d is not modelled: only versions 2 to 4", version)
	}
	handler := fmt.Sprintf("plugins.%q.containerd.runtimes.runsc", CRIRuntimePlugin(version))
	out := bytes.Clone(config)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = fmt.Appendf(out, "[%s]\nruntime_type = \"io.containerd.runsc.v1\"\n[%s.options]\nTypeUrl = \"io.containerd.runsc.v1.options\"\nConfigPath = \"/etc/containerd/runsc.toml\"\n", handler, handler)
	return out, nil
}
