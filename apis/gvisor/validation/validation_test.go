package validation_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/validation"
)

var _ = Describe("ValidateGVisorConfiguration", func() {
	fldPath := field.NewPath("spec", "provider", "workers").Index(0).
		Child("cri", "containerRuntimes").Index(0).Child("providerConfig")
	flagPath := func(key string) *field.Path { return fldPath.Child("configFlags").Key(key) }

	const (
		supportedFlags  = `supported values: "debug", "net-raw", "nvproxy", "panic-signal"`
		supportedValues = `supported values: "true", "false"`
	)

	DescribeTable("accepts",
		func(cfg *v1alpha1.GVisorConfiguration) {
			Expect(ValidateGVisorConfiguration(cfg, fldPath)).To(BeEmpty())
		},
		Entry("nil", nil),
		Entry("no flags", &v1alpha1.GVisorConfiguration{}),
		Entry("empty flags", &v1alpha1.GVisorConfiguration{ConfigFlags: map[string]string{}}),
		Entry("every flag turned on", &v1alpha1.GVisorConfiguration{ConfigFlags: map[string]string{
			"debug": "true", "net-raw": "true", "nvproxy": "true",
		}}),
		Entry("every flag turned off", &v1alpha1.GVisorConfiguration{ConfigFlags: map[string]string{
			"debug": "false", "net-raw": "false", "nvproxy": "false", "panic-signal": "-1",
		}}),
		Entry("panic-signal SIGUSR2", &v1alpha1.GVisorConfiguration{ConfigFlags: map[string]string{"panic-signal": "12"}}),
		Entry("the lowest panic-signal", &v1alpha1.GVisorConfiguration{ConfigFlags: map[string]string{"panic-signal": "1"}}),
		Entry("the highest panic-signal", &v1alpha1.GVisorConfiguration{ConfigFlags: map[string]string{"panic-signal": "64"}}),
		Entry("a testImageTag", &v1alpha1.GVisorConfiguration{TestImageTag: new("v0.1.0-dev")}),
	)

	DescribeTable("refuses a panic-signal that is not a signal number, naming the allowed range",
		func(value string) {
			Expect(ValidateGVisorConfiguration(&v1alpha1.GVisorConfiguration{ConfigFlags: map[string]string{"panic-signal": value}}, fldPath)).To(Equal(field.ErrorList{
				field.Invalid(flagPath("panic-signal"), value, PanicSignalDetail),
			}))
		},
		Entry("zero", "0"),
		Entry("above the highest signal", "65"),
		Entry("below -1", "-2"),
		Entry("a name", "SIGUSR2"),
		Entry("a boolean", "true"),
		Entry("empty", ""),
		Entry("with a sign", "+12"),
		Entry("with a leading zero, which runsc would read as octal", "012"),
		Entry("hexadecimal", "0xc"),
		Entry("with spaces", " 12"),
		Entry("beyond int64", "99999999999999999999"),
	)

	DescribeTable("refuses",
		func(flags map[string]string, expected field.ErrorList) {
			cfg := &v1alpha1.GVisorConfiguration{ConfigFlags: flags}
			Expect(ValidateGVisorConfiguration(cfg, fldPath)).To(Equal(expected))
		},
		Entry("an unknown flag", map[string]string{"foo": "true"}, field.ErrorList{
			field.NotSupported(flagPath("foo"), "foo", v1alpha1.AllowedFlags()),
		}),
		Entry("a flag in the wrong case", map[string]string{"Debug": "true"}, field.ErrorList{
			field.NotSupported(flagPath("Debug"), "Debug", v1alpha1.AllowedFlags()),
		}),
		Entry("an empty flag name", map[string]string{"": "true"}, field.ErrorList{
			field.NotSupported(flagPath(""), "", v1alpha1.AllowedFlags()),
		}),
		Entry("a value other than true or false", map[string]string{"debug": "yes"}, field.ErrorList{
			field.NotSupported(flagPath("debug"), "yes", v1alpha1.AllowedFlagValues()),
		}),
		Entry("a value in the wrong case", map[string]string{"net-raw": "True"}, field.ErrorList{
			field.NotSupported(flagPath("net-raw"), "True", v1alpha1.AllowedFlagValues()),
		}),
		Entry("an empty value", map[string]string{"nvproxy": ""}, field.ErrorList{
			field.NotSupported(flagPath("nvproxy"), "", v1alpha1.AllowedFlagValues()),
		}),
		Entry("an unknown flag with an invalid value: only the flag, its value does not matter", map[string]string{"foo": "1"}, field.ErrorList{
			field.NotSupported(flagPath("foo"), "foo", v1alpha1.AllowedFlags()),
		}),
		Entry("several problems: all of them, sorted by flag", map[string]string{
			"nvproxy": "on", "zzz": "true", "debug": "true", "aaa": "false", "net-raw": "0",
		}, field.ErrorList{
			field.NotSupported(flagPath("aaa"), "aaa", v1alpha1.AllowedFlags()),
			field.NotSupported(flagPath("net-raw"), "0", v1alpha1.AllowedFlagValues()),
			field.NotSupported(flagPath("nvproxy"), "on", v1alpha1.AllowedFlagValues()),
			field.NotSupported(flagPath("zzz"), "zzz", v1alpha1.AllowedFlags()),
		}),
	)

	DescribeTable("names the allowed values in its messages",
		func(flags map[string]string, expected string) {
			errs := ValidateGVisorConfiguration(&v1alpha1.GVisorConfiguration{ConfigFlags: flags}, fldPath)
			Expect(errs).To(HaveLen(1))
			Expect(errs[0].Error()).To(Equal(expected))
		},
		Entry("for flags", map[string]string{"foo": "true"},
			`spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[foo]: Unsupported value: "foo": `+supportedFlags),
		Entry("for values", map[string]string{"debug": "1"},
			`spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[debug]: Unsupported value: "1": `+supportedValues),
		Entry("for panic-signal", map[string]string{"panic-signal": "100"},
			`spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[panic-signal]: Invalid value: "100": must be a signal number from 1 to 64, or -1 to turn the panic off (e.g. "12" for SIGUSR2)`),
	)
})
