package nodetruth_test

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	"github.com/pelletier/go-toml/v2"

	gvisorv1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	katav1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
)

// configVersions is the config version of each containerd's `config default`, which gardener-node-agent keeps.
var configVersions = map[string]int{
	"containerd 1.6 (Debian)": 2,
	"containerd 2.2":          3,
	"containerd 2.4":          4,
}

// expectedHandler matches a runtime handler as containerd's config dump shows it: what the extension sets for it.
func expectedHandler(handler string) types.GomegaMatcher {
	if handler == gvisor.Handler {
		return And(
			HaveKeyWithValue("runtime_type", gvisor.RuntimeType),
			HaveKeyWithValue("options", Equal(map[string]any{"TypeUrl": gvisor.RuntimeType + ".options", "ConfigPath": gvisor.ConfigPath})),
			// A privileged pod in the sandbox gets no host devices.
			HaveKeyWithValue("privileged_without_host_devices", true),
		)
	}
	hypervisor := katav1alpha1.Hypervisor(handler[len("kata-"):])
	return And(
		HaveKeyWithValue("runtime_type", kata.RuntimeType),
		HaveKeyWithValue("options", HaveKeyWithValue("ConfigPath", kata.ConfigPath(hypervisor))),
		HaveKeyWithValue("privileged_without_host_devices", true),
		HaveKeyWithValue("pod_annotations", ConsistOf(kata.AllowedAnnotations())),
		HaveKeyWithValue("container_annotations", ConsistOf(kata.AllowedAnnotations())),
	)
}

// normalized returns v as encoding/json decodes it, so that TOML and JSON values compare.
func normalized(v any) any {
	GinkgoHelper()
	raw, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	var out any
	Expect(json.Unmarshal(raw, &out)).To(Succeed())
	return out
}

var _ = Describe("the mutated OSC through gardener-node-agent and containerd config dump", func() {
	ctx := context.Background()

	It("has a sample with every gVisor flag and every Kata hypervisor", func() {
		flags := map[string]bool{}
		for _, s := range gvisorFlagSamples {
			for f := range s {
				flags[f] = true
			}
		}
		Expect(slices.Sorted(maps.Keys(flags))).To(Equal(gvisorv1alpha1.AllowedFlags()), "add a sample for the new flag to gvisorFlagSamples")
		hypervisors := map[katav1alpha1.Hypervisor]bool{}
		for _, s := range kataHypervisorSamples {
			for _, h := range s {
				hypervisors[h] = true
			}
		}
		Expect(slices.Collect(maps.Keys(hypervisors))).To(ConsistOf(katav1alpha1.AllHypervisors()))
	})

	var entries []TableEntry
	for _, c := range containerds {
		for _, s := range samples() {
			entries = append(entries, Entry(c.Name+": "+s.name, c, s))
		}
	}
	DescribeTable("containerd loads the handlers, with their options, at its config version's path",
		func(c nodetruth.Containerd, s sample) {
			o := mutatedOSC(s)
			r := render(ctx, c, o)
			config := r.files[nodetruth.ContainerdConfigFile]
			version, err := nodetruth.ConfigVersion(config)
			Expect(err).NotTo(HaveOccurred())
			Expect(version).To(Equal(configVersions[c.Name]), "gardener-node-agent keeps the version of containerd's default config")

			dump, err := c.ConfigDump(ctx, r.node)
			Expect(err).NotTo(HaveOccurred())
			dumpVersion, err := nodetruth.ConfigVersion(dump)
			Expect(err).NotTo(HaveOccurred())
			Expect(dumpVersion).To(Equal(version))

			handlers, err := nodetruth.RuntimeHandlers(dump)
			Expect(err).NotTo(HaveOccurred())
			want := offeredHandlers(s)
			Expect(want).NotTo(BeEmpty())
			// Every RuntimeClass of the pool has its handler, and the extension adds no other.
			Expect(slices.Sorted(maps.Keys(handlers))).To(ConsistOf(append(want, "runc")))
			for _, h := range want {
				Expect(handlers).To(HaveKeyWithValue(h, expectedHandler(h)), h)
			}

			// Everything the OSC sets for a handler is what containerd runs with; containerd 1.6 alone drops the
			// per-handler snapshotter (it has no such field; containerd 1.7 added it).
			for h, values := range handlerValues(o) {
				for key, value := range values {
					if key == "snapshotter" && version == 2 {
						Expect(handlers[h]).NotTo(HaveKey(key))
						continue
					}
					Expect(handlers[h]).To(HaveKeyWithValue(key, normalized(value)), "%s.%s", h, key)
				}
			}
			if slices.Contains(want, "kata-fc") && version >= 3 {
				Expect(handlers["kata-fc"]).To(HaveKeyWithValue("snapshotter", kata.DevmapperSnapshotter))
			}

			// Nothing else of the configuration is ignored.
			dropped, err := nodetruth.DroppedKeys(config, dump)
			Expect(err).NotTo(HaveOccurred())
			if slices.Contains(want, "kata-fc") && version == 2 {
				Expect(dropped).To(ConsistOf(`plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata-fc.snapshotter`))
			} else {
				Expect(dropped).To(BeEmpty())
			}

			// The devmapper snapshotter is never in containerd's main configuration: the setup script hands its plugin
			// table over only once the thin-pool exists (see devmapper_test.go). node-agent writes nothing where
			// containerd imports configuration from, in every config version.
			var imports struct {
				Imports []string `toml:"imports"`
			}
			Expect(toml.Unmarshal(config, &imports)).To(Succeed())
			Expect(imports.Imports).To(ContainElement(filepath.Dir(kata.DevmapperDropInPath) + "/*.toml"))
			devmapper, err := nodetruth.PluginConfig(dump, kata.DevmapperPluginName)
			Expect(err).NotTo(HaveOccurred())
			Expect(devmapper["pool_name"]).To(Or(BeNil(), BeEmpty()))
			Expect(slices.Collect(maps.Keys(r.files))).NotTo(ContainElement(HavePrefix("/etc/containerd/conf.d/")))
			if slices.Contains(want, "kata-fc") {
				Expect(r.files).To(HaveKeyWithValue(kata.DevmapperSetupScriptPath, ContainSubstring("dmsetup create")))
				Expect(r.files).To(HaveKeyWithValue(kata.DevmapperPluginConfigPath, ContainSubstring(kata.DevmapperPoolName)))
			}
		},
		entries,
	)
})
