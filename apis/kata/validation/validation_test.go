package validation_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/validation"
)

var _ = Describe("ValidateKataConfiguration", func() {
	fldPath := field.NewPath("providerConfig")
	hypervisorsPath := fldPath.Child("hypervisors")
	supported := []string{"qemu", "clh", "fc"}

	DescribeTable("accepts",
		func(cfg *KataConfiguration) {
			Expect(ValidateKataConfiguration(cfg, fldPath)).To(BeEmpty())
		},
		Entry("nil", nil),
		Entry("absent hypervisors", &KataConfiguration{}),
		Entry("every hypervisor", &KataConfiguration{Hypervisors: AllHypervisors()}),
		Entry("one hypervisor", &KataConfiguration{Hypervisors: []Hypervisor{HypervisorFirecracker}}),
		Entry("hypervisors in any order", &KataConfiguration{Hypervisors: []Hypervisor{"fc", "qemu", "clh"}}),
	)

	DescribeTable("refuses",
		func(hypervisors []Hypervisor, expected field.ErrorList) {
			Expect(ValidateKataConfiguration(&KataConfiguration{Hypervisors: hypervisors}, fldPath)).To(Equal(expected))
		},
		Entry("an explicitly empty list", []Hypervisor{}, field.ErrorList{
			field.Required(hypervisorsPath, "must not be empty when given; omit the field for the default [qemu clh]"),
		}),
		Entry("an unknown hypervisor", []Hypervisor{"qemu", "vmware"}, field.ErrorList{
			field.NotSupported(hypervisorsPath.Index(1), "vmware", supported),
		}),
		Entry("a RuntimeClass name instead of a hypervisor", []Hypervisor{"kata-qemu"}, field.ErrorList{
			field.NotSupported(hypervisorsPath.Index(0), "kata-qemu", supported),
		}),
		Entry("a hypervisor in the wrong case", []Hypervisor{"QEMU"}, field.ErrorList{
			field.NotSupported(hypervisorsPath.Index(0), "QEMU", supported),
		}),
		Entry("an empty hypervisor", []Hypervisor{""}, field.ErrorList{
			field.NotSupported(hypervisorsPath.Index(0), "", supported),
		}),
		Entry("a duplicate", []Hypervisor{"qemu", "clh", "qemu"}, field.ErrorList{
			field.Invalid(hypervisorsPath.Index(2), "qemu", DuplicateDetail),
		}),
		Entry("several problems: all of them, in list order", []Hypervisor{"fc", "xen", "fc", "clh", "xen", "fc"}, field.ErrorList{
			field.NotSupported(hypervisorsPath.Index(1), "xen", supported),
			field.Invalid(hypervisorsPath.Index(2), "fc", DuplicateDetail),
			field.NotSupported(hypervisorsPath.Index(4), "xen", supported),
			field.Invalid(hypervisorsPath.Index(5), "fc", DuplicateDetail),
		}),
	)

	DescribeTable("explains itself",
		func(hypervisors []Hypervisor, expected string) {
			errs := ValidateKataConfiguration(&KataConfiguration{Hypervisors: hypervisors}, fldPath)
			Expect(errs).To(HaveLen(1))
			Expect(errs[0].Error()).To(Equal(expected))
		},
		Entry("an empty list names the default", []Hypervisor{},
			"providerConfig.hypervisors: Required value: must not be empty when given; omit the field for the default [qemu clh]"),
		Entry("an unknown hypervisor names the supported ones", []Hypervisor{"xen"},
			`providerConfig.hypervisors[0]: Unsupported value: "xen": supported values: "qemu", "clh", "fc"`),
		Entry("a duplicate names the hypervisor", []Hypervisor{"clh", "clh"},
			`providerConfig.hypervisors[1]: Invalid value: "clh": listed twice: each hypervisor may appear only once`),
	)

	It("does not modify the configuration", func() {
		cfg := &KataConfiguration{Hypervisors: []Hypervisor{"fc", "fc"}}
		ValidateKataConfiguration(cfg, fldPath)
		Expect(cfg.Hypervisors).To(Equal([]Hypervisor{"fc", "fc"}))
	})
})
