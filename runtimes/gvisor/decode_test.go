package gvisor_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/pelletier/go-toml/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	. "github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
)

const gvisorAPI = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`

var _ = Describe("Decode", func() {
	fldPath := field.NewPath("pc")
	flagPath := func(key string) string { return fldPath.Child("configFlags").Key(key).String() }

	// runscFlags returns the [runsc_config] table of the runsc.toml the configuration gives the pool's nodes.
	runscFlags := func(providerConfig string) (map[string]string, field.ErrorList) {
		cfg, errs := New().Decode(&runtime.RawExtension{Raw: []byte(providerConfig)}, fldPath)
		Expect(cfg).NotTo(BeNil(), "nothing to apply: %v", errs)
		nodeConfig, err := cfg.NodeConfig()
		Expect(err).NotTo(HaveOccurred())
		var content []byte
		for _, f := range nodeConfig.Files {
			if f.Path == ConfigPath {
				content = decodeFile(f.Content.Inline.Data)
			}
		}
		Expect(content).NotTo(BeNil(), "no "+ConfigPath)
		var parsed map[string]map[string]string
		Expect(toml.Unmarshal(content, &parsed)).To(Succeed())
		return parsed["runsc_config"], errs
	}

	DescribeTable("applies what gardener-extension-runtime-gvisor applied of a stored configuration and reports the rest",
		func(providerConfig string, wantFlags map[string]string, wantErrFields ...string) {
			if wantErrFields == nil {
				wantErrFields = []string{}
			}
			flags, errs := runscFlags(providerConfig)
			Expect(flags).To(Equal(wantFlags))
			fields := []string{}
			for _, err := range errs {
				fields = append(fields, err.Field)
			}
			Expect(fields).To(Equal(wantErrFields), "%v", errs)
		},
		Entry("every flag it knew, valid: all of them, nothing to report",
			`{`+gvisorAPI+`,"configFlags":{"debug":"true","net-raw":"true","nvproxy":"true","panic-signal":"12"}}`,
			map[string]string{"debug": "true", "debug-log": DebugLog, "net-raw": "true", "nvproxy": "true", "panic-signal": "12"}),
		Entry("an unknown flag, which it ignored",
			`{`+gvisorAPI+`,"configFlags":{"net-raw":"true","host-uds":"all"}}`,
			map[string]string{"net-raw": "true"}, flagPath("host-uds")),
		Entry("values it did not apply",
			`{`+gvisorAPI+`,"configFlags":{"net-raw":"yes","debug":"1","nvproxy":"true","panic-signal":"abc"}}`,
			map[string]string{"nvproxy": "true"}, flagPath("debug"), flagPath("net-raw"), flagPath("panic-signal")),
		Entry("a panic-signal it passed on that is not a signal",
			`{`+gvisorAPI+`,"configFlags":{"panic-signal":"100"}}`,
			map[string]string{}, flagPath("panic-signal")),
		Entry("an unknown field, which its lenient decoding ignored",
			`{`+gvisorAPI+`,"configFlags":{"debug":"false"},"runtimeFlags":{"x":"y"}}`,
			map[string]string{"debug": "false"}, fldPath.Child("runtimeFlags").String()),
		Entry("a duplicate flag: the last counts, as in its decoding",
			`{`+gvisorAPI+`,"configFlags":{"net-raw":"false","net-raw":"true"}}`,
			map[string]string{"net-raw": "true"}, flagPath("net-raw")),
		Entry("no apiVersion and kind, which its decoding took from the type",
			`{"configFlags":{"net-raw":"true"}}`,
			map[string]string{"net-raw": "true"}, fldPath.Child("apiVersion").String(), fldPath.Child("kind").String()),
		Entry("testImageTag, which has no effect here",
			`{`+gvisorAPI+`,"testImageTag":"v0.1.0"}`,
			map[string]string{}),
	)

	DescribeTable("leaves nothing to apply when gardener-extension-runtime-gvisor failed on it too",
		func(providerConfig, wantErr string) {
			cfg, errs := New().Decode(&runtime.RawExtension{Raw: []byte(providerConfig)}, fldPath)
			Expect(cfg).To(BeNil())
			Expect(errs.ToAggregate()).To(MatchError(ContainSubstring(wantErr)))
		},
		Entry("an unquoted boolean", `{`+gvisorAPI+`,"configFlags":{"debug":true,"net-raw":"true"}}`,
			`pc.configFlags[debug]: Invalid value: true: must be a string, not a boolean: quote the value, e.g. "true"`),
		Entry("a testImageTag that is not a string", `{`+gvisorAPI+`,"testImageTag":1}`, `pc.testImageTag: Invalid value: 1: must be a string`),
		Entry("another API", `{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"}`,
			`pc.apiVersion: Unsupported value: "kata.runtime.extensions.config.gardener.cloud/v1alpha1"`),
		Entry("no JSON object", `[]`, `pc: Invalid value: "<not shown>": cannot be decoded: the document must be an object, not a list`),
	)

	DescribeTable("warns",
		func(providerConfig string, want []string) {
			cfg, errs := New().Decode(&runtime.RawExtension{Raw: []byte(providerConfig)}, fldPath)
			Expect(errs).To(BeEmpty())
			Expect(cfg.Warnings()).To(Equal(want))
		},
		Entry("about nothing for the current apiVersion", `{`+gvisorAPI+`,"configFlags":{"debug":"true"}}`, nil),
		Entry("about the deprecated apiVersion, naming the current one",
			`{"apiVersion":"gvisor.os.extensions.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"}`,
			[]string{"pc.apiVersion: gvisor.os.extensions.gardener.cloud/v1alpha1 is deprecated, use gvisor.runtime.extensions.config.gardener.cloud/v1alpha1"}),
		Entry("that testImageTag has no effect, and why",
			`{`+gvisorAPI+`,"testImageTag":"v0.1.0"}`,
			[]string{"pc.testImageTag: has no effect and can be removed: gardener-extension-runtime-gvisor chose a test build of " +
				"its installation image with it; here runsc comes from this extension's installer image, which the operator pins"}),
	)

	It("offers RuntimeClass gvisor with handler runsc, as gardener-extension-runtime-gvisor did", func() {
		cfg, errs := New().Decode(nil, fldPath)
		Expect(errs).To(BeEmpty())
		classes := cfg.RuntimeClasses()
		Expect(classes).To(HaveLen(1))
		Expect(classes[0].Name).To(Equal("gvisor"))
		Expect(classes[0].Handler).To(Equal("runsc"))
	})
})
