package v1alpha1_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
)

var _ = Describe("Hypervisors", func() {
	DescribeTable("the lists",
		func(list func() []Hypervisor, expected []Hypervisor) {
			Expect(list()).To(Equal(expected))
		},
		Entry("AllHypervisors lists qemu, clh and fc in this order", AllHypervisors,
			[]Hypervisor{"qemu", "clh", "fc"}),
		Entry("DefaultHypervisors lists qemu and clh", DefaultHypervisors,
			[]Hypervisor{"qemu", "clh"}),
	)

	DescribeTable("return a new slice on every call",
		func(list func() []Hypervisor) {
			first := list()
			first[0] = "changed"
			Expect(list()).NotTo(ContainElement(Hypervisor("changed")))
		},
		Entry("AllHypervisors", AllHypervisors),
		Entry("DefaultHypervisors", DefaultHypervisors),
	)

	DescribeTable("RuntimeClassName",
		func(h Hypervisor, expected string) {
			Expect(RuntimeClassName(h)).To(Equal(expected))
		},
		Entry("qemu", HypervisorQEMU, "kata-qemu"),
		Entry("Cloud Hypervisor", HypervisorCloudHypervisor, "kata-clh"),
		Entry("Firecracker", HypervisorFirecracker, "kata-fc"),
	)

	DescribeTable("the constants",
		func(constant, expected string) {
			Expect(constant).To(Equal(expected))
		},
		Entry("the group", GroupName, "kata.runtime.extensions.config.gardener.cloud"),
		Entry("the group version", SchemeGroupVersion.String(), "kata.runtime.extensions.config.gardener.cloud/v1alpha1"),
		Entry("the kind", Kind, "KataConfiguration"),
	)
})
