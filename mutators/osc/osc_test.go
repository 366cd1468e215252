package osc_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
	. "github.com/gardener/gardener-extension-runtime-sandbox/mutators/osc"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

const (
	gvisorAPI = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`
	kataAPI   = `"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"`
)

func newOSC(pool string) *extensionsv1alpha1.OperatingSystemConfig {
	labels := map[string]string{"worker.gardener.cloud/pool": pool}
	return &extensionsv1alpha1.OperatingSystemConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "osc", Namespace: "shoot--a--b", Labels: labels},
		Spec: extensionsv1alpha1.OperatingSystemConfigSpec{
			Purpose: extensionsv1alpha1.OperatingSystemConfigPurposeReconcile,
			CRIConfig: &extensionsv1alpha1.CRIConfig{
				Name:       extensionsv1alpha1.CRINameContainerD,
				Containerd: &extensionsv1alpha1.ContainerdConfig{SandboxImage: "pause"},
			},
			Files: []extensionsv1alpha1.File{{Path: "/etc/motd"}},
			Units: []extensionsv1alpha1.Unit{{Name: "kubelet.service"}},
		},
	}
}

func newShoot(pools ...gardencorev1beta1.Worker) *gardencorev1beta1.Shoot {
	return &gardencorev1beta1.Shoot{
		ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "garden-a"},
		Spec:       gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: pools}},
	}
}

func pool(name string, runtimes ...gardencorev1beta1.ContainerRuntime) gardencorev1beta1.Worker {
	w := gardencorev1beta1.Worker{Name: name}
	if runtimes != nil {
		w.CRI = &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: runtimes}
	}
	return w
}

func cr(runtimeType, providerConfig string) gardencorev1beta1.ContainerRuntime {
	out := gardencorev1beta1.ContainerRuntime{Type: runtimeType}
	if providerConfig != "" {
		out.ProviderConfig = &runtime.RawExtension{Raw: []byte(providerConfig)}
	}
	return out
}

func handlers(o *extensionsv1alpha1.OperatingSystemConfig) []string {
	var out []string
	for _, p := range o.Spec.CRIConfig.Containerd.Plugins {
		out = append(out, p.Path[len(p.Path)-1])
	}
	return out
}

var _ = Describe("Mutate", func() {
	DescribeTable("which OSCs are left unchanged",
		func(o *extensionsv1alpha1.OperatingSystemConfig, shoot *gardencorev1beta1.Shoot) {
			before := o.DeepCopy()
			Expect(Mutate(o, shoot, gvisor.New())).To(Succeed())
			Expect(o).To(Equal(before))
		},
		Entry("a plain pool", newOSC("p"), newShoot(pool("p"))),
		Entry("a pool of another runtime", newOSC("p"), newShoot(pool("p", cr("kata", "")))),
		Entry("a pool the Shoot no longer has", newOSC("p"), newShoot(pool("q", cr("gvisor", "")))),
		Entry("an OSC without pool label", func() *extensionsv1alpha1.OperatingSystemConfig {
			o := newOSC("p")
			delete(o.Labels, "worker.gardener.cloud/pool")
			return o
		}(), newShoot(pool("p", cr("gvisor", "")))),
		Entry("a provision OSC", func() *extensionsv1alpha1.OperatingSystemConfig {
			o := newOSC("p")
			o.Spec.Purpose = extensionsv1alpha1.OperatingSystemConfigPurposeProvision
			return o
		}(), newShoot(pool("p", cr("gvisor", "")))),
		Entry("a pool without CRI in the Shoot", newOSC("p"), newShoot(pool("p"))),
	)

	DescribeTable("refuses with a clear error",
		func(o *extensionsv1alpha1.OperatingSystemConfig, shoot *gardencorev1beta1.Shoot, fragment string) {
			Expect(Mutate(o, shoot, gvisor.New())).To(MatchError(ContainSubstring(fragment)))
		},
		Entry("invalid providerConfig names the pool", newOSC("p"), newShoot(pool("o"), pool("p", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"foo":"true","debug":true}}`))),
			`the gvisor configuration of worker pool "p" of Shoot garden-a/b`),
		Entry("invalid providerConfig names the field", newOSC("p"), newShoot(pool("o"), pool("p", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"foo":"true","debug":true}}`))),
			"spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.configFlags[foo]"),
		Entry("no containerd config", func() *extensionsv1alpha1.OperatingSystemConfig {
			o := newOSC("p")
			o.Spec.CRIConfig.Containerd = nil
			return o
		}(), newShoot(pool("p", cr("gvisor", ""))), "has no containerd configuration"),
	)

	It("adds the gVisor handler and runsc.toml and keeps what was there", func() {
		o := newOSC("p")
		Expect(Mutate(o, newShoot(pool("p", cr("gvisor", ""))), gvisor.New())).To(Succeed())
		Expect(handlers(o)).To(Equal([]string{"runsc"}))
		Expect(o.Spec.Files).To(HaveLen(2))
		Expect(o.Spec.Files[0].Path).To(Equal("/etc/motd"))
		Expect(o.Spec.Files[1].Path).To(Equal("/etc/containerd/runsc.toml"))
		Expect(o.Spec.Units).To(HaveLen(1))
		Expect(o.Spec.CRIConfig.Containerd.SandboxImage).To(Equal("pause"))
	})

	DescribeTable("Kata handlers follow the pool's hypervisors",
		func(providerConfig string, wantHandlers []string, wantUnits int) {
			o := newOSC("p")
			Expect(Mutate(o, newShoot(pool("p", cr("kata", providerConfig))), kata.New())).To(Succeed())
			Expect(handlers(o)).To(Equal(wantHandlers))
			Expect(o.Spec.Units).To(HaveLen(1 + wantUnits))
		},
		Entry("defaults", "", []string{"kata-qemu", "kata-clh"}, 0),
		Entry("qemu only", `{`+kataAPI+`,"hypervisors":["qemu"]}`, []string{"kata-qemu"}, 0),
		// The devmapper snapshotter's table is a file the setup unit hands to containerd, never a plugin entry.
		Entry("firecracker brings the devmapper setup unit", `{`+kataAPI+`,"hypervisors":["fc"]}`, []string{"kata-fc"}, 1),
	)

	It("is idempotent for both runtimes on one pool", func() {
		shoot := newShoot(pool("p", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"debug":"true"}}`), cr("kata", `{`+kataAPI+`,"hypervisors":["qemu","clh","fc"]}`)))
		o := newOSC("p")
		for range 2 {
			Expect(Mutate(o, shoot, gvisor.New())).To(Succeed())
			Expect(Mutate(o, shoot, kata.New())).To(Succeed())
		}
		once := newOSC("p")
		Expect(Mutate(once, shoot, gvisor.New())).To(Succeed())
		Expect(Mutate(once, shoot, kata.New())).To(Succeed())
		Expect(o).To(Equal(once))
		Expect(handlers(o)).To(Equal([]string{"runsc", "kata-qemu", "kata-clh", "kata-fc"}))
	})

	It("applies a gVisor configuration stored before this extension judged it without what gardener-extension-runtime-gvisor ignored", func() {
		o := newOSC("p")
		Expect(Mutate(o, newShoot(pool("p", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"net-raw":"true","foo":"bar","panic-signal":"x"},"extra":1}`))), gvisor.New())).To(Succeed())
		Expect(handlers(o)).To(Equal([]string{"runsc"}))
		data, err := base64.StdEncoding.DecodeString(o.Spec.Files[1].Content.Inline.Data)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(Equal("[runsc_config]\nnet-raw = 'true'\n"))
	})

	It("refuses with at most decode.MaxShown problems of a huge invalid providerConfig, and a bounded message", func() {
		hypervisors := make([]string, 500)
		for i := range hypervisors {
			hypervisors[i] = `"` + strings.Repeat("x", 1000) + `"`
		}
		err := Mutate(newOSC("p"), newShoot(pool("p", cr("kata", `{`+kataAPI+`,"hypervisors":[`+strings.Join(hypervisors, ",")+`]}`))), kata.New())
		Expect(err).To(MatchError(And(
			ContainSubstring("hypervisors[19]"),
			Not(ContainSubstring("hypervisors[20]")),
			ContainSubstring(fmt.Sprintf("%d more problems not shown", 500-decode.MaxShown)),
		)))
		Expect(len(err.Error())).To(BeNumerically("<", decode.MaxShown*2*decode.MaxLength))
	})

	It("replaces its own entries when the configuration changes", func() {
		o := newOSC("p")
		Expect(Mutate(o, newShoot(pool("p", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"net-raw":"false"}}`))), gvisor.New())).To(Succeed())
		before := slices.Clone(o.Spec.Files)
		Expect(Mutate(o, newShoot(pool("p", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"net-raw":"true"}}`))), gvisor.New())).To(Succeed())
		Expect(o.Spec.Files).To(HaveLen(len(before)))
		Expect(o.Spec.Files[1].Content.Inline.Data).NotTo(Equal(before[1].Content.Inline.Data))
	})
})

// devmapperTable returns a plugin entry of the devmapper snapshotter with the given pool; with "containerd-pool" it
// is the entry earlier versions of this extension put into containerd's main configuration.
func devmapperTable(poolName string) extensionsv1alpha1.PluginConfig {
	op := extensionsv1alpha1.AddPluginPathOperation
	return extensionsv1alpha1.PluginConfig{Op: &op, Path: []string{kata.DevmapperPluginName}, Values: &apiextensionsv1.JSON{Raw: []byte(
		`{"base_image_size":"10GB","discard_blocks":true,"pool_name":"` + poolName + `","root_path":"/var/lib/containerd/io.containerd.snapshotter.v1.devmapper"}`)}}
}

var _ = DescribeTable("the devmapper table an earlier version put into containerd's main configuration",
	func(providerConfig string, table extensionsv1alpha1.PluginConfig, want []string) {
		o := newOSC("p")
		o.Spec.CRIConfig.Containerd.Plugins = []extensionsv1alpha1.PluginConfig{table}
		Expect(Mutate(o, newShoot(pool("p", cr("kata", providerConfig))), kata.New())).To(Succeed())
		Expect(handlers(o)).To(Equal(want))
	},
	Entry("is removed from a pool with Firecracker", `{`+kataAPI+`,"hypervisors":["fc"]}`, devmapperTable("containerd-pool"), []string{"kata-fc"}),
	Entry("is removed from a pool that no longer has Firecracker", `{`+kataAPI+`,"hypervisors":["qemu"]}`, devmapperTable("containerd-pool"), []string{"kata-qemu"}),
	Entry("stays when it is someone else's (another pool)", `{`+kataAPI+`,"hypervisors":["fc"]}`, devmapperTable("other-pool"), []string{kata.DevmapperPluginName, "kata-fc"}),
)

var _ = Describe("plugin values", func() {
	It("encodes the runsc handler for containerd", func() {
		o := newOSC("p")
		Expect(Mutate(o, newShoot(pool("p", cr("gvisor", ""))), gvisor.New())).To(Succeed())
		p := o.Spec.CRIConfig.Containerd.Plugins[0]
		Expect(p.Path).To(Equal([]string{"io.containerd.grpc.v1.cri", "containerd", "runtimes", "runsc"}))
		Expect(string(*p.Op)).To(Equal("add"))
		var values map[string]any
		Expect(json.Unmarshal(p.Values.Raw, &values)).To(Succeed())
		Expect(values).To(HaveKeyWithValue("runtime_type", "io.containerd.runsc.v1"))
	})
})
