package installer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/cmd/runtime-sandbox-installer/app"
	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

const kataRuntime = "katacontainers.io/kata-runtime"

// writeFile writes content with mode at path, creating its directory.
func writeFile(path, content string, mode os.FileMode) {
	GinkgoHelper()
	Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
	Expect(os.WriteFile(path, []byte(content), mode)).To(Succeed())
	Expect(os.Chmod(path, mode)).To(Succeed())
}

// kataImagePayload writes a stand-in of the installer image's Kata payload (/installer/bin/kata) below dir, in the
// layout of runtimes/kata.
func kataImagePayload(dir string) {
	GinkgoHelper()
	writeFile(filepath.Join(dir, kata.ShimName), "shim", 0o755)
	for _, a := range kata.Artifacts() {
		target := filepath.Join(dir, kata.VersionsDir, kata.Version, a.Path)
		switch {
		case a.Dir:
			for _, f := range a.Required {
				writeFile(filepath.Join(target, f), "firmware", 0o644)
			}
		case a.Executable:
			writeFile(target, "program "+a.Path, 0o755)
		default:
			writeFile(target, "data "+a.Path, 0o644)
		}
	}
}

// installerKubeconfig writes a kubeconfig of an envtest user into dir and returns its path.
func installerKubeconfig(dir string) string {
	GinkgoHelper()
	user, err := testEnv.AddUser(envtest.User{Name: "runtime-sandbox-installer-kata", Groups: []string{"system:masters"}}, nil)
	Expect(err).NotTo(HaveOccurred())
	kubeconfig, err := user.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(dir, "kubeconfig")
	Expect(os.WriteFile(path, kubeconfig, 0o600)).To(Succeed())
	return path
}

var _ = Describe("The runtime-sandbox-installer command for Kata", func() {
	It("labels the node only while KVM is there and every file of its configurations is installed, and removes old versions once no configuration refers to them", func() {
		By("creating a node that carries stale ready labels")
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "kata-",
			Labels:       map[string]string{poolLabel: "kata", kataReady: "true", kataRuntime: "true"},
		}}
		Expect(c.Create(ctx, node)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(c.Delete(ctx, node))).To(Succeed()) })

		dir := GinkgoT().TempDir()
		kubeconfigPath := installerKubeconfig(dir)

		// A directory layout stands in for the host: its binary path (the hostPath mount) and its sysfs.
		const hostPath = "/var/bin/containerruntimes"
		src, dst, sys := filepath.Join(dir, "installer", "bin", "kata"), filepath.Join(dir, "host", "var", "bin", "containerruntimes"), filepath.Join(dir, "host", "sys")
		kataImagePayload(src)
		Expect(os.MkdirAll(sys, 0o755)).To(Succeed())
		writeConfig := func(h v1alpha1.Hypervisor) {
			content, err := kata.Configuration(h, kata.Layout{BinaryPath: hostPath})
			Expect(err).NotTo(HaveOccurred())
			writeFile(filepath.Join(dst, kata.VersionsDir, "configuration-"+string(h)+".toml"), string(content), 0o644)
		}
		// An earlier version, which a configuration of gardener-node-agent still refers to.
		oldVersion := filepath.Join(dst, kata.VersionsDir, "3.28.0")
		writeFile(filepath.Join(oldVersion, "bin/qemu-system-x86_64"), "old qemu", 0o755)
		for _, f := range []string{"bios-256k.bin", "linuxboot_dma.bin"} {
			writeFile(filepath.Join(oldVersion, "bin/qemu-bundle", kata.QEMUDataDir, f), "old firmware", 0o644)
		}
		qemuConfig, err := kata.Configuration(v1alpha1.HypervisorQEMU, kata.Layout{BinaryPath: hostPath})
		Expect(err).NotTo(HaveOccurred())
		writeFile(filepath.Join(dst, kata.VersionsDir, "configuration-qemu.toml"),
			strings.ReplaceAll(string(qemuConfig), "/kata/"+kata.Version+"/bin/qemu-system-x86_64", "/kata/3.28.0/bin/qemu-system-x86_64"), 0o644)
		writeConfig(v1alpha1.HypervisorFirecracker)

		By("running the command on a node without KVM")
		runCtx, cancel := context.WithCancel(ctx)
		DeferCleanup(cancel)
		cmd := app.NewCommand(runCtx)
		cmd.SetArgs([]string{
			"--source", src,
			"--destination", dst,
			"--host-destination", hostPath,
			"--sys-root", sys,
			"--runtime-type", "kata",
			"--node-name", node.Name,
			"--kubeconfig", kubeconfigPath,
			"--resync-interval", "100ms",
		})
		cmd.SetOut(GinkgoWriter)
		cmd.SetErr(GinkgoWriter)
		done := make(chan error, 1)
		go func() {
			defer GinkgoRecover()
			done <- cmd.Execute()
		}()

		Eventually(labels(node)).WithTimeout(10*time.Second).Should(Equal(map[string]string{poolLabel: "kata"}), "the stale ready labels go")
		Expect(filepath.Join(dst, kata.ShimName)).To(BeARegularFile())
		Expect(installer.Verify(dst, kata.Type)).To(Succeed(), "the shim is installed all the same, as one set")
		for _, a := range kata.Artifacts() {
			Expect(filepath.Join(dst, kata.VersionsDir, kata.Version, a.Path)).To(BeAnExistingFile(), "the version directory is installed all the same")
		}
		Expect(filepath.Join(oldVersion, "bin/qemu-system-x86_64")).To(BeARegularFile(), "a configuration refers to the old version")

		By("the node getting KVM")
		writeFile(filepath.Join(sys, "devices/virtual/misc/kvm/dev"), "10:232\n", 0o444)
		Eventually(labels(node)).WithTimeout(10*time.Second).Should(Equal(map[string]string{poolLabel: "kata", kataReady: "true", kataRuntime: "true"}), "both labels together")

		By("gardener-node-agent switching the QEMU configuration to the new version")
		writeConfig(v1alpha1.HypervisorQEMU)
		Eventually(func() string { return oldVersion }).WithTimeout(10 * time.Second).ShouldNot(BeADirectory())
		Expect(labels(node)(Default)).To(HaveKeyWithValue(kataReady, "true"))

		By("a configuration referring to a file the node lacks")
		writeFile(filepath.Join(dst, kata.VersionsDir, "configuration-clh.toml"), "[hypervisor.clh]\npath = \"/usr/local/bin/cloud-hypervisor\"\n", 0o644)
		Eventually(labels(node)).WithTimeout(10 * time.Second).Should(Equal(map[string]string{poolLabel: "kata"}))
		Expect(os.Remove(filepath.Join(dst, kata.VersionsDir, "configuration-clh.toml"))).To(Succeed())
		Eventually(labels(node)).WithTimeout(10 * time.Second).Should(HaveKeyWithValue(kataRuntime, "true"))

		By("terminating the command, which keeps the labels: the installed runtime still works")
		cancel()
		Eventually(done).WithTimeout(10 * time.Second).Should(Receive(BeNil()))
		Expect(labels(node)(Default)).To(Equal(map[string]string{poolLabel: "kata", kataReady: "true", kataRuntime: "true"}))
	})

	It("refuses an image whose Kata payload does not match the layout, naming the file", func() {
		dir := GinkgoT().TempDir()
		src := filepath.Join(dir, "installer", "bin", "kata")
		kataImagePayload(src)
		Expect(os.Remove(filepath.Join(src, kata.VersionsDir, kata.Version, "libexec/virtiofsd"))).To(Succeed())
		cmd := app.NewCommand(ctx)
		cmd.SetArgs([]string{"--source", src, "--destination", filepath.Join(dir, "dst"), "--runtime-type", "kata",
			"--node-name", "n", "--kubeconfig", installerKubeconfig(dir)})
		cmd.SetOut(GinkgoWriter)
		cmd.SetErr(GinkgoWriter)
		Expect(cmd.Execute()).To(MatchError(ContainSubstring("libexec/virtiofsd: missing")))
	})
})
