package kata_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	. "github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

// rendered parses the configuration of hypervisor h in layout l.
func rendered(h v1alpha1.Hypervisor, l Layout) map[string]any {
	GinkgoHelper()
	out, err := Configuration(h, l)
	Expect(err).NotTo(HaveOccurred())
	var tree map[string]any
	Expect(toml.Unmarshal(out, &tree)).To(Succeed())
	return tree
}

// table returns the table at the dotted path of tree.
func table(tree map[string]any, keys ...string) map[string]any {
	GinkgoHelper()
	for _, k := range keys {
		Expect(tree).To(HaveKey(k))
		tree = tree[k].(map[string]any)
	}
	return tree
}

var _ = Describe("Annotations", func() {
	DescribeTable("AnnotationAllowed",
		func(key string, allowed bool) {
			Expect(AnnotationAllowed(key)).To(Equal(allowed))
		},
		Entry("not Kata's", "example.com/anything", true),
		Entry("kata-deploy's untrusted workload annotation is not Kata's", "io.kubernetes.cri.untrusted-workload", true),
		Entry("VM vCPUs", "io.katacontainers.config.hypervisor.default_vcpus", true),
		Entry("VM memory", "io.katacontainers.config.hypervisor.default_memory", true),
		Entry("pipe size", "io.katacontainers.config.agent.container_pipe_size", true),
		Entry("create timeout", "io.katacontainers.config.runtime.create_container_timeout", true),
		Entry("a whole configuration file", "io.katacontainers.config_path", false),
		Entry("the hypervisor", "io.katacontainers.config.hypervisor.path", false),
		Entry("the kernel", "io.katacontainers.config.hypervisor.kernel", false),
		Entry("kernel parameters", "io.katacontainers.config.hypervisor.kernel_params", false),
		Entry("the image", "io.katacontainers.config.hypervisor.image", false),
		Entry("firmware", "io.katacontainers.config.hypervisor.firmware", false),
		Entry("virtiofsd", "io.katacontainers.config.hypervisor.virtio_fs_daemon", false),
		Entry("virtiofsd arguments", "io.katacontainers.config.hypervisor.virtio_fs_extra_args", false),
		Entry("a host path for guest memory", "io.katacontainers.config.hypervisor.file_mem_backend", false),
		Entry("guest seccomp", "io.katacontainers.config.runtime.disable_guest_seccomp", false),
		Entry("the sandbox cgroup", "io.katacontainers.config.runtime.sandbox_cgroup_only", false),
		Entry("kernel modules in the guest", "io.katacontainers.config.agent.kernel_modules", false),
		Entry("an allowed name with a suffix", "io.katacontainers.config.hypervisor.default_memory_x", false),
	)

	It("lists only Kata annotations, and AllowedAnnotations returns a copy", func() {
		Expect(AllowedAnnotations()).To(HaveEach(HavePrefix("io.katacontainers.")))
		first := AllowedAnnotations()
		first[0] = "changed"
		Expect(AllowedAnnotations()[0]).NotTo(Equal("changed"))
	})
})

var _ = Describe("Configuration", func() {
	layout := Layout{BinaryPath: "/var/bin/containerruntimes"}
	versionDir := "/var/bin/containerruntimes/kata/" + Version

	DescribeTable("refers to the installed files of its hypervisor",
		func(h v1alpha1.Hypervisor, tableName string, want map[string]any) {
			hv := table(rendered(h, layout), "hypervisor", tableName)
			for k, v := range want {
				Expect(hv).To(HaveKeyWithValue(k, v), k)
			}
			Expect(hv["valid_hypervisor_paths"]).To(Equal([]any{hv["path"]}))
		},
		Entry("qemu", v1alpha1.HypervisorQEMU, "qemu", map[string]any{
			"path":                         versionDir + "/bin/qemu-system-x86_64",
			"kernel":                       versionDir + "/share/kata-containers/vmlinux.container",
			"image":                        versionDir + "/share/kata-containers/kata-containers.img",
			"virtio_fs_daemon":             versionDir + "/libexec/virtiofsd",
			"valid_virtio_fs_daemon_paths": []any{versionDir + "/libexec/virtiofsd"},
			"shared_fs":                    "virtio-fs",
			"machine_type":                 "q35",
		}),
		Entry("clh", v1alpha1.HypervisorCloudHypervisor, "clh", map[string]any{
			"path":             versionDir + "/bin/cloud-hypervisor",
			"kernel":           versionDir + "/share/kata-containers/vmlinux.container",
			"virtio_fs_daemon": versionDir + "/libexec/virtiofsd",
			"disable_seccomp":  false,
		}),
		Entry("fc", v1alpha1.HypervisorFirecracker, "firecracker", map[string]any{
			"path":                versionDir + "/bin/firecracker",
			"jailer_path":         versionDir + "/bin/jailer",
			"valid_jailer_paths":  []any{versionDir + "/bin/jailer"},
			"block_device_driver": "virtio-mmio",
		}),
	)

	DescribeTable("sets what a multi-tenant node needs",
		func(h v1alpha1.Hypervisor, tableName string) {
			tree := rendered(h, layout)
			hv := table(tree, "hypervisor", tableName)
			Expect(hv).To(HaveKeyWithValue("enable_annotations", []any{"^default_vcpus$", "^default_memory$"}))
			Expect(hv).To(HaveKeyWithValue("enable_debug", false))
			Expect(hv).To(HaveKeyWithValue("guest_hook_path", ""))
			Expect(hv).To(HaveKeyWithValue("valid_entropy_sources", []any{"/dev/urandom"}))
			rt := table(tree, "runtime")
			Expect(rt).To(HaveKeyWithValue("disable_guest_seccomp", false))
			Expect(rt).To(HaveKeyWithValue("sandbox_cgroup_only", true))
			Expect(rt).To(HaveKeyWithValue("sandbox_bind_mounts", []any{}))
			Expect(rt).To(HaveKeyWithValue("experimental", []any{}))
			Expect(rt).To(HaveKeyWithValue("enable_debug", false))
			Expect(rt).To(HaveKeyWithValue("enable_pprof", false))
			agent := table(tree, "agent", "kata")
			Expect(agent).To(HaveKeyWithValue("debug_console_enabled", false))
			Expect(agent).To(HaveKeyWithValue("kernel_modules", []any{}))
			Expect(table(tree, "factory")).To(HaveKeyWithValue("enable_template", false))
		},
		Entry("qemu", v1alpha1.HypervisorQEMU, "qemu"),
		Entry("clh", v1alpha1.HypervisorCloudHypervisor, "clh"),
		Entry("fc", v1alpha1.HypervisorFirecracker, "firecracker"),
	)

	It("sizes Firecracker's VM once, as it cannot hot-plug", func() {
		Expect(table(rendered(v1alpha1.HypervisorFirecracker, layout), "runtime")).To(HaveKeyWithValue("static_sandbox_resource_mgmt", true))
		Expect(table(rendered(v1alpha1.HypervisorQEMU, layout), "runtime")).To(HaveKeyWithValue("static_sandbox_resource_mgmt", false))
	})

	It("differs between layouts only in the binary path", func() {
		for _, h := range v1alpha1.AllHypervisors() {
			node, err := Configuration(h, NodeLayout)
			Expect(err).NotTo(HaveOccurred())
			other, err := Configuration(h, Layout{BinaryPath: "/tmp/elsewhere"})
			Expect(err).NotTo(HaveOccurred())
			Expect(strings.ReplaceAll(string(other), "/tmp/elsewhere/", "/var/bin/containerruntimes/")).To(Equal(string(node)))
		}
	})

	It("refuses an unknown hypervisor", func() {
		_, err := Configuration("vmware", layout)
		Expect(err).To(MatchError(ContainSubstring(`hypervisor "vmware"`)))
	})
})

var _ = Describe("ReferencedPaths", func() {
	It("returns every file a rendered configuration refers to, the programs as executable", func() {
		layout := Layout{BinaryPath: "/b"}
		dir := "/b/kata/" + Version + "/"
		refs := map[v1alpha1.Hypervisor]map[string]bool{
			v1alpha1.HypervisorQEMU: {
				dir + "bin/qemu-system-x86_64": true, dir + "libexec/virtiofsd": true,
				dir + "share/kata-containers/vmlinux.container": false, dir + "share/kata-containers/kata-containers.img": false,
				dir + "bin/qemu-bundle" + QEMUDataDir + "/bios-256k.bin":     false,
				dir + "bin/qemu-bundle" + QEMUDataDir + "/linuxboot_dma.bin": false,
			},
			v1alpha1.HypervisorCloudHypervisor: {
				dir + "bin/cloud-hypervisor": true, dir + "libexec/virtiofsd": true,
				dir + "share/kata-containers/vmlinux.container": false, dir + "share/kata-containers/kata-containers.img": false,
			},
			v1alpha1.HypervisorFirecracker: {
				dir + "bin/firecracker": true, dir + "bin/jailer": true,
				dir + "share/kata-containers/vmlinux.container": false, dir + "share/kata-containers/kata-containers.img": false,
			},
		}
		for h, want := range refs {
			content, err := Configuration(h, layout)
			Expect(err).NotTo(HaveOccurred())
			Expect(ReferencedPaths(content)).To(Equal(want), string(h))
		}
	})

	It("refuses a file that is not TOML", func() {
		_, err := ReferencedPaths([]byte("[hypervisor"))
		Expect(err).To(MatchError(ContainSubstring("parsing a Kata configuration")))
	})
})

var _ = Describe("the payload layout", func() {
	It("has every hypervisor's files, each path once", func() {
		seen := map[string]bool{}
		for _, a := range Artifacts() {
			Expect(seen).NotTo(HaveKey(a.Path))
			seen[a.Path] = true
			Expect(a.From).NotTo(BeEmpty())
			Expect(a.Hypervisors).NotTo(BeEmpty())
		}
		for _, h := range v1alpha1.AllHypervisors() {
			content, err := Configuration(h, Layout{BinaryPath: "/b"})
			Expect(err).NotTo(HaveOccurred())
			refs, err := ReferencedPaths(content)
			Expect(err).NotTo(HaveOccurred())
			for p := range refs {
				rel := strings.TrimPrefix(p, "/b/kata/"+Version+"/")
				Expect(seen[rel] || seen[filepath.Dir(rel)]).To(BeTrue(), "%s refers to %s, which the layout does not have", h, rel)
			}
		}
	})

	It("builds the shim from the release's commit (hack/payload/go.mod)", func() {
		data, err := os.ReadFile("../../hack/payload/go.mod")
		Expect(err).NotTo(HaveOccurred())
		mod, err := modfile.Parse("go.mod", data, nil)
		Expect(err).NotTo(HaveOccurred())
		var version string
		for _, r := range mod.Require {
			if r.Mod.Path == "github.com/kata-containers/kata-containers/src/runtime" {
				version = r.Mod.Version
			}
		}
		Expect(module.IsPseudoVersion(version)).To(BeTrue(), version)
		rev, err := module.PseudoVersionRev(version)
		Expect(err).NotTo(HaveOccurred())
		Expect(ReleaseCommit).To(HavePrefix(rev))
		Expect(KataDeployImage).To(HavePrefix("quay.io/kata-containers/kata-deploy:" + Version + "@sha256:"))
	})
})

var _ = Describe("CheckPayload", func() {
	var dir string

	// writePayload writes a complete stand-in payload below dir.
	writePayload := func() {
		GinkgoHelper()
		write := func(p string, mode os.FileMode) {
			Expect(os.MkdirAll(filepath.Dir(p), 0o755)).To(Succeed())
			Expect(os.WriteFile(p, []byte("stand-in"), mode)).To(Succeed())
			Expect(os.Chmod(p, mode)).To(Succeed())
		}
		write(filepath.Join(dir, ShimName), 0o755)
		for _, a := range Artifacts() {
			target := filepath.Join(dir, VersionsDir, Version, a.Path)
			if a.Dir {
				for _, f := range a.Required {
					write(filepath.Join(target, f), 0o644)
				}
				continue
			}
			mode := os.FileMode(0o644)
			if a.Executable {
				mode = 0o755
			}
			write(target, mode)
		}
	}

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		writePayload()
	})

	It("accepts a complete payload", func() {
		Expect(CheckPayload(dir)).To(Succeed())
	})

	DescribeTable("names every problem",
		func(breakIt func(), wants ...string) {
			breakIt()
			err := CheckPayload(dir)
			for _, w := range wants {
				Expect(err).To(MatchError(ContainSubstring(w)))
			}
		},
		Entry("a missing hypervisor and shim", func() {
			Expect(os.Remove(filepath.Join(dir, VersionsDir, Version, "bin/cloud-hypervisor"))).To(Succeed())
			Expect(os.Remove(filepath.Join(dir, ShimName))).To(Succeed())
		}, "bin/cloud-hypervisor: missing", ShimName+": missing"),
		Entry("a program that is not executable", func() {
			Expect(os.Chmod(filepath.Join(dir, VersionsDir, Version, "libexec/virtiofsd"), 0o644)).To(Succeed())
		}, "libexec/virtiofsd: is not executable"),
		Entry("a link instead of a file", func() {
			p := filepath.Join(dir, VersionsDir, Version, "share/kata-containers/kata-containers.img")
			Expect(os.Remove(p)).To(Succeed())
			Expect(os.Symlink("elsewhere", p)).To(Succeed())
		}, "kata-containers.img: is not a regular file"),
		Entry("QEMU's firmware without SeaBIOS", func() {
			Expect(os.Remove(filepath.Join(dir, VersionsDir, Version, "bin/qemu-bundle", QEMUDataDir, "bios-256k.bin"))).To(Succeed())
		}, "bios-256k.bin: missing"),
	)
})
