package v1alpha1_test

import (
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
)

var _ = Describe("Flags", func() {
	DescribeTable("the allowlists",
		func(list func() []string, expected []string) {
			Expect(list()).To(Equal(expected))
		},
		Entry("AllowedFlags lists every flag", AllowedFlags, []string{FlagDebug, FlagNetRaw, FlagNvproxy, FlagPanicSignal}),
		Entry("AllowedFlagValues lists true and false", AllowedFlagValues, []string{"true", "false"}),
	)

	It("sorts AllowedFlags", func() {
		Expect(slices.IsSorted(AllowedFlags())).To(BeTrue())
	})

	DescribeTable("the constants",
		func(constant, expected string) {
			Expect(constant).To(Equal(expected))
		},
		Entry("debug", FlagDebug, "debug"),
		Entry("net-raw", FlagNetRaw, "net-raw"),
		Entry("nvproxy", FlagNvproxy, "nvproxy"),
		Entry("panic-signal", FlagPanicSignal, "panic-signal"),
		Entry("true", FlagValueTrue, "true"),
		Entry("false", FlagValueFalse, "false"),
		Entry("the group", GroupName, "gvisor.runtime.extensions.config.gardener.cloud"),
		Entry("the deprecated group", DeprecatedGroupName, "gvisor.os.extensions.gardener.cloud"),
		Entry("the group version", SchemeGroupVersion.String(), "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1"),
		Entry("the deprecated group version", DeprecatedSchemeGroupVersion.String(), "gvisor.os.extensions.gardener.cloud/v1alpha1"),
	)

	DescribeTable("returns a new slice on every call",
		func(list func() []string) {
			first := list()
			first[0] = "changed"
			Expect(list()).NotTo(ContainElement("changed"))
		},
		Entry("AllowedFlags", AllowedFlags),
		Entry("AllowedFlagValues", AllowedFlagValues),
	)
})
