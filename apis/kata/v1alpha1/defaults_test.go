package v1alpha1_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
)

var _ = Describe("SetDefaults_KataConfiguration", func() {
	DescribeTable("defaults only absent hypervisors",
		func(hypervisors, expected []Hypervisor) {
			cfg := &KataConfiguration{Hypervisors: hypervisors}
			SetObjectDefaults_KataConfiguration(cfg)
			// Equal tells nil from empty slices.
			Expect(cfg.Hypervisors).To(Equal(expected))
		},
		Entry("nil becomes the defaults", nil, []Hypervisor{HypervisorQEMU, HypervisorCloudHypervisor}),
		Entry("an empty, non-nil list is kept", []Hypervisor{}, []Hypervisor{}),
		Entry("a given list is kept", []Hypervisor{HypervisorFirecracker, HypervisorQEMU},
			[]Hypervisor{HypervisorFirecracker, HypervisorQEMU}),
	)

	It("does not share the defaults between objects", func() {
		first, second := &KataConfiguration{}, &KataConfiguration{}
		SetDefaults_KataConfiguration(first)
		SetDefaults_KataConfiguration(second)
		first.Hypervisors[0] = HypervisorFirecracker
		Expect(second.Hypervisors).To(Equal(DefaultHypervisors()))
	})
})
