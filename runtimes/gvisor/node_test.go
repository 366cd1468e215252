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
		Entry("debug on adds the log location", map[string]string{"debug": "true"}, map[string]string{"debug": "true", "debug-log": "/var/log/runsc/%ID%/gvisor.%COMMAND%.log"}),
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
	It("returns the handler and runsc.toml", func() {
		cfg, err := New().NodeConfig(&runtime.RawExtension{Raw: []byte(`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"net-raw":"true"}}`)}, field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
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

	It("refuses an invalid providerConfig with the field path", func() {
		_, err := New().NodeConfig(&runtime.RawExtension{Raw: []byte(`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"net-raw":"yes"}}`)}, field.NewPath("pc"))
		Expect(err).To(MatchError(ContainSubstring(`pc.configFlags[net-raw]: Unsupported value: "yes"`)))
	})

	It("accepts an absent providerConfig", func() {
		cfg, err := New().NodeConfig(nil, field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Plugins).To(HaveLen(1))
	})
})
