package main

import (
	"bytes"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

var _ = Describe("kata-payload", func() {
	var deployRoot, tree, out string

	BeforeEach(func() {
		dir := GinkgoT().TempDir()
		deployRoot, out = filepath.Join(dir, "kata-deploy"), filepath.Join(dir, "payload")
		tree = filepath.Join(deployRoot, kata.KataDeployRoot)
		Expect(run([]string{"stand-ins", deployRoot}, GinkgoWriter)).To(Succeed())
		// The shim is built from the Kata module (build-kata.sh), not taken from kata-deploy.
		Expect(os.MkdirAll(out, 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(out, kata.ShimName), []byte("shim"), 0o755)).To(Succeed())
	})

	It("assembles the layout from kata-deploy's tree, following its links, and says where each file comes from", func() {
		var log bytes.Buffer
		Expect(run([]string{"assemble", "--kata-deploy-root", deployRoot, "--out", out}, &log)).To(Succeed())
		Expect(kata.CheckPayload(out)).To(Succeed())
		for _, a := range kata.Artifacts() {
			Expect(log.String()).To(ContainSubstring(a.Path + "\tfrom " + kata.KataDeployImage + " " + kata.KataDeployRoot + "/" + a.From))
		}
		kernel := filepath.Join(out, kata.VersionsDir, kata.Version, "share/kata-containers/vmlinux.container")
		info, err := os.Lstat(kernel)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().IsRegular()).To(BeTrue(), "the kernel must be a regular file, not kata-deploy's link")
		Expect(os.ReadFile(kernel)).To(ContainSubstring("stand-in for kata-deploy's share/kata-containers/vmlinux.container"))
		Expect(log.String()).To(ContainSubstring("matches the layout of Kata " + kata.Version))
	})

	It("names an artifact the kata-deploy tree lacks", func() {
		Expect(os.Remove(filepath.Join(tree, "bin/jailer"))).To(Succeed())
		Expect(run([]string{"assemble", "--kata-deploy-root", deployRoot, "--out", out}, GinkgoWriter)).To(MatchError(ContainSubstring("bin/jailer")))
	})

	It("refuses a link that leaves the kata-deploy tree", func() {
		image := filepath.Join(tree, "share/kata-containers/kata-containers.img")
		Expect(os.Remove(image)).To(Succeed())
		Expect(os.Symlink("/etc/hostname", image)).To(Succeed())
		Expect(run([]string{"assemble", "--kata-deploy-root", deployRoot, "--out", out}, GinkgoWriter)).To(MatchError(ContainSubstring("outside")))
	})

	It("check fails on a payload that does not match the layout, naming the file", func() {
		Expect(run([]string{"assemble", "--kata-deploy-root", deployRoot, "--out", out}, GinkgoWriter)).To(Succeed())
		Expect(os.Chmod(filepath.Join(out, kata.VersionsDir, kata.Version, "bin/firecracker"), 0o644)).To(Succeed())
		Expect(run([]string{"check", out}, GinkgoWriter)).To(MatchError(ContainSubstring("bin/firecracker: is not executable")))
	})
})
