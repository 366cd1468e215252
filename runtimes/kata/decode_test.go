package kata_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	. "github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// nodeConfig decodes a Kata providerConfig and returns its node configuration, or its problems as one error.
func nodeConfig(providerConfig *runtime.RawExtension, fldPath *field.Path) (*node.Config, error) {
	cfg, errs := New().Decode(providerConfig, fldPath)
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return cfg.NodeConfig()
}

var _ = Describe("Decode", func() {
	It("returns nothing to apply with the problems of an invalid providerConfig, whatever they are", func() {
		for _, pc := range []string{
			`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["vmware"]}`,
			`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","foo":"bar"}`,
			`{"hypervisors":["qemu"]}`,
		} {
			cfg, errs := New().Decode(raw(pc), field.NewPath("pc"))
			Expect(errs).NotTo(BeEmpty(), pc)
			Expect(cfg).To(BeNil(), pc)
		}
	})

	It("offers one RuntimeClass per hypervisor with the sandbox VM's overhead, and warns about nothing", func() {
		cfg, errs := New().Decode(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["fc","qemu"]}`), field.NewPath("pc"))
		Expect(errs).To(BeEmpty())
		Expect(cfg.Warnings()).To(BeEmpty())
		classes := cfg.RuntimeClasses()
		Expect(classes).To(HaveLen(2))
		Expect(classes[0].Name).To(Equal("kata-fc"))
		Expect(classes[0].Handler).To(Equal("kata-fc"))
		Expect(classes[1].Name).To(Equal("kata-qemu"))
		Expect(classes[1].Overhead.PodFixed.Memory().String()).To(Equal("160Mi"))
	})
})
