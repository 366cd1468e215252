package gvisor_test

import (
	"encoding/base64"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/pelletier/go-toml/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	. "github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

var _ = Describe("RunscConfig", func() {
	DescribeTable("renders the [runsc_config] table from the flags",
		func(flags map[string]string, want map[string]string) {
			out, err := RunscConfig(&v1alpha1.GVisorConfiguration{ConfigFlags: flags})
			Expect(err).NotTo(HaveOccurred())
			var parsed map[string]map[string]string
			Expect(toml.Unmarshal(out, &parsed)).To(Succeed())
			Expect(parsed).To(Equal(map[string]map[string]string{"runsc_config": want}))
		},
		Entry("no flags", nil, map[string]string{}),
		Entry("net-raw and nvproxy", map[string]string{"net-raw": "true", "nvproxy": "false"}, map[string]string{"net-raw": "true", "nvproxy": "false"}),
		Entry("debug on adds the log location", map[string]string{"debug": "true"}, map[string]string{"debug": "true", "debug-log": "/var/log/runsc/%ID%/gvisor-%COMMAND%.log"}),
		Entry("panic-signal", map[string]string{"panic-signal": "12"}, map[string]string{"panic-signal": "12"}),
		Entry("debug off adds no log location", map[string]string{"debug": "false"}, map[string]string{"debug": "false"}),
	)

	It("is deterministic and does not change the configuration it reads", func() {
		flags := map[string]string{"nvproxy": "true", "debug": "true", "net-raw": "true"}
		first, err := RunscConfig(&v1alpha1.GVisorConfiguration{ConfigFlags: flags})
		Expect(err).NotTo(HaveOccurred())
		for range 20 {
			again, err := RunscConfig(&v1alpha1.GVisorConfiguration{ConfigFlags: flags})
			Expect(err).NotTo(HaveOccurred())
			Expect(again).To(Equal(first))
		}
		Expect(flags).NotTo(HaveKey("debug-log"))
	})
})

var _ = Describe("NodeConfig", func() {
	nodeConfig := func(providerConfig *runtime.RawExtension) (*node.Config, field.ErrorList) {
		cfg, errs := New().Decode(providerConfig, field.NewPath("pc"))
		Expect(cfg).NotTo(BeNil(), "no configuration to apply: %v", errs)
		out, err := cfg.NodeConfig()
		Expect(err).NotTo(HaveOccurred())
		return out, errs
	}

	It("returns the handler and runsc.toml", func() {
		cfg, errs := nodeConfig(&runtime.RawExtension{Raw: []byte(`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"net-raw":"true"}}`)})
		Expect(errs).To(BeEmpty())
		Expect(cfg.Plugins).To(HaveLen(1))
		Expect(cfg.Plugins[0].Path).To(Equal([]string{"io.containerd.grpc.v1.cri", "containerd", "runtimes", Handler}))
		Expect(cfg.Files).To(HaveLen(1))
		Expect(cfg.Files[0].Path).To(Equal(ConfigPath))
		Expect(*cfg.Files[0].Permissions).To(Equal(uint32(0o644)))
		data, err := base64.StdEncoding.DecodeString(cfg.Files[0].Content.Inline.Data)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring("net-raw = 'true'"))
		Expect(cfg.Units).To(BeEmpty())
	})

	It("reports an invalid flag value with the field path, and leaves it out of runsc.toml", func() {
		cfg, errs := nodeConfig(&runtime.RawExtension{Raw: []byte(`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"net-raw":"yes"}}`)})
		Expect(errs.ToAggregate()).To(MatchError(ContainSubstring(`pc.configFlags[net-raw]: Unsupported value: "yes"`)))
		data, err := base64.StdEncoding.DecodeString(cfg.Files[0].Content.Inline.Data)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(Equal("[runsc_config]\n"))
	})

	It("accepts an absent providerConfig", func() {
		cfg, errs := nodeConfig(nil)
		Expect(errs).To(BeEmpty())
		Expect(cfg.Plugins).To(HaveLen(1))
	})
})

// decodeFile decodes the base64 content of an inline OSC file.
func decodeFile(data string) []byte {
	out, err := base64.StdEncoding.DecodeString(data)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return out
}
