package v1alpha1_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
)

var _ = Describe("AddToScheme", func() {
	var scheme *runtime.Scheme

	BeforeEach(func() {
		scheme = runtime.NewScheme()
		Expect(AddToScheme(scheme)).To(Succeed())
	})

	DescribeTable("registers GVisorConfiguration",
		func(gv schema.GroupVersion) {
			obj, err := scheme.New(gv.WithKind("GVisorConfiguration"))
			Expect(err).NotTo(HaveOccurred())
			Expect(obj).To(BeAssignableToTypeOf(&GVisorConfiguration{}))
		},
		Entry("under the current group version", SchemeGroupVersion),
		Entry("under the deprecated group version", DeprecatedSchemeGroupVersion),
	)

	It("prefers the current group version", func() {
		gvks, _, err := scheme.ObjectKinds(&GVisorConfiguration{})
		Expect(err).NotTo(HaveOccurred())
		Expect(gvks).To(Equal([]schema.GroupVersionKind{
			SchemeGroupVersion.WithKind(Kind),
			DeprecatedSchemeGroupVersion.WithKind(Kind),
		}))
	})

	DescribeTable("registers the defaulting functions, which leave the flags as given",
		func(flags map[string]string) {
			cfg := &GVisorConfiguration{ConfigFlags: flags}
			scheme.Default(cfg)
			Expect(cfg.ConfigFlags).To(Equal(flags))
		},
		Entry("nil flags stay nil", nil),
		Entry("empty flags stay empty", map[string]string{}),
		Entry("given flags are kept", map[string]string{FlagDebug: "true", FlagNetRaw: "false"}),
	)
})
