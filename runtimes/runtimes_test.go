package runtimes_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	. "github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

func pool(name string, runtimes ...gardencorev1beta1.ContainerRuntime) gardencorev1beta1.Worker {
	w := gardencorev1beta1.Worker{Name: name}
	if runtimes != nil {
		w.CRI = &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: runtimes}
	}
	return w
}

func cr(t, providerConfig string) gardencorev1beta1.ContainerRuntime {
	out := gardencorev1beta1.ContainerRuntime{Type: t}
	if providerConfig != "" {
		out.ProviderConfig = &runtime.RawExtension{Raw: []byte(providerConfig)}
	}
	return out
}

const kataAPI = `"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"`

var _ = Describe("runtimes", func() {
	It("knows every class and its type", func() {
		Expect(Types()).To(Equal([]string{"gvisor", "kata"}))
		Expect(ClassNames()).To(Equal([]string{"gvisor", "kata-qemu", "kata-clh", "kata-fc"}))
		for class, want := range map[string]string{"gvisor": "gvisor", "kata-fc": "kata"} {
			t, ok := TypeOfClass(class)
			Expect(ok).To(BeTrue())
			Expect(t).To(Equal(want))
		}
		_, ok := TypeOfClass("runc")
		Expect(ok).To(BeFalse())
	})

	It("hands out copies of its list", func() {
		all := All()
		all[0] = nil
		Expect(All()[0]).NotTo(BeNil())
	})

	DescribeTable("OfferedClasses: in pool order, without duplicates, skipping invalid pools and other runtimes",
		func(shoot *gardencorev1beta1.Shoot, want []string) {
			var names []string
			for _, rc := range OfferedClasses(shoot) {
				names = append(names, rc.Name)
			}
			Expect(names).To(Equal(want))
		},
		Entry("no pools", &gardencorev1beta1.Shoot{}, nil),
		Entry("defaults and order", &gardencorev1beta1.Shoot{Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{
			pool("plain"),
			pool("k", cr("kata", "")),
			pool("g", cr("gvisor", ""), cr("other", "")),
			pool("k2", cr("kata", `{`+kataAPI+`,"hypervisors":["fc","qemu"]}`)),
			pool("bad", cr("kata", `{`+kataAPI+`,"hypervisors":["vmware"]}`)),
		}}}}, []string{"kata-qemu", "kata-clh", "gvisor", "kata-fc"}),
		Entry("a gVisor pool stored with a flag gardener-extension-runtime-gvisor ignored, which still offers gvisor",
			&gardencorev1beta1.Shoot{Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{
				pool("g", cr("gvisor", `{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"foo":"bar"}}`)),
			}}}}, []string{"gvisor"}),
		Entry("a gVisor pool with nothing to apply",
			&gardencorev1beta1.Shoot{Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{
				pool("g", cr("gvisor", `{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"debug":true}}`)),
			}}}}, nil),
	)

	It("OfferedByPool: adds the ContainerRuntimes' pools and types the Shoot does not request, whatever their order", func() {
		shoot := &gardencorev1beta1.Shoot{Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{
			pool("g", cr("gvisor", "")),
		}}}}
		kataFC := &runtime.RawExtension{Raw: []byte(`{` + kataAPI + `,"hypervisors":["fc"]}`)}
		entries := []PoolRuntime{
			{Pool: "k", Type: "kata", ProviderConfig: kataFC},
			{Pool: "g", Type: "kata"},
			{Pool: "g", Type: "gvisor", ProviderConfig: kataFC}, // requested by the Shoot: the Shoot's entry counts
			{Pool: "o", Type: "other"},
		}
		names := func(pools []PoolClasses) map[string][]string {
			out := map[string][]string{}
			for _, p := range pools {
				for _, rc := range p.Classes {
					out[p.Pool] = append(out[p.Pool], rc.Name)
				}
			}
			return out
		}
		want := map[string][]string{"g": {"gvisor", "kata-qemu", "kata-clh"}, "k": {"kata-fc"}}
		Expect(names(OfferedByPool(shoot, entries...))).To(Equal(want))
		Expect(OfferedByPool(shoot, entries[3], entries[2], entries[1], entries[0])).To(Equal(OfferedByPool(shoot, entries...)))
		Expect(names(OfferedByPool(nil, entries[0]))).To(Equal(map[string][]string{"k": {"kata-fc"}}))
	})

	It("finds a pool's entry of a runtime type with the field path of its providerConfig", func() {
		shoot := &gardencorev1beta1.Shoot{Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{
			pool("plain"), pool("k", cr("other", ""), cr("kata", `{`+kataAPI+`}`)),
		}}}}
		providerConfig, fldPath, ok := PoolEntry(shoot, "k", "kata")
		Expect(ok).To(BeTrue())
		Expect(string(providerConfig.Raw)).To(Equal(`{` + kataAPI + `}`))
		Expect(fldPath.String()).To(Equal("spec.provider.workers[1].cri.containerRuntimes[1].providerConfig"))
		for _, missing := range [][2]string{{"plain", "kata"}, {"k", "gvisor"}, {"gone", "kata"}} {
			_, _, ok := PoolEntry(shoot, missing[0], missing[1])
			Expect(ok).To(BeFalse(), "%v", missing)
		}
	})

	It("builds RuntimeClasses that schedule onto ready nodes of the runtime's pools, with their sandboxes' overhead", func() {
		classes := OfferedClasses(&gardencorev1beta1.Shoot{Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{
			pool("g", cr("gvisor", "")), pool("k", cr("kata", `{`+kataAPI+`,"hypervisors":["qemu"]}`)),
		}}}})
		Expect(classes).To(HaveLen(2))
		Expect(classes[0].Handler).To(Equal("runsc"))
		Expect(classes[0].Overhead.PodFixed).To(Equal(corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}))
		Expect(classes[0].Scheduling.NodeSelector).To(Equal(map[string]string{
			"containerruntime.worker.gardener.cloud/gvisor": "true",
			"runtime.gardener.cloud/gvisor-ready":           "true",
		}))
		Expect(classes[1].Handler).To(Equal("kata-qemu"))
		Expect(classes[1].Overhead.PodFixed.Memory().Equal(resource.MustParse("160Mi"))).To(BeTrue())
		Expect(classes[1].Scheduling.NodeSelector).To(HaveKeyWithValue("runtime.gardener.cloud/kata-ready", "true"))
	})
})
