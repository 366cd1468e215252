package nodetruth_test

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
)

var _ = Describe("the checks can fail", func() {
	ctx := context.Background()

	// loadConfig loads config as /etc/containerd/config.toml of a new node with containerd c.
	loadConfig := func(c nodetruth.Containerd, config string) ([]byte, error) {
		node, err := nodetruth.NewNode(nodeDir(), map[string][]byte{nodetruth.ContainerdConfigFile: []byte(config)})
		Expect(err).NotTo(HaveOccurred())
		return c.ConfigDump(ctx, node)
	}

	var entries []TableEntry
	for _, c := range containerds {
		entries = append(entries, Entry(c.Name, c))
	}

	DescribeTable("containerd rejects invalid TOML and wrongly typed handler fields",
		func(c nodetruth.Containerd) {
			version := configVersions[c.Name]
			_, err := loadConfig(c, fmt.Sprintf("version = %d\n[plugins\n", version))
			Expect(err).To(MatchError(ContainSubstring("toml")))

			_, err = loadConfig(c, fmt.Sprintf("version = %d\n[plugins.%q.containerd.runtimes.runsc]\nruntime_type = 42\n", version, nodetruth.CRIRuntimePlugin(version)))
			Expect(err).To(MatchError(MatchRegexp(`(?i)(convert|unmarshal|decode).*(42|int|string)`)))
		},
		entries,
	)

	DescribeTable("containerd 2 silently drops a handler written under config version 2's plugin name",
		func(c nodetruth.Containerd) {
			// What a writer that does not translate the path produces on a containerd 2 node, and why pods then fail
			// with "no runtime for runsc": the table is ignored, the dump has no runsc handler.
			config := fmt.Sprintf("version = %d\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc]\nruntime_type = %q\n", configVersions[c.Name], gvisor.RuntimeType)
			dump, err := loadConfig(c, config)
			Expect(err).NotTo(HaveOccurred())
			handlers, err := nodetruth.RuntimeHandlers(dump)
			Expect(err).NotTo(HaveOccurred())
			Expect(handlers).NotTo(HaveKey(gvisor.Handler))
			dropped, err := nodetruth.DroppedKeys([]byte(config), dump)
			Expect(err).NotTo(HaveOccurred())
			Expect(dropped).To(ConsistOf(`plugins."io.containerd.grpc.v1.cri".containerd`))
		},
		entries[1:],
	)

	It("names how to install a missing binary", func() {
		GinkgoT().Setenv("PATH", GinkgoT().TempDir())
		GinkgoT().Setenv(nodetruth.ModuleContainerdDirEnv, GinkgoT().TempDir())
		GinkgoT().Setenv(nodetruth.GVisorPayloadEnv, "")

		_, err := nodetruth.DebianContainerd().DefaultConfig(ctx)
		Expect(err).To(MatchError(ContainSubstring("apt-get install -y containerd")))
		_, err = nodetruth.ModuleContainerd("2.2").DefaultConfig(ctx)
		Expect(err).To(MatchError(ContainSubstring("make containerd")))
		node, err := nodetruth.NewNode(nodeDir(), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(nodetruth.RunscAccepts(ctx, node, nil)).To(MatchError(ContainSubstring("apt-get install -y runsc")))
		Expect(nodetruth.PayloadRunscAccepts(ctx, node, nil)).To(MatchError(ContainSubstring("make payload")))
	})

	It("refuses an OSC that does not configure containerd", func() {
		o := mutatedOSC(bothRuntimes)
		o.Spec.CRIConfig.Containerd = nil
		_, err := nodetruth.RenderContainerdConfig(ctx, o, []byte("version = 2\n"), "1.6.20")
		Expect(err).To(MatchError(ContainSubstring("does not configure containerd")))
	})
})
