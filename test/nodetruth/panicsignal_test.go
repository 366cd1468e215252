package nodetruth_test

import (
	"context"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
)

// The flags gardener-extension-runtime-gvisor accepted, as this extension renders them, checked by a real runsc.
var _ = Describe("gardener-extension-runtime-gvisor's flags on a node", func() {
	ctx := context.Background()

	It("panic-signal: runsc.toml passes it as a signal number, which Debian's runsc and runsc built from the gVisor module accept", func() {
		files, _ := loadInContainerd(ctx, mutatedOSC("gvisor", `{`+gvisorAPI+`,"configFlags":{"panic-signal":"12"}}`))
		flags, err := nodetruth.RunscConfigFlags(files[gvisor.ConfigPath])
		Expect(err).NotTo(HaveOccurred())
		Expect(flags).To(Equal([]string{"--panic-signal=12"}))

		Expect(nodetruth.RunscAccepts(ctx, flags)).To(Succeed())
		Expect(nodetruth.ModuleRunscAccepts(ctx, flags)).To(Succeed())
		By("runsc refusing a value that is no number, which admission refuses first")
		Expect(nodetruth.RunscAccepts(ctx, []string{"--panic-signal=SIGUSR2"})).To(MatchError(ContainSubstring(`invalid value "SIGUSR2" for flag -panic-signal`)))
	})

	It("debug: runsc writes its logs under the name gardener-extension-runtime-gvisor used, gvisor-<command>.log", func() {
		files, _ := loadInContainerd(ctx, mutatedOSC("gvisor", `{`+gvisorAPI+`,"configFlags":{"debug":"true"}}`))
		flags, err := nodetruth.RunscConfigFlags(files[gvisor.ConfigPath])
		Expect(err).NotTo(HaveOccurred())
		Expect(flags).To(ContainElement("--debug-log=/var/log/runsc/%ID%/gvisor-%COMMAND%.log"))

		// The same pattern below a temporary directory instead of the host's /var/log/runsc.
		logDir := GinkgoT().TempDir()
		for i, f := range flags {
			flags[i] = strings.Replace(f, "/var/log/runsc", logDir, 1)
		}
		Expect(nodetruth.RunscAccepts(ctx, flags)).To(Succeed())
		logs, err := filepath.Glob(filepath.Join(logDir, "*", "gvisor-do.log"))
		Expect(err).NotTo(HaveOccurred())
		Expect(logs).NotTo(BeEmpty(), "runsc wrote no gvisor-do.log below %s", logDir)
	})
})
