package installer_test

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
)

// gvisorPayload is a gVisor payload: its binaries at the top level.
var gvisorPayload = map[string]file{
	"runsc":                    {"runsc v1", 0o755},
	"containerd-shim-runsc-v1": {"shim v1", 0o755},
}

// entries returns the names in dir.
func entries(dir string) []string {
	GinkgoHelper()
	list, err := os.ReadDir(dir)
	Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

var _ = Describe("InstallPayload", func() {
	var state string

	BeforeEach(func() {
		root = GinkgoT().TempDir()
		src = filepath.Join(root, "installer", "bin", "gvisor")
		dst = filepath.Join(root, "var", "bin", "containerruntimes")
		state = filepath.Join(dst, installer.StateDir, "gvisor")
		write(src, gvisorPayload)
		Expect(os.MkdirAll(dst, 0o755)).To(Succeed())
	})

	// newPayload replaces the payload in src by tree.
	newPayload := func(tree map[string]file) {
		GinkgoHelper()
		Expect(os.RemoveAll(src)).To(Succeed())
		write(src, tree)
	}

	It("installs the binaries as one set in a stamped directory, links their names through current, and records them", func() {
		changes, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).NotTo(HaveOccurred())
		Expect(changes.Changed).To(Equal([]string{"set " + changes.Stamp, "containerd-shim-runsc-v1", "runsc"}))
		Expect(changes.Removed).To(BeEmpty())

		Expect(os.ReadFile(filepath.Join(dst, "runsc"))).To(BeEquivalentTo("runsc v1"))
		Expect(os.ReadFile(filepath.Join(dst, "containerd-shim-runsc-v1"))).To(BeEquivalentTo("shim v1"))
		Expect(os.Readlink(filepath.Join(dst, "runsc"))).To(Equal(".runtime-sandbox/gvisor/current/runsc"))
		Expect(os.Readlink(filepath.Join(state, "current"))).To(Equal(changes.Stamp))
		Expect(read(filepath.Join(state, changes.Stamp))).To(Equal(gvisorPayload))
		Expect(installer.ReadManifest(dst, "gvisor")).To(Equal(&installer.Manifest{Stamp: changes.Stamp, Files: []string{"containerd-shim-runsc-v1", "runsc"}}))
		Expect(installer.Verify(dst, "gvisor")).To(Succeed())

		By("installing the same payload again")
		again, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(Equal(&installer.Changes{Stamp: changes.Stamp}))
	})

	It("switches to a new payload's set at once, removes the old set, and running binaries keep the old content", func() {
		first, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).NotTo(HaveOccurred())
		running, err := os.Open(filepath.Join(dst, "runsc"))
		Expect(err).NotTo(HaveOccurred())
		defer running.Close()

		newPayload(map[string]file{"runsc": {"runsc v2", 0o755}, "containerd-shim-runsc-v1": {"shim v2", 0o755}})
		second, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).NotTo(HaveOccurred())
		Expect(second.Stamp).NotTo(Equal(first.Stamp))
		// The names were links through current already: only current changed, in one rename.
		Expect(second.Changed).To(Equal([]string{"set " + second.Stamp}))
		Expect(os.ReadFile(filepath.Join(dst, "runsc"))).To(BeEquivalentTo("runsc v2"))
		Expect(os.ReadFile(filepath.Join(dst, "containerd-shim-runsc-v1"))).To(BeEquivalentTo("shim v2"))
		Expect(entries(state)).To(ConsistOf(second.Stamp, "current", "manifest.json"), "the old set is removed")
		Expect(io.ReadAll(running)).To(BeEquivalentTo("runsc v1"))
		Expect(installer.Verify(dst, "gvisor")).To(Succeed())
	})

	It("removes a binary the new payload dropped, and leaves files it did not install", func() {
		newPayload(map[string]file{"runsc": {"runsc v1", 0o755}, "containerd-shim-runsc-v1": {"shim v1", 0o755}, "runsc-helper": {"helper", 0o755}})
		_, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dst, "someone-elses"), []byte("not ours"), 0o755)).To(Succeed())

		newPayload(gvisorPayload)
		changes, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).NotTo(HaveOccurred())
		Expect(changes.Removed).To(Equal([]string{"runsc-helper"}))
		Expect(entries(dst)).To(ConsistOf(".runtime-sandbox", "containerd-shim-runsc-v1", "runsc", "someone-elses"))
		Expect(installer.ReadManifest(dst, "gvisor")).To(HaveField("Files", []string{"containerd-shim-runsc-v1", "runsc"}))
	})

	It("keeps the sets of two runtimes installed into one destination apart", func() {
		kataSrc := filepath.Join(root, "installer", "bin", "kata")
		write(kataSrc, map[string]file{"containerd-shim-kata-v2": {"kata shim", 0o755}, "kata/3.29.0/bin/qemu": {"qemu", 0o755}})
		_, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).NotTo(HaveOccurred())
		changes, err := installer.InstallPayload(kataSrc, dst, "kata", "kata/3.29.0")
		Expect(err).NotTo(HaveOccurred())
		Expect(changes.Changed).To(Equal([]string{"kata/3.29.0", "set " + changes.Stamp, "containerd-shim-kata-v2"}))
		Expect(os.ReadFile(filepath.Join(dst, "kata/3.29.0/bin/qemu"))).To(BeEquivalentTo("qemu"))
		Expect(installer.Verify(dst, "gvisor")).To(Succeed())
		Expect(installer.Verify(dst, "kata")).To(Succeed())
		Expect(entries(filepath.Join(dst, installer.StateDir))).To(ConsistOf("gvisor", "kata"))
	})

	It("replaces the regular files an earlier installer left by links to the set", func() {
		write(dst, map[string]file{"runsc": {"runsc v0", 0o755}, "containerd-shim-runsc-v1": {"shim v0", 0o755}})
		changes, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).NotTo(HaveOccurred())
		Expect(changes.Changed).To(ContainElements("runsc", "containerd-shim-runsc-v1"))
		Expect(os.ReadFile(filepath.Join(dst, "runsc"))).To(BeEquivalentTo("runsc v1"))
		Expect(installer.Verify(dst, "gvisor")).To(Succeed())
	})

	DescribeTable("Verify names what makes the installed binaries not one whole set, and the next install repairs it",
		func(breakIt func(stamp string), message string) {
			changes, err := installer.InstallPayload(src, dst, "gvisor")
			Expect(err).NotTo(HaveOccurred())
			breakIt(changes.Stamp)
			Expect(installer.Verify(dst, "gvisor")).To(MatchError(ContainSubstring(message)))
			_, err = installer.InstallPayload(src, dst, "gvisor")
			Expect(err).NotTo(HaveOccurred())
			Expect(installer.Verify(dst, "gvisor")).To(Succeed())
		},
		Entry("a binary of the set replaced", func(stamp string) {
			Expect(os.WriteFile(filepath.Join(dst, installer.StateDir, "gvisor", stamp, "runsc"), []byte("other runsc"), 0o755)).To(Succeed())
		}, "its files changed"),
		Entry("a binary of the set deleted", func(stamp string) {
			Expect(os.Remove(filepath.Join(dst, installer.StateDir, "gvisor", stamp, "containerd-shim-runsc-v1"))).To(Succeed())
		}, "is incomplete"),
		Entry("a name that is a file of another version instead of the link", func(string) {
			Expect(os.Remove(filepath.Join(dst, "runsc"))).To(Succeed())
			Expect(os.WriteFile(filepath.Join(dst, "runsc"), []byte("runsc v0"), 0o755)).To(Succeed())
		}, "runsc is not the link to .runtime-sandbox/gvisor/current/runsc"),
	)

	It("fails Verify before anything is installed", func() {
		Expect(installer.Verify(dst, "gvisor")).To(MatchError(ContainSubstring("nothing installed yet")))
	})

	It("refuses a payload with a directory that is no version directory, before writing anything", func() {
		write(src, map[string]file{"extra/file": {"x", 0o644}})
		_, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).To(MatchError(ContainSubstring("has a directory extra that is no version directory")))
		Expect(entries(dst)).To(BeEmpty())
	})

	It("fails naming the state directory when it cannot write there", func() {
		actAsNobody()
		Expect(os.Chmod(dst, 0o555)).To(Succeed())
		DeferCleanup(os.Chmod, dst, fs.FileMode(0o755))
		_, err := installer.InstallPayload(src, dst, "gvisor")
		Expect(err).To(MatchError(ContainSubstring("creating " + state)))
	})
})
