package v1alpha1_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
)

var _ = Describe("AddToScheme", func() {
	var scheme *runtime.Scheme

	BeforeEach(func() {
		scheme = runtime.NewScheme()
		Expect(AddToScheme(scheme)).To(Succeed())
	})

	It("registers KataConfiguration", func() {
		gvks, _, err := scheme.ObjectKinds(&KataConfiguration{})
		Expect(err).NotTo(HaveOccurred())
		Expect(gvks).To(Equal([]schema.GroupVersionKind{SchemeGroupVersion.WithKind(Kind)}))

		obj, err := scheme.New(SchemeGroupVersion.WithKind(Kind))
		Expect(err).NotTo(HaveOccurred())
		Expect(obj).To(BeAssignableToTypeOf(&KataConfiguration{}))
	})

	DescribeTable("registers the defaulting functions",
		func(hypervisors, expected []Hypervisor) {
			cfg := &KataConfiguration{Hypervisors: hypervisors}
			scheme.Default(cfg)
			Expect(cfg.Hypervisors).To(Equal(expected))
		},
		Entry("absent hypervisors become the default ones", nil, []Hypervisor{HypervisorQEMU, HypervisorCloudHypervisor}),
		Entry("an empty list stays empty, for validation to refuse", []Hypervisor{}, []Hypervisor{}),
		Entry("given hypervisors are kept", []Hypervisor{HypervisorFirecracker}, []Hypervisor{HypervisorFirecracker}),
		Entry("unknown hypervisors are kept, for validation to refuse", []Hypervisor{"vmware"}, []Hypervisor{"vmware"}),
	)
})
