package kata_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	. "github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

func raw(s string) *runtime.RawExtension { return &runtime.RawExtension{Raw: []byte(s)} }

var _ = Describe("NodeConfig", func() {
	DescribeTable("one handler per hypervisor, with its configuration file",
		func(providerConfig *runtime.RawExtension, want map[string]string) {
			cfg, err := New().NodeConfig(providerConfig, field.NewPath("pc"))
			Expect(err).NotTo(HaveOccurred())
			got := map[string]string{}
			for _, p := range cfg.Plugins {
				if p.Path[0] != "io.containerd.grpc.v1.cri" {
					continue
				}
				var values struct {
					RuntimeType string            `json:"runtime_type"`
					Options     map[string]string `json:"options"`
					PodAnn      []string          `json:"pod_annotations"`
					ContAnn     []string          `json:"container_annotations"`
				}
				Expect(json.Unmarshal(p.Values.Raw, &values)).To(Succeed())
				Expect(values.RuntimeType).To(Equal(RuntimeType))
				Expect(values.PodAnn).To(Equal([]string{"io.katacontainers.*"}))
				Expect(values.ContAnn).To(Equal([]string{"io.katacontainers.*"}))
				got[p.Path[3]] = values.Options["ConfigPath"]
			}
			Expect(got).To(Equal(want))
		},
		Entry("defaults: qemu and clh", nil, map[string]string{
			"kata-qemu": "/var/bin/containerruntimes/kata/configuration-qemu.toml",
			"kata-clh":  "/var/bin/containerruntimes/kata/configuration-clh.toml",
		}),
		Entry("firecracker", raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["fc"]}`), map[string]string{
			"kata-fc": "/var/bin/containerruntimes/kata/configuration-fc.toml",
		}),
	)

	It("adds devmapper, its setup script and unit only for firecracker", func() {
		withoutFC, err := New().NodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["qemu","clh"]}`), field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		Expect(withoutFC.Files).To(BeEmpty())
		Expect(withoutFC.Units).To(BeEmpty())

		withFC, err := New().NodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["qemu","fc"]}`), field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		Expect(withFC.Plugins).To(HaveLen(3))
		var fc map[string]any
		Expect(json.Unmarshal(withFC.Plugins[1].Values.Raw, &fc)).To(Succeed())
		Expect(fc).To(HaveKeyWithValue("snapshotter", DevmapperSnapshotter))
		Expect(withFC.Plugins[2].Path).To(Equal([]string{DevmapperPluginName}))
		Expect(withFC.Files).To(ConsistOf(HaveField("Path", DevmapperSetupScriptPath)))
		Expect(*withFC.Files[0].Permissions).To(Equal(uint32(0o755)))
		Expect(withFC.Units).To(HaveLen(1))
		Expect(withFC.Units[0].Name).To(Equal(DevmapperUnitName))
		Expect(*withFC.Units[0].Content).To(And(ContainSubstring("Before=containerd.service"), ContainSubstring("ExecStart="+DevmapperSetupScriptPath)))
		Expect(withFC.Units[0].FilePaths).To(ConsistOf(DevmapperSetupScriptPath))
	})

	It("ships a setup script that bash parses", func() {
		cfg, err := New().NodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["fc"]}`), field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		script, err := base64.StdEncoding.DecodeString(cfg.Files[0].Content.Inline.Data)
		Expect(err).NotTo(HaveOccurred())
		path := filepath.Join(GinkgoT().TempDir(), "setup.sh")
		Expect(os.WriteFile(path, script, 0o755)).To(Succeed())
		out, err := exec.Command("bash", "-n", path).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
	})

	It("refuses an invalid providerConfig with the field path", func() {
		_, err := New().NodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["vmware"]}`), field.NewPath("pc"))
		Expect(err).To(MatchError(ContainSubstring(`pc.hypervisors[0]: Unsupported value: "vmware"`)))
	})

	It("names configuration files per hypervisor", func() {
		Expect(ConfigPath(v1alpha1.HypervisorCloudHypervisor)).To(Equal("/var/bin/containerruntimes/kata/configuration-clh.toml"))
	})
})
