package nodetruth_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	gvisorv1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
)

// runscLogs returns the runsc debug logs on node: the files below /var/log/runsc, the directory of gvisor.DebugLog.
func runscLogs(node *nodetruth.Node) []string {
	GinkgoHelper()
	dir, err := node.Path(filepath.Dir(filepath.Dir(gvisor.DebugLog)))
	Expect(err).NotTo(HaveOccurred())
	var logs []string
	Expect(filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return filepath.SkipDir
		}
		if err == nil && d.Type().IsRegular() {
			logs = append(logs, path)
		}
		return err
	})).To(Succeed())
	return logs
}

var _ = Describe("runsc with the mutated OSC's runsc.toml", func() {
	ctx := context.Background()

	var entries []TableEntry
	for _, s := range samples() {
		if s.runtimes[0].Type == gvisor.Type && len(s.runtimes) == 1 {
			entries = append(entries, Entry(s.name, s))
		}
	}
	DescribeTable("runsc of the payload, and Debian's where it knows the flags, run a sandbox with every flag",
		func(s sample) {
			flags := s.gvisorFlags
			r := render(ctx, containerds[0], mutatedOSC(s))
			runscFlags, err := nodetruth.RunscConfigFlags(r.files[gvisor.ConfigPath])
			Expect(err).NotTo(HaveOccurred())
			var want []string
			for _, f := range slices.Sorted(maps.Keys(flags)) {
				want = append(want, "--"+f+"="+flags[f])
			}
			if flags[gvisorv1alpha1.FlagDebug] == "true" {
				want = append(want, "--debug-log="+gvisor.DebugLog)
			}
			Expect(runscFlags).To(ConsistOf(want))

			payloadFlags := runscFlags
			if flags[gvisorv1alpha1.FlagNvproxy] == "true" {
				// Without a GPU driver on this machine, nvproxy needs a driver version to start a sandbox at all.
				payloadFlags = append(slices.Clone(runscFlags), "--nvproxy-driver-version=latest")
			}
			Expect(nodetruth.PayloadRunscAccepts(ctx, r.node, payloadFlags)).To(Succeed())
			if flags[gvisorv1alpha1.FlagDebug] == "true" {
				// The debug log path exists on the node now: runsc created it, so the flags took effect, with the
				// file names gardener-extension-runtime-gvisor used (gvisor-<command>.log).
				logs := runscLogs(r.node)
				Expect(logs).NotTo(BeEmpty(), "runsc wrote no debug log below /var/log/runsc")
				for _, l := range logs {
					Expect(filepath.Base(l)).To(MatchRegexp(`^gvisor-[a-z-]+\.log$`), l)
				}
			} else {
				Expect(runscLogs(r.node)).To(BeEmpty())
			}

			if _, ok := flags[gvisorv1alpha1.FlagNvproxy]; ok {
				Expect(nodetruth.RunscAccepts(ctx, r.node, runscFlags)).To(MatchError(ContainSubstring("flag provided but not defined: -nvproxy")),
					"Debian's runsc of 2022 does not know nvproxy")
			} else {
				Expect(nodetruth.RunscAccepts(ctx, r.node, runscFlags)).To(Succeed())
			}
		},
		entries,
	)

	It("rejects unknown flags and bad values, so the check can fail", func() {
		node, err := nodetruth.NewNode(nodeDir(), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(nodetruth.RunscAccepts(ctx, node, []string{"--no-such-flag=true"})).To(MatchError(ContainSubstring("flag provided but not defined: -no-such-flag")))
		Expect(nodetruth.PayloadRunscAccepts(ctx, node, []string{"--debug=maybe"})).To(MatchError(ContainSubstring(`invalid boolean value "maybe" for -debug`)))
	})

	It("rejects a runsc.toml the shim cannot decode", func() {
		_, err := nodetruth.RunscConfigFlags([]byte("[runsc_config]\ndebug = true\n"))
		Expect(err).To(MatchError(ContainSubstring("cannot decode TOML boolean")))

		_, err = nodetruth.RunscConfigFlags([]byte("[runsc-config]\ndebug = \"true\"\n"))
		Expect(err).To(MatchError(ContainSubstring("runsc-config")))
	})
})

var _ = Describe("the gVisor payload", func() {
	ctx := context.Background()

	It("runs runsc --version, which reports the gVisor module pinned in hack/runsc, and runsc help", func() {
		goMod, err := os.ReadFile("../../hack/runsc/go.mod")
		Expect(err).NotTo(HaveOccurred())
		pin := regexp.MustCompile(`(?m)^require gvisor\.dev/gvisor (\S+)$`).FindSubmatch(goMod)
		Expect(pin).NotTo(BeNil(), "hack/runsc/go.mod requires no gvisor.dev/gvisor")
		out, err := nodetruth.PayloadRunsc(ctx, "--version")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(HavePrefix("runsc version " + string(pin[1]) + "\n"))
		out, err = nodetruth.PayloadRunsc(ctx, "help")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(And(ContainSubstring("do "), ContainSubstring("create "), ContainSubstring("flags ")))
	})

	It("runs a sandbox without the gvisor-bin/ sidecars, which the pinned runsc embeds or replaces by itself", func() {
		dir, err := nodetruth.GVisorPayloadDir()
		Expect(err).NotTo(HaveOccurred())
		Expect(filepath.Join(dir, "gvisor-bin")).NotTo(BeADirectory())
		node, err := nodetruth.NewNode(nodeDir(), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(nodetruth.PayloadRunscAccepts(ctx, node, []string{"--debug=true", "--debug-log=/var/log/runsc/"})).To(Succeed())
		Expect(runscLogs(node)).To(ContainElement(WithTransform(func(path string) string {
			content, _ := os.ReadFile(path)
			return string(content)
		}, ContainSubstring(`Sidecar "gvisor_sentry" not usable`))))

		// The day the default policy becomes STRICT (gVisor announces it), the payload must ship gvisor-bin/.
		Expect(nodetruth.PayloadRunscAccepts(ctx, node, []string{"--sidecar-usage-policy=STRICT"})).To(MatchError(ContainSubstring(`sidecar "gvisor_sentry" not usable`)))
	})
})
