package installer_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/gardener/gardener-extension-runtime-sandbox/cmd/runtime-sandbox-installer/app"
	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
)

const (
	gvisorReady = "runtime.gardener.cloud/gvisor-ready"
	kataReady   = "runtime.gardener.cloud/kata-ready"
	poolLabel   = "worker.gardener.cloud/pool"
)

// createNode creates a Node with a pool label and the kata ready label, and deletes it after the spec.
func createNode() *corev1.Node {
	GinkgoHelper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "sandbox-",
		Labels:       map[string]string{poolLabel: "sandbox", kataReady: "true"},
	}}
	Expect(c.Create(ctx, node)).To(Succeed())
	DeferCleanup(func() { Expect(client.IgnoreNotFound(c.Delete(ctx, node))).To(Succeed()) })
	return node
}

// labels returns the current labels of node.
func labels(node *corev1.Node) func(Gomega) map[string]string {
	return func(g Gomega) map[string]string {
		current := &corev1.Node{}
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(node), current)).To(Succeed())
		return current.Labels
	}
}

var _ = Describe("Node labelling", func() {
	It("sets the ready label and removes it again, keeping the other labels", func() {
		node := createNode()

		Expect(installer.MarkReady(ctx, c, node.Name, "gvisor")).To(Succeed())
		Expect(labels(node)(Default)).To(Equal(map[string]string{poolLabel: "sandbox", kataReady: "true", gvisorReady: "true"}))

		Expect(installer.MarkReady(ctx, c, node.Name, "gvisor")).To(Succeed(), "marking twice")

		Expect(installer.UnmarkReady(ctx, c, node.Name, "gvisor")).To(Succeed())
		Expect(labels(node)(Default)).To(Equal(map[string]string{poolLabel: "sandbox", kataReady: "true"}))

		Expect(installer.UnmarkReady(ctx, c, node.Name, "gvisor")).To(Succeed(), "removing a missing label")
		Expect(labels(node)(Default)).To(Equal(map[string]string{poolLabel: "sandbox", kataReady: "true"}))
	})

	It("does not fail removing the label of a missing node", func() {
		Expect(installer.UnmarkReady(ctx, c, "no-such-node", "gvisor")).To(Succeed())
	})

	It("fails marking a missing node ready, naming it", func() {
		Expect(installer.MarkReady(ctx, c, "no-such-node", "gvisor")).To(MatchError(ContainSubstring("no-such-node")))
	})
})

var _ = Describe("The runtime-sandbox-installer command", func() {
	It("installs the binaries, marks the node ready while it runs, restores deleted binaries, switches to a new payload as a whole and keeps the label when terminated", func() {
		node := createNode()

		By("writing a kubeconfig for an envtest user")
		user, err := testEnv.AddUser(envtest.User{Name: "runtime-sandbox-installer", Groups: []string{"system:masters"}}, nil)
		Expect(err).NotTo(HaveOccurred())
		kubeconfig, err := user.KubeConfig()
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		kubeconfigPath := filepath.Join(dir, "kubeconfig")
		Expect(os.WriteFile(kubeconfigPath, kubeconfig, 0o600)).To(Succeed())

		src, dst := filepath.Join(dir, "installer", "bin"), filepath.Join(dir, "var", "bin", "containerruntimes")
		Expect(os.MkdirAll(src, 0o755)).To(Succeed())
		Expect(os.MkdirAll(dst, 0o755)).To(Succeed())
		payload := func(runsc, shim string, extra ...string) {
			GinkgoHelper()
			Expect(os.WriteFile(filepath.Join(src, "runsc"), []byte(runsc), 0o755)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(src, "containerd-shim-runsc-v1"), []byte(shim), 0o755)).To(Succeed())
			for _, name := range extra {
				Expect(os.WriteFile(filepath.Join(src, name), []byte(name), 0o755)).To(Succeed())
			}
		}
		payload("runsc v1", "shim v1", "runsc-helper")

		By("running the command until its context is cancelled")
		runCtx, cancel := context.WithCancel(ctx)
		DeferCleanup(cancel)
		cmd := app.NewCommand(runCtx)
		cmd.SetArgs([]string{
			"--source", src,
			"--destination", dst,
			"--runtime-type", "gvisor",
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

		Eventually(labels(node)).WithTimeout(10 * time.Second).Should(HaveKeyWithValue(gvisorReady, "true"))
		Expect(os.ReadFile(filepath.Join(dst, "runsc"))).To(BeEquivalentTo("runsc v1"))
		Expect(os.ReadFile(filepath.Join(dst, "containerd-shim-runsc-v1"))).To(BeEquivalentTo("shim v1"))
		Expect(os.ReadFile(filepath.Join(dst, "runsc-helper"))).To(BeEquivalentTo("runsc-helper"))
		Consistently(done).WithTimeout(300*time.Millisecond).ShouldNot(Receive(), "the command must keep running")

		By("deleting a binary, which the next resync restores")
		Expect(os.Remove(filepath.Join(dst, "runsc"))).To(Succeed())
		Eventually(func() ([]byte, error) { return os.ReadFile(filepath.Join(dst, "runsc")) }).
			WithTimeout(5 * time.Second).Should(BeEquivalentTo("runsc v1"))
		Eventually(labels(node)).WithTimeout(5*time.Second).Should(HaveKeyWithValue(gvisorReady, "true"), "ready again with the whole set")

		By("a new payload (as after an update of the image) without runsc-helper: the whole set switches, the dropped binary goes")
		Expect(os.Remove(filepath.Join(src, "runsc-helper"))).To(Succeed())
		payload("runsc v2", "shim v2")
		Eventually(func() error { _, err := os.Lstat(filepath.Join(dst, "runsc-helper")); return err }).
			WithTimeout(5 * time.Second).Should(MatchError(os.ErrNotExist))
		Expect(os.ReadFile(filepath.Join(dst, "runsc"))).To(BeEquivalentTo("runsc v2"))
		Expect(os.ReadFile(filepath.Join(dst, "containerd-shim-runsc-v1"))).To(BeEquivalentTo("shim v2"))
		Expect(installer.Verify(dst, "gvisor")).To(Succeed())
		Eventually(labels(node)).WithTimeout(5 * time.Second).Should(HaveKeyWithValue(gvisorReady, "true"))

		By("terminating the command (a rolling update): the label stays, the binaries still work")
		cancel()
		Eventually(done).WithTimeout(10 * time.Second).Should(Receive(BeNil()))
		Expect(labels(node)(Default)).To(Equal(map[string]string{poolLabel: "sandbox", kataReady: "true", gvisorReady: "true"}))
	})

	DescribeTable("refuses invalid flags",
		func(args []string, message string) {
			cmd := app.NewCommand(ctx)
			cmd.SetArgs(args)
			cmd.SetOut(GinkgoWriter)
			cmd.SetErr(GinkgoWriter)
			Expect(cmd.Execute()).To(MatchError(ContainSubstring(message)))
		},
		Entry("no destination", []string{"--runtime-type", "gvisor", "--node-name", "n"}, "--destination is required"),
		Entry("unknown runtime type", []string{"--destination", "/d", "--runtime-type", "runc", "--node-name", "n"}, `--runtime-type must be one of [gvisor kata], got "runc"`),
		Entry("no node name", []string{"--destination", "/d", "--runtime-type", "kata", "--node-name", ""}, "--node-name or $NODE_NAME is required"),
		Entry("no resync interval", []string{"--destination", "/d", "--runtime-type", "kata", "--node-name", "n", "--resync-interval", "0s"}, "--resync-interval must be positive"),
	)
})
