package v1alpha1_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
)

var _ = Describe("SetDefaults_GVisorConfiguration", func() {
	DescribeTable("leaves the flags as given",
		func(flags map[string]string) {
			cfg := &GVisorConfiguration{ConfigFlags: flags}
			SetObjectDefaults_GVisorConfiguration(cfg)
			// Equal tells nil from empty maps.
			Expect(cfg.ConfigFlags).To(Equal(flags))
		},
		Entry("nil stays nil", nil),
		Entry("empty stays empty", map[string]string{}),
		Entry("given flags are kept", map[string]string{FlagNvproxy: "true"}),
		Entry("unknown flags are kept, for validation to refuse", map[string]string{"foo": "bar"}),
	)
})
