package v1alpha1_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
)

var _ = Describe("DeepCopy", func() {
	typeMeta := metav1.TypeMeta{APIVersion: SchemeGroupVersion.String(), Kind: Kind}

	copyFuncs := []TableEntry{
		Entry("DeepCopy", func(in *KataConfiguration) *KataConfiguration { return in.DeepCopy() }),
		Entry("DeepCopyObject", func(in *KataConfiguration) *KataConfiguration {
			return in.DeepCopyObject().(*KataConfiguration)
		}),
		Entry("DeepCopyInto", func(in *KataConfiguration) *KataConfiguration {
			out := &KataConfiguration{Hypervisors: []Hypervisor{"stale"}}
			in.DeepCopyInto(out)
			return out
		}),
	}

	DescribeTable("copies everything",
		func(deepCopy func(*KataConfiguration) *KataConfiguration) {
			in := &KataConfiguration{TypeMeta: typeMeta, Hypervisors: []Hypervisor{HypervisorQEMU, HypervisorFirecracker}}
			out := deepCopy(in)
			Expect(out).To(Equal(in))
			Expect(out).NotTo(BeIdenticalTo(in))
		},
		copyFuncs,
	)

	DescribeTable("makes an independent copy of the hypervisors",
		func(deepCopy func(*KataConfiguration) *KataConfiguration) {
			in := &KataConfiguration{TypeMeta: typeMeta, Hypervisors: []Hypervisor{HypervisorQEMU, HypervisorFirecracker}}
			out := deepCopy(in)
			out.Hypervisors[0] = HypervisorCloudHypervisor
			out.Kind = "Changed"
			Expect(in.Hypervisors).To(Equal([]Hypervisor{HypervisorQEMU, HypervisorFirecracker}))
			Expect(in.TypeMeta).To(Equal(typeMeta))
		},
		copyFuncs,
	)

	DescribeTable("keeps nil hypervisors nil and empty ones empty",
		func(deepCopy func(*KataConfiguration) *KataConfiguration) {
			Expect(deepCopy(&KataConfiguration{}).Hypervisors).To(BeNil())

			empty := deepCopy(&KataConfiguration{Hypervisors: []Hypervisor{}}).Hypervisors
			Expect(empty).NotTo(BeNil())
			Expect(empty).To(BeEmpty())
		},
		copyFuncs,
	)

	It("copies a nil object to nil", func() {
		var in *KataConfiguration
		Expect(in.DeepCopy()).To(BeNil())
		Expect(in.DeepCopyObject()).To(BeNil())
	})
})
