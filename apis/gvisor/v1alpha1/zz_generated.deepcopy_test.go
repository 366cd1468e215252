package v1alpha1_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
)

var _ = Describe("DeepCopy", func() {
	typeMeta := metav1.TypeMeta{APIVersion: SchemeGroupVersion.String(), Kind: Kind}

	copyFuncs := []TableEntry{
		Entry("DeepCopy", func(in *GVisorConfiguration) *GVisorConfiguration { return in.DeepCopy() }),
		Entry("DeepCopyObject", func(in *GVisorConfiguration) *GVisorConfiguration {
			return in.DeepCopyObject().(*GVisorConfiguration)
		}),
		Entry("DeepCopyInto", func(in *GVisorConfiguration) *GVisorConfiguration {
			out := &GVisorConfiguration{ConfigFlags: map[string]string{"stale": "true"}}
			in.DeepCopyInto(out)
			return out
		}),
	}

	DescribeTable("copies everything",
		func(deepCopy func(*GVisorConfiguration) *GVisorConfiguration) {
			in := &GVisorConfiguration{TypeMeta: typeMeta, ConfigFlags: map[string]string{FlagDebug: "true"}, TestImageTag: new("v1")}
			out := deepCopy(in)
			Expect(out).To(Equal(in))
			Expect(out.TestImageTag).NotTo(BeIdenticalTo(in.TestImageTag))
			Expect(out).NotTo(BeIdenticalTo(in))
		},
		copyFuncs,
	)

	DescribeTable("makes an independent copy of the flags",
		func(deepCopy func(*GVisorConfiguration) *GVisorConfiguration) {
			in := &GVisorConfiguration{TypeMeta: typeMeta, ConfigFlags: map[string]string{FlagDebug: "true"}}
			out := deepCopy(in)
			out.ConfigFlags[FlagDebug] = "false"
			out.ConfigFlags[FlagNetRaw] = "true"
			out.Kind = "Changed"
			Expect(in.ConfigFlags).To(Equal(map[string]string{FlagDebug: "true"}))
			Expect(in.TypeMeta).To(Equal(typeMeta))
		},
		copyFuncs,
	)

	DescribeTable("keeps nil flags nil",
		func(deepCopy func(*GVisorConfiguration) *GVisorConfiguration) {
			Expect(deepCopy(&GVisorConfiguration{}).ConfigFlags).To(BeNil())
		},
		copyFuncs,
	)

	It("copies a nil object to nil", func() {
		var in *GVisorConfiguration
		Expect(in.DeepCopy()).To(BeNil())
		Expect(in.DeepCopyObject()).To(BeNil())
	})
})
