package installer_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

// versionTree is the content of a version directory in the tests.
var versionTree = map[string]file{
	"bin/hypervisor":       {"hypervisor", 0o755},
	"share/kernel":         {"kernel", 0o644},
	"share/firmware/a.bin": {"firmware", 0o644},
}

var _ = Describe("InstallDir", func() {
	var src, dst string

	BeforeEach(func() {
		root = GinkgoT().TempDir()
		src = filepath.Join(root, "image", "3.29.0")
		dst = filepath.Join(root, "host", "kata", "3.29.0")
		write(src, versionTree)
	})

	It("creates the directory as a whole, and leaves an identical one alone", func() {
		Expect(installer.InstallDir(src, dst)).To(BeTrue())
		Expect(read(dst)).To(Equal(versionTree))
		dirInode := inode(dst)

		Expect(installer.InstallDir(src, dst)).To(BeFalse())
		Expect(inode(dst)).To(Equal(dirInode))
		Expect(os.ReadDir(filepath.Dir(dst))).To(HaveLen(1), "no staging directory is left behind")
	})

	DescribeTable("switches a directory that differs to a complete new one, while readers of the old one keep it",
		func(damage func()) {
			Expect(installer.InstallDir(src, dst)).To(BeTrue())
			// A running VM holds its kernel open.
			running, err := os.Open(filepath.Join(dst, "share/kernel"))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(running.Close)
			damage()

			Expect(installer.InstallDir(src, dst)).To(BeTrue())
			Expect(read(dst)).To(Equal(versionTree))
			Expect(os.ReadDir(filepath.Dir(dst))).To(HaveLen(1), "the old tree and the staging directory are gone")
			buf := make([]byte, 64)
			n, err := running.Read(buf)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(buf[:n])).To(HavePrefix("kernel"))
		},
		Entry("a deleted file", func() { Expect(os.Remove(filepath.Join(dst, "bin/hypervisor"))).To(Succeed()) }),
		Entry("a changed file", func() {
			Expect(os.WriteFile(filepath.Join(dst, "share/firmware/a.bin"), []byte("tampered"), 0o644)).To(Succeed())
		}),
		Entry("a changed mode", func() { Expect(os.Chmod(filepath.Join(dst, "bin/hypervisor"), 0o777)).To(Succeed()) }),
		Entry("an extra file", func() {
			Expect(os.WriteFile(filepath.Join(dst, "share/extra"), []byte("extra"), 0o644)).To(Succeed())
		}),
	)

	It("refuses a source with a link before touching the destination", func() {
		Expect(os.Symlink("/etc/passwd", filepath.Join(src, "share/link"))).To(Succeed())
		_, err := installer.InstallDir(src, dst)
		Expect(err).To(MatchError(ContainSubstring("symlink")))
		Expect(filepath.Join(root, "host", "kata")).NotTo(BeADirectory())
	})

	It("is what Install uses for the directories it is given, reporting each as one change", func() {
		image := filepath.Join(root, "image-root")
		write(image, map[string]file{"containerd-shim-kata-v2": {"shim", 0o755}})
		write(filepath.Join(image, "kata", "3.29.0"), versionTree)
		host := filepath.Join(root, "host-root")
		Expect(installer.Install(image, host, "kata/3.29.0")).To(Equal([]string{"containerd-shim-kata-v2", "kata/3.29.0"}))
		Expect(read(filepath.Join(host, "kata", "3.29.0"))).To(Equal(versionTree))
		Expect(installer.Install(image, host, "kata/3.29.0")).To(BeEmpty())
	})
})

var _ = Describe("RemoveUnreferencedVersions", func() {
	It("removes version directories outside keep and staging leftovers, nothing else", func() {
		dir := GinkgoT().TempDir()
		for _, d := range []string{"3.28.0", "3.29.0", "3.30.0-rc0", ".staging-3.29.0-123", "other"} {
			Expect(os.MkdirAll(filepath.Join(dir, d, "bin"), 0o755)).To(Succeed())
		}
		Expect(os.WriteFile(filepath.Join(dir, "configuration-qemu.toml"), nil, 0o644)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "3.27.0"), nil, 0o644)).To(Succeed())

		Expect(installer.RemoveUnreferencedVersions(dir, map[string]bool{"3.29.0": true})).To(Equal([]string{".staging-3.29.0-123", "3.28.0", "3.30.0-rc0"}))
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		Expect(names).To(ConsistOf("3.27.0", "3.29.0", "configuration-qemu.toml", "other"))
	})

	It("accepts a missing directory", func() {
		Expect(installer.RemoveUnreferencedVersions(filepath.Join(GinkgoT().TempDir(), "missing"), nil)).To(BeEmpty())
	})
})

var _ = Describe("CheckKVM", func() {
	DescribeTable("reads the KVM device from sysfs",
		func(content *string, want string) {
			sys := GinkgoT().TempDir()
			if content != nil {
				write(sys, map[string]file{"devices/virtual/misc/kvm/dev": {*content, 0o444}})
			}
			err := installer.CheckKVM(sys)
			if want == "" {
				Expect(err).NotTo(HaveOccurred())
			} else {
				Expect(err).To(MatchError(ContainSubstring(want)))
			}
		},
		Entry("present", new("10:232\n"), ""),
		Entry("absent", nil, "the node has no KVM device (/dev/kvm)"),
		Entry("another device", new("10:200\n"), `number "10:200", not 10:232`),
	)
})

var _ = Describe("CheckKataFiles", func() {
	const hostPath = "/var/bin/containerruntimes"
	var dst string
	layout := kata.Layout{BinaryPath: hostPath}

	// configure writes the configuration of h for the node layout, as gardener-node-agent does.
	configure := func(h v1alpha1.Hypervisor) {
		GinkgoHelper()
		content, err := kata.Configuration(h, layout)
		Expect(err).NotTo(HaveOccurred())
		rel, err := filepath.Rel(hostPath, layout.ConfigPath(h))
		Expect(err).NotTo(HaveOccurred())
		write(dst, map[string]file{rel: {string(content), 0o644}})
	}

	// installAll writes every artifact of the layout below dst.
	installAll := func() {
		GinkgoHelper()
		tree := map[string]file{}
		for _, a := range kata.Artifacts() {
			rel := filepath.Join(kata.VersionsDir, kata.Version, a.Path)
			switch {
			case a.Dir:
				for _, f := range a.Required {
					tree[filepath.Join(rel, f)] = file{"firmware", 0o644}
				}
			case a.Executable:
				tree[rel] = file{"program", 0o755}
			default:
				tree[rel] = file{"data", 0o644}
			}
		}
		write(dst, tree)
	}

	BeforeEach(func() {
		dst = GinkgoT().TempDir()
	})

	It("is not ready without any configuration", func() {
		installAll()
		files, err := installer.CheckKataFiles(dst, hostPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(files.Ready()).To(MatchError(ContainSubstring("no Kata configuration")))
	})

	It("is ready when every referenced file is installed, and names the versions referenced", func() {
		installAll()
		for _, h := range v1alpha1.AllHypervisors() {
			configure(h)
		}
		files, err := installer.CheckKataFiles(dst, hostPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(files.Ready()).To(Succeed())
		Expect(files.Configurations).To(ConsistOf("kata/configuration-qemu.toml", "kata/configuration-clh.toml", "kata/configuration-fc.toml"))
		Expect(files.Versions).To(Equal(map[string]bool{kata.Version: true}))
	})

	DescribeTable("names every file that is not usable",
		func(h v1alpha1.Hypervisor, breakIt func(versionDir string), want string) {
			installAll()
			configure(h)
			breakIt(filepath.Join(dst, kata.VersionsDir, kata.Version))
			files, err := installer.CheckKataFiles(dst, hostPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(files.Ready()).To(MatchError(ContainSubstring(want)))
		},
		Entry("a missing hypervisor", v1alpha1.HypervisorCloudHypervisor, func(d string) {
			Expect(os.Remove(filepath.Join(d, "bin/cloud-hypervisor"))).To(Succeed())
		}, "kata/configuration-clh.toml refers to "+hostPath+"/kata/"+kata.Version+"/bin/cloud-hypervisor, which is not installed"),
		Entry("a jailer that is not executable", v1alpha1.HypervisorFirecracker, func(d string) {
			Expect(os.Chmod(filepath.Join(d, "bin/jailer"), 0o644)).To(Succeed())
		}, "bin/jailer, which is not executable"),
		Entry("QEMU's firmware", v1alpha1.HypervisorQEMU, func(d string) {
			Expect(os.Remove(filepath.Join(d, "bin/qemu-bundle", kata.QEMUDataDir, "linuxboot_dma.bin"))).To(Succeed())
		}, "linuxboot_dma.bin, which is not installed"),
		Entry("a kernel that is a directory", v1alpha1.HypervisorQEMU, func(d string) {
			kernel := filepath.Join(d, "share/kata-containers/vmlinux.container")
			Expect(os.Remove(kernel)).To(Succeed())
			Expect(os.Mkdir(kernel, 0o755)).To(Succeed())
		}, "vmlinux.container, which is not a regular file"),
	)

	It("counts a file outside the binary path as missing, and a configuration of another version as referencing it", func() {
		installAll()
		write(dst, map[string]file{"kata/configuration-qemu.toml": {`[hypervisor.qemu]
path = "/usr/bin/qemu-system-x86_64"
kernel = "` + hostPath + `/kata/3.28.0/share/kata-containers/vmlinux.container"
`, 0o644}})
		files, err := installer.CheckKataFiles(dst, hostPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(files.Versions).To(Equal(map[string]bool{"3.28.0": true}))
		Expect(files.Ready()).To(MatchError(And(
			ContainSubstring("/usr/bin/qemu-system-x86_64, which lies outside "+hostPath),
			ContainSubstring("3.28.0/share/kata-containers/vmlinux.container, which is not installed"),
		)))
	})
})
