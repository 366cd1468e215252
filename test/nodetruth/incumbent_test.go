package nodetruth_test

import (
	"context"
	"encoding/base64"
	"maps"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/pelletier/go-toml/v2"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	gvisorv1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
	examples "github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// runscHandlerPlugins returns the plugins of a containerd configuration that have a runsc runtime handler.
func runscHandlerPlugins(config []byte) []string {
	GinkgoHelper()
	var tree struct {
		Plugins map[string]struct {
			Containerd struct {
				Runtimes map[string]any `toml:"runtimes"`
			} `toml:"containerd"`
		} `toml:"plugins"`
	}
	Expect(toml.Unmarshal(config, &tree)).To(Succeed())
	var out []string
	for _, name := range slices.Sorted(maps.Keys(tree.Plugins)) {
		if _, ok := tree.Plugins[name].Containerd.Runtimes[gvisor.Handler]; ok {
			out = append(out, name)
		}
	}
	return out
}

var _ = Describe("switching a node from gardener-extension-runtime-gvisor", func() {
	ctx := context.Background()
	gvisorPool := sample{
		name:        "gVisor debug,net-raw",
		runtimes:    []gardencorev1beta1.ContainerRuntime{gvisorRuntime(map[string]string{gvisorv1alpha1.FlagDebug: "true", gvisorv1alpha1.FlagNetRaw: "true"})},
		gvisorFlags: map[string]string{gvisorv1alpha1.FlagDebug: "true", gvisorv1alpha1.FlagNetRaw: "true"},
	}

	var entries []TableEntry
	for _, c := range containerds {
		entries = append(entries, Entry(c.Name, c))
	}
	DescribeTable("the incumbent's config.toml plus this extension's OSC loads with exactly one runsc handler, ours",
		func(c nodetruth.Containerd) {
			// The node before the switch: gardener-node-agent applied gardenlet's OSC, which the incumbent does not
			// mutate, and then the incumbent's DaemonSet appended its runsc handler.
			before := render(ctx, c, examples.OSC("worker-"+samplePool, samplePool))
			incumbent, err := nodetruth.IncumbentGVisorConfig(before.files[nodetruth.ContainerdConfigFile])
			Expect(err).NotTo(HaveOccurred())
			version, err := nodetruth.ConfigVersion(incumbent)
			Expect(err).NotTo(HaveOccurred())
			Expect(runscHandlerPlugins(incumbent)).To(Equal([]string{nodetruth.CRIRuntimePlugin(version)}))
			Expect(before.node.WriteFile(nodetruth.ContainerdConfigFile, incumbent, 0o644)).To(Succeed())
			dump, err := c.ConfigDump(ctx, before.node)
			Expect(err).NotTo(HaveOccurred())
			handlers, err := nodetruth.RuntimeHandlers(dump)
			Expect(err).NotTo(HaveOccurred())
			Expect(handlers).To(HaveKeyWithValue(gvisor.Handler, And(
				HaveKeyWithValue("runtime_type", gvisor.RuntimeType),
				Not(HaveKeyWithValue("privileged_without_host_devices", true)),
			)), "the incumbent's handler hands host devices to privileged pods")

			// The switch: gardener-node-agent applies the mutated OSC to the config.toml it finds.
			osc := mutatedOSC(gvisorPool)
			after := renderOn(ctx, c, osc, incumbent)
			config := after.files[nodetruth.ContainerdConfigFile]
			Expect(runscHandlerPlugins(config)).To(Equal([]string{nodetruth.CRIRuntimePlugin(version)}), "one runsc handler, at the path containerd reads")
			i := slices.IndexFunc(osc.Spec.Files, func(f extensionsv1alpha1.File) bool { return f.Path == gvisor.ConfigPath })
			Expect(i).NotTo(BeNumerically("<", 0))
			runscToml, err := base64.StdEncoding.DecodeString(osc.Spec.Files[i].Content.Inline.Data)
			Expect(err).NotTo(HaveOccurred())
			Expect(after.files).To(HaveKeyWithValue(gvisor.ConfigPath, Equal(runscToml)), "runsc.toml is the OSC's")

			dump, err = c.ConfigDump(ctx, after.node)
			Expect(err).NotTo(HaveOccurred())
			Expect(runscHandlerPlugins(dump)).To(HaveLen(1))
			handlers, err = nodetruth.RuntimeHandlers(dump)
			Expect(err).NotTo(HaveOccurred())
			Expect(handlers).To(HaveKeyWithValue(gvisor.Handler, expectedHandler(gvisor.Handler)))
			dropped, err := nodetruth.DroppedKeys(config, dump)
			Expect(err).NotTo(HaveOccurred())
			Expect(dropped).To(BeEmpty())

			// And a running containerd serves it so.
			running, err := c.Start(ctx, after.node, time.Minute)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(func() { Expect(running.Stop()).To(Succeed()) })
			status, err := running.Status(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(status.Handlers).To(HaveKeyWithValue(gvisor.Handler, And(
				HaveField("PrivilegedWithoutHostDevices", true),
				HaveField("Options", Equal(map[string]any{"TypeUrl": gvisor.RuntimeType + ".options", "ConfigPath": gvisor.ConfigPath})),
			)))
		},
		entries,
	)
})
