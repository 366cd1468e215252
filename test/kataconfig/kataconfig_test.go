package kataconfig_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/pelletier/go-toml/v2"
	"k8s.io/apimachinery/pkg/runtime"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
	"github.com/gardener/gardener-extension-runtime-sandbox/mutators/osc"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// loaded is what kata-config-check reports for one file.
type loaded struct {
	File                      string   `json:"file"`
	Error                     string   `json:"error"`
	Undecoded                 []string `json:"undecoded"`
	HypervisorType            string   `json:"hypervisorType"`
	HypervisorPath            string   `json:"hypervisorPath"`
	JailerPath                string   `json:"jailerPath"`
	KernelPath                string   `json:"kernelPath"`
	ImagePath                 string   `json:"imagePath"`
	VirtioFSDaemon            string   `json:"virtioFSDaemon"`
	SharedFS                  string   `json:"sharedFS"`
	EnableAnnotations         []string `json:"enableAnnotations"`
	DisableGuestSeccomp       bool     `json:"disableGuestSeccomp"`
	DisableSeccomp            bool     `json:"disableSeccomp"`
	SandboxCgroupOnly         bool     `json:"sandboxCgroupOnly"`
	StaticSandboxResourceMgmt bool     `json:"staticSandboxResourceMgmt"`
	EnableDebugConsole        bool     `json:"enableDebugConsole"`
	EnablePprof               bool     `json:"enablePprof"`
	Template                  bool     `json:"template"`
}

// vhostVsock returns the file the loader takes for /dev/vhost-vsock: the device where the machine has it, else a
// stand-in (the development machine's kernel has no vhost_vsock; Kata nodes need it for QEMU, see README).
func vhostVsock() string {
	GinkgoHelper()
	if _, err := os.Stat("/dev/vhost-vsock"); err == nil {
		return "/dev/vhost-vsock"
	}
	standIn := filepath.Join(GinkgoT().TempDir(), "vhost-vsock")
	Expect(os.WriteFile(standIn, nil, 0o600)).To(Succeed())
	return standIn
}

// check runs kata-config-check on files and returns its reports and whether it succeeded.
func check(files ...string) ([]loaded, error) {
	GinkgoHelper()
	cmd := exec.Command(checker, append([]string{"--vhost-vsock", vhostVsock()}, files...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var exit *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exit) {
		Fail("running kata-config-check: " + runErr.Error())
	}
	var out []loaded
	scanner := bufio.NewScanner(&stdout)
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		var l loaded
		Expect(json.Unmarshal(scanner.Bytes(), &l)).To(Succeed(), scanner.Text())
		out = append(out, l)
	}
	Expect(out).To(HaveLen(len(files)), "stderr: %s", stderr.String())
	return out, runErr
}

// kataOSC is the sample Shoot's Kata pool's OSC with all three hypervisors, as the extension mutates it.
func kataOSC() *extensionsv1alpha1.OperatingSystemConfig {
	GinkgoHelper()
	shoot, err := samples.Shoot()
	Expect(err).NotTo(HaveOccurred())
	found := false
	for i, w := range shoot.Spec.Provider.Workers {
		if w.Name == "kata" {
			shoot.Spec.Provider.Workers[i].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(
				`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["qemu","clh","fc"]}`)}
			found = true
		}
	}
	Expect(found).To(BeTrue(), "the sample Shoot has a pool kata")
	o := samples.OSC("worker-kata", "kata")
	Expect(osc.Mutate(o, shoot, kata.New())).To(Succeed())
	return o
}

// writeImagePayload writes a stand-in of the installer image's Kata payload below dir, in the layout of
// runtimes/kata (what `make payload` assembles from kata-deploy).
func writeImagePayload(dir string) {
	GinkgoHelper()
	write := func(p string, mode os.FileMode) {
		Expect(os.MkdirAll(filepath.Dir(p), 0o755)).To(Succeed())
		Expect(os.WriteFile(p, []byte("stand-in"), mode)).To(Succeed())
		Expect(os.Chmod(p, mode)).To(Succeed())
	}
	write(filepath.Join(dir, kata.ShimName), 0o755)
	for _, a := range kata.Artifacts() {
		target := filepath.Join(dir, kata.VersionsDir, kata.Version, a.Path)
		switch {
		case a.Dir:
			for _, f := range a.Required {
				write(filepath.Join(target, f), 0o644)
			}
		case a.Executable:
			write(target, 0o755)
		default:
			write(target, 0o644)
		}
	}
}

var _ = Describe("the Kata configurations of a Kata pool's OSC", func() {
	ctx := context.Background()
	var (
		files      map[string][]byte
		dump       []byte
		binaryPath string
		configs    map[v1alpha1.Hypervisor]string
	)

	BeforeEach(func() {
		By("rendering the mutated OSC with gardener-node-agent's reconciler and loading containerd's config with containerd")
		containerd := nodetruth.DebianContainerd()
		defaultConfig, err := containerd.DefaultConfig(ctx)
		Expect(err).NotTo(HaveOccurred())
		version, err := containerd.Version(ctx)
		Expect(err).NotTo(HaveOccurred())
		files, err = nodetruth.RenderContainerdConfig(ctx, kataOSC(), defaultConfig, version)
		Expect(err).NotTo(HaveOccurred())
		testNode, err := nodetruth.NewNode(GinkgoT().TempDir(), files)
		Expect(err).NotTo(HaveOccurred())
		dump, err = containerd.ConfigDump(ctx, testNode)
		Expect(err).NotTo(HaveOccurred())

		By("installing the payload with the node installer into a directory standing in for the node's binary path")
		root := GinkgoT().TempDir()
		src := filepath.Join(root, "installer", "bin", "kata")
		binaryPath = filepath.Join(root, "var", "bin", "containerruntimes")
		writeImagePayload(src)
		_, err = installer.Install(src, binaryPath, filepath.Join(kata.VersionsDir, kata.Version))
		Expect(err).NotTo(HaveOccurred())

		By("putting the node's configuration files there, their paths moved from the node's binary path to it")
		configs = map[v1alpha1.Hypervisor]string{}
		for _, h := range v1alpha1.AllHypervisors() {
			content, ok := files[kata.ConfigPath(h)]
			Expect(ok).To(BeTrue(), "gardener-node-agent writes %s", kata.ConfigPath(h))
			moved := strings.ReplaceAll(string(content), node.BinaryPath+"/", binaryPath+"/")
			configs[h] = filepath.Join(binaryPath, kata.VersionsDir, "configuration-"+string(h)+".toml")
			Expect(os.WriteFile(configs[h], []byte(moved), 0o644)).To(Succeed())
		}
	})

	It("loads every file with Kata's own loader, without an unknown key, with the installed files", func() {
		versionDir := filepath.Join(binaryPath, kata.VersionsDir, kata.Version)
		reports, err := check(configs[v1alpha1.HypervisorQEMU], configs[v1alpha1.HypervisorCloudHypervisor], configs[v1alpha1.HypervisorFirecracker])
		Expect(err).NotTo(HaveOccurred(), "%+v", reports)
		for _, r := range reports {
			Expect(r.Error).To(BeEmpty(), r.File)
			Expect(r.Undecoded).To(BeEmpty(), r.File)
			Expect(r.KernelPath).To(Equal(filepath.Join(versionDir, "share/kata-containers/vmlinux.container")), r.File)
			Expect(r.ImagePath).To(Equal(filepath.Join(versionDir, "share/kata-containers/kata-containers.img")), r.File)
			// The multi-tenant settings, as Kata's runtime sees them.
			Expect(r.EnableAnnotations).To(Equal([]string{"^default_vcpus$", "^default_memory$"}), r.File)
			Expect(r.DisableGuestSeccomp).To(BeFalse(), r.File)
			Expect(r.DisableSeccomp).To(BeFalse(), r.File)
			Expect(r.SandboxCgroupOnly).To(BeTrue(), r.File)
			Expect(r.EnableDebugConsole).To(BeFalse(), r.File)
			Expect(r.EnablePprof).To(BeFalse(), r.File)
			Expect(r.Template).To(BeFalse(), r.File)
		}
		Expect(reports[0]).To(And(
			HaveField("HypervisorType", "qemu"),
			HaveField("HypervisorPath", filepath.Join(versionDir, "bin/qemu-system-x86_64")),
			HaveField("VirtioFSDaemon", filepath.Join(versionDir, "libexec/virtiofsd")),
			HaveField("SharedFS", "virtio-fs"),
		))
		Expect(reports[1]).To(And(
			HaveField("HypervisorType", "clh"),
			HaveField("HypervisorPath", filepath.Join(versionDir, "bin/cloud-hypervisor")),
			HaveField("VirtioFSDaemon", filepath.Join(versionDir, "libexec/virtiofsd")),
		))
		Expect(reports[2]).To(And(
			HaveField("HypervisorType", "firecracker"),
			HaveField("HypervisorPath", filepath.Join(versionDir, "bin/firecracker")),
			HaveField("JailerPath", filepath.Join(versionDir, "bin/jailer")),
			HaveField("StaticSandboxResourceMgmt", true),
		))

		By("the installer's readiness agreeing: every file the configurations refer to is installed")
		kataFiles, err := installer.CheckKataFiles(binaryPath, binaryPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(kataFiles.Ready()).To(Succeed())
		Expect(kataFiles.Versions).To(Equal(map[string]bool{kata.Version: true}))
	})

	DescribeTable("a missing file the configuration refers to fails the loader, and always the installer's readiness",
		func(h v1alpha1.Hypervisor, rel string, loaderChecks bool) {
			Expect(os.Remove(filepath.Join(binaryPath, kata.VersionsDir, kata.Version, rel))).To(Succeed())
			reports, err := check(configs[h])
			if loaderChecks {
				Expect(err).To(HaveOccurred())
				Expect(reports[0].Error).To(ContainSubstring(rel))
			} else {
				Expect(err).NotTo(HaveOccurred(), "Kata's loader does not look for this file; the first sandbox would fail")
			}
			kataFiles, err := installer.CheckKataFiles(binaryPath, binaryPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(kataFiles.Ready()).To(MatchError(ContainSubstring(rel + ", which is not installed")))
		},
		Entry("QEMU", v1alpha1.HypervisorQEMU, "bin/qemu-system-x86_64", true),
		Entry("the kernel", v1alpha1.HypervisorCloudHypervisor, "share/kata-containers/vmlinux.container", true),
		Entry("the image", v1alpha1.HypervisorQEMU, "share/kata-containers/kata-containers.img", true),
		Entry("the jailer", v1alpha1.HypervisorFirecracker, "bin/jailer", true),
		Entry("virtiofsd", v1alpha1.HypervisorCloudHypervisor, "libexec/virtiofsd", false),
		Entry("QEMU's firmware", v1alpha1.HypervisorQEMU, "bin/qemu-bundle"+kata.QEMUDataDir+"/bios-256k.bin", false),
	)

	It("fails on a key Kata does not know, which its loader alone ignores", func() {
		var tree map[string]any
		content, err := os.ReadFile(configs[v1alpha1.HypervisorQEMU])
		Expect(err).NotTo(HaveOccurred())
		Expect(toml.Unmarshal(content, &tree)).To(Succeed())
		tree["runtime"].(map[string]any)["sandbox_cgroups_only"] = true // misspelt
		content, err = toml.Marshal(tree)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(configs[v1alpha1.HypervisorQEMU], content, 0o644)).To(Succeed())

		reports, err := check(configs[v1alpha1.HypervisorQEMU])
		Expect(err).To(HaveOccurred())
		Expect(reports[0].Error).To(BeEmpty(), "LoadConfiguration accepts it")
		Expect(reports[0].Undecoded).To(ConsistOf("runtime.sandbox_cgroups_only"))
	})

	It("gives containerd one handler per hypervisor with its configuration file and only the allowlisted annotations", func() {
		var tree map[string]any
		Expect(toml.Unmarshal(dump, &tree)).To(Succeed())
		runtimes := tree["plugins"].(map[string]any)["io.containerd.grpc.v1.cri"].(map[string]any)["containerd"].(map[string]any)["runtimes"].(map[string]any)
		allowed := make([]any, 0, len(kata.AllowedAnnotations()))
		for _, a := range kata.AllowedAnnotations() {
			allowed = append(allowed, a)
		}
		for _, h := range v1alpha1.AllHypervisors() {
			Expect(runtimes).To(HaveKeyWithValue(v1alpha1.RuntimeClassName(h), And(
				HaveKeyWithValue("runtime_type", kata.RuntimeType),
				HaveKeyWithValue("options", HaveKeyWithValue("ConfigPath", kata.ConfigPath(h))),
				HaveKeyWithValue("pod_annotations", Equal(allowed)),
				HaveKeyWithValue("container_annotations", Equal(allowed)),
			)), string(h))
		}
	})
})
