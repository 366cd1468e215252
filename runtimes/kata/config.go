package kata

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
)

// Annotations a pod author may set for a Kata sandbox. Kata reads many io.katacontainers.* annotations, and most
// of them must not be the pod author's choice on a shared node: a hypervisor, kernel or image path, kernel
// parameters, firmware, virtiofsd arguments, host paths (io.katacontainers.config_path even names the whole
// configuration file), and the sandbox settings below (guest seccomp, sandbox_cgroup_only, kernel modules in
// the guest, experimental features). Kata itself gates only the io.katacontainers.config.hypervisor.*
// annotations (by enable_annotations); so the handlers pass exactly these annotations to the shim and no other
// (pod_annotations, container_annotations), and enable_annotations holds the hypervisor ones among them.
const (
	kataAnnotationPrefix       = "io.katacontainers."
	hypervisorAnnotationPrefix = kataAnnotationPrefix + "config.hypervisor."
)

// allowedAnnotations is the safe allowlist, each with why a pod author may choose it.
var allowedAnnotations = []string{
	// The size of the pod's own VM. sandbox_cgroup_only puts the VMM into the pod's cgroup, so the VM can never use
	// more CPU or memory than the pod's limits (and the RuntimeClass overhead) allow, as for any other pod.
	hypervisorAnnotationPrefix + "default_vcpus",
	hypervisorAnnotationPrefix + "default_memory",
	// The pipe buffer size of the pod's own containers inside its VM.
	kataAnnotationPrefix + "config.agent.container_pipe_size",
	// How long the runtime waits for the pod's own containers to be created.
	kataAnnotationPrefix + "config.runtime.create_container_timeout",
}

// AllowedAnnotations returns the io.katacontainers.* annotations a pod may set for a Kata sandbox: the only ones
// the runtime handlers pass to Kata.
func AllowedAnnotations() []string { return slices.Clone(allowedAnnotations) }

// IsKataAnnotation tells whether key is one of Kata's annotations (io.katacontainers.*).
func IsKataAnnotation(key string) bool { return strings.HasPrefix(key, kataAnnotationPrefix) }

// AnnotationAllowed tells whether a pod may set the annotation key for a Kata sandbox: any annotation outside
// io.katacontainers.*, and the allowlisted ones inside.
func AnnotationAllowed(key string) bool {
	return !IsKataAnnotation(key) || slices.Contains(allowedAnnotations, key)
}

// enableAnnotations is the hypervisor part of the allowlist as Kata's enable_annotations wants it: regular
// expressions matched against the annotation name after io.katacontainers.config.hypervisor., anchored because
// Kata matches them unanchored.
func enableAnnotations() []string {
	out := []string{}
	for _, a := range allowedAnnotations {
		if name, ok := strings.CutPrefix(a, hypervisorAnnotationPrefix); ok {
			out = append(out, "^"+name+"$")
		}
	}
	return out
}

// configuration is Kata's configuration file (configuration-<hypervisor>.toml) with the keys this extension sets;
// Kata's defaults apply to every other key. The field names are those of Kata's own loader (katautils); `make
// test` loads every rendered file with that loader and fails on a key it does not know.
type configuration struct {
	Hypervisor map[string]hypervisorConfig `toml:"hypervisor"`
	Agent      map[string]agentConfig      `toml:"agent"`
	Factory    factoryConfig               `toml:"factory"`
	Runtime    runtimeConfig               `toml:"runtime"`
}

type hypervisorConfig struct {
	Path                 string   `toml:"path"`
	ValidHypervisorPaths []string `toml:"valid_hypervisor_paths"`
	JailerPath           string   `toml:"jailer_path,omitempty"`
	ValidJailerPaths     []string `toml:"valid_jailer_paths,omitempty"`
	Kernel               string   `toml:"kernel"`
	Image                string   `toml:"image"`
	RootfsType           string   `toml:"rootfs_type"`
	KernelParams         string   `toml:"kernel_params"`
	MachineType          string   `toml:"machine_type,omitempty"`
	CPUFeatures          string   `toml:"cpu_features,omitempty"`
	EnableAnnotations    []string `toml:"enable_annotations"`

	SharedFS                 string   `toml:"shared_fs,omitempty"`
	VirtioFSDaemon           string   `toml:"virtio_fs_daemon,omitempty"`
	ValidVirtioFSDaemonPaths []string `toml:"valid_virtio_fs_daemon_paths,omitempty"`
	VirtioFSExtraArgs        []string `toml:"virtio_fs_extra_args,omitempty"`
	VirtioFSCache            string   `toml:"virtio_fs_cache,omitempty"`
	DisableBlockDeviceUse    bool     `toml:"disable_block_device_use"`
	BlockDeviceDriver        string   `toml:"block_device_driver"`
	DisableImageNvdimm       bool     `toml:"disable_image_nvdimm"`

	EntropySource       string   `toml:"entropy_source"`
	ValidEntropySources []string `toml:"valid_entropy_sources"`
	DisableSeccomp      bool     `toml:"disable_seccomp"`
	EnableDebug         bool     `toml:"enable_debug"`
	GuestHookPath       string   `toml:"guest_hook_path"`
}

type agentConfig struct {
	EnableDebug         bool     `toml:"enable_debug"`
	DebugConsoleEnabled bool     `toml:"debug_console_enabled"`
	KernelModules       []string `toml:"kernel_modules"`
	DialTimeout         uint32   `toml:"dial_timeout"`
}

type factoryConfig struct {
	EnableTemplate bool `toml:"enable_template"`
}

type runtimeConfig struct {
	EnableDebug               bool     `toml:"enable_debug"`
	InternetworkingModel      string   `toml:"internetworking_model"`
	DisableGuestSeccomp       bool     `toml:"disable_guest_seccomp"`
	SandboxCgroupOnly         bool     `toml:"sandbox_cgroup_only"`
	StaticSandboxResourceMgmt bool     `toml:"static_sandbox_resource_mgmt"`
	SandboxBindMounts         []string `toml:"sandbox_bind_mounts"`
	Experimental              []string `toml:"experimental"`
	EnablePprof               bool     `toml:"enable_pprof"`
	DisableNewNetNs           bool     `toml:"disable_new_netns"`
}

// hypervisorTable is the table name of a hypervisor in Kata's configuration ([hypervisor.<name>]).
var hypervisorTable = map[v1alpha1.Hypervisor]string{
	v1alpha1.HypervisorQEMU:            "qemu",
	v1alpha1.HypervisorCloudHypervisor: "clh",
	v1alpha1.HypervisorFirecracker:     "firecracker",
}

// Configuration renders Kata's configuration file of hypervisor h, with the paths of the layout l.
func Configuration(h v1alpha1.Hypervisor, l Layout) ([]byte, error) {
	table, ok := hypervisorTable[h]
	if !ok {
		return nil, fmt.Errorf("no Kata configuration for hypervisor %q", h)
	}
	hv := hypervisorConfig{
		Kernel:       l.path(kernelPath),
		Image:        l.path(imagePath),
		RootfsType:   "ext4",
		KernelParams: "cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1", // Kata's x86_64 default
		// Only the allowlisted hypervisor annotations; Kata's own default also lets pods choose kernel parameters
		// and virtiofsd arguments.
		EnableAnnotations: enableAnnotations(),
		// The guest's entropy comes from the host's non-blocking pool; no pod chooses another device.
		EntropySource:       "/dev/urandom",
		ValidEntropySources: []string{"/dev/urandom"},
		// The VMM runs under its seccomp filter (cloud-hypervisor's and firecracker's built-in ones).
		DisableSeccomp: false,
		// No hypervisor debug output (it may carry guest data) and no host hooks run for the guest.
		EnableDebug:   false,
		GuestHookPath: "",
	}
	rt := runtimeConfig{
		EnableDebug:          false,
		InternetworkingModel: "tcfilter",
		// The agent applies the container's seccomp profile inside the guest, so a compromised container meets the
		// same syscall filter as with runc before it reaches the guest kernel (Kata's default turns this off).
		DisableGuestSeccomp: false,
		// The VMM, virtiofsd and the shim run in the pod's cgroup: the pod's limits and the RuntimeClass overhead
		// bound what a sandbox costs the node, instead of an unaccounted sandbox cgroup.
		SandboxCgroupOnly: true,
		// No host directories are bind-mounted into any sandbox.
		SandboxBindMounts: []string{},
		// No experimental features.
		Experimental: []string{},
		// No profiling endpoint in the shim.
		EnablePprof: false,
		// Every sandbox gets its own network namespace.
		DisableNewNetNs: false,
	}
	switch h {
	case v1alpha1.HypervisorQEMU:
		hv.Path = l.path(qemuPath)
		hv.MachineType = "q35"
		hv.CPUFeatures = "pmu=off"
		hv.BlockDeviceDriver = "virtio-scsi"
		// QEMU's own seccomp sandbox (seccompsandbox) stays off: Kata documents it as optional and does not test
		// it; Kata's QEMU runs without host networking or a display either way.
		setVirtioFS(&hv, l)
	case v1alpha1.HypervisorCloudHypervisor:
		hv.Path = l.path(clhPath)
		hv.BlockDeviceDriver = "virtio-blk"
		// Kata's default for Cloud Hypervisor: the image is a virtio block device, not an NVDIMM.
		hv.DisableImageNvdimm = true
		setVirtioFS(&hv, l)
	case v1alpha1.HypervisorFirecracker:
		hv.Path = l.path(firecracker)
		// Firecracker runs in its jailer: chrooted, in its own namespaces and cgroup.
		hv.JailerPath = l.path(jailerPath)
		hv.ValidJailerPaths = []string{hv.JailerPath}
		// Firecracker has no shared file system: container root filesystems are devmapper block devices.
		hv.BlockDeviceDriver = "virtio-mmio"
		// Firecracker cannot hot-plug CPU or memory: the VM is sized once from the pod's limits.
		rt.StaticSandboxResourceMgmt = true
	}
	hv.ValidHypervisorPaths = []string{hv.Path}

	cfg := configuration{
		Hypervisor: map[string]hypervisorConfig{table: hv},
		Agent: map[string]agentConfig{"kata": {
			// No debug console into a tenant's VM and no agent debug logs from it.
			EnableDebug:         false,
			DebugConsoleEnabled: false,
			// No kernel modules are loaded in the guest.
			KernelModules: []string{},
			DialTimeout:   45, // Kata's default
		}},
		// No VM templating: VMs cloned from one template share memory pages across tenants.
		Factory: factoryConfig{EnableTemplate: false},
		Runtime: rt,
	}
	out, err := toml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("rendering the Kata configuration of hypervisor %s: %w", h, err)
	}
	return out, nil
}

// setVirtioFS shares the container root filesystems and volumes with the guest through virtiofsd, as Kata does
// by default for QEMU and Cloud Hypervisor.
func setVirtioFS(hv *hypervisorConfig, l Layout) {
	hv.SharedFS = "virtio-fs"
	hv.VirtioFSDaemon = l.path(virtiofsdPath)
	hv.ValidVirtioFSDaemonPaths = []string{hv.VirtioFSDaemon}
	hv.VirtioFSExtraArgs = []string{"--thread-pool-size=1", "--announce-submounts"} // Kata's default
	hv.VirtioFSCache = "auto"
	// Container root filesystems go through virtio-fs, not block devices.
	hv.DisableBlockDeviceUse = true
}

// ReferencedPaths returns the host files a Kata configuration file refers to (hypervisor, jailer, virtiofsd, kernel,
// image, initrd, firmware), each mapped to whether it must be executable. For Kata's QEMU it adds the firmware QEMU
// loads from below its qemu-bundle directory.
func ReferencedPaths(content []byte) (map[string]bool, error) {
	var cfg struct {
		Hypervisor map[string]struct {
			Path           string `toml:"path"`
			JailerPath     string `toml:"jailer_path"`
			VirtioFSDaemon string `toml:"virtio_fs_daemon"`
			Kernel         string `toml:"kernel"`
			Image          string `toml:"image"`
			Initrd         string `toml:"initrd"`
			Firmware       string `toml:"firmware"`
		} `toml:"hypervisor"`
	}
	if err := toml.Unmarshal(content, &cfg); err != nil {
		return nil, fmt.Errorf("parsing a Kata configuration: %w", err)
	}
	out := map[string]bool{}
	add := func(p string, executable bool) {
		if p != "" {
			out[p] = out[p] || executable
		}
	}
	for _, hv := range cfg.Hypervisor {
		add(hv.Path, true)
		add(hv.JailerPath, true)
		add(hv.VirtioFSDaemon, true)
		for _, p := range []string{hv.Kernel, hv.Image, hv.Initrd, hv.Firmware} {
			add(p, false)
		}
		if versionDir, ok := strings.CutSuffix(hv.Path, "/"+qemuPath); ok {
			for _, f := range qemuFirmware.Required {
				add(path.Join(versionDir, qemuFirmwareAt, f), false)
			}
		}
	}
	return out, nil
}
