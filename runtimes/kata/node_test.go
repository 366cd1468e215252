package kata_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/pelletier/go-toml/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	. "github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

func raw(s string) *runtime.RawExtension { return &runtime.RawExtension{Raw: []byte(s)} }

// fileContent returns the decoded content of the file at path of cfg.
func fileContent(cfg *node.Config, path string) []byte {
	GinkgoHelper()
	for _, f := range cfg.Files {
		if f.Path == path {
			data, err := base64.StdEncoding.DecodeString(f.Content.Inline.Data)
			Expect(err).NotTo(HaveOccurred())
			return data
		}
	}
	Fail("no file " + path)
	return nil
}

var _ = Describe("NodeConfig", func() {
	DescribeTable("one handler per hypervisor, with its configuration file",
		func(providerConfig *runtime.RawExtension, want map[string]string) {
			cfg, err := nodeConfig(providerConfig, field.NewPath("pc"))
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
				// Only the allowlisted annotations reach Kata, never io.katacontainers.* as a whole.
				Expect(values.PodAnn).To(Equal(AllowedAnnotations()))
				Expect(values.ContAnn).To(Equal(AllowedAnnotations()))
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

	It("writes one Kata configuration file per hypervisor, as Configuration renders it for the node layout", func() {
		cfg, err := nodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["clh","qemu"]}`), field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Files).To(HaveLen(2))
		for i, h := range []v1alpha1.Hypervisor{v1alpha1.HypervisorCloudHypervisor, v1alpha1.HypervisorQEMU} {
			Expect(cfg.Files[i].Path).To(Equal(ConfigPath(h)))
			Expect(*cfg.Files[i].Permissions).To(Equal(uint32(0o644)))
			want, err := Configuration(h, NodeLayout)
			Expect(err).NotTo(HaveOccurred())
			Expect(base64.StdEncoding.DecodeString(cfg.Files[i].Content.Inline.Data)).To(Equal(want))
		}
	})

	It("adds the devmapper setup script, the snapshotter's plugin table and the unit only for firecracker", func() {
		withoutFC, err := nodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["qemu","clh"]}`), field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		Expect(withoutFC.Files).To(HaveEach(HaveField("Path", HavePrefix("/var/bin/containerruntimes/kata/configuration-"))))
		Expect(withoutFC.Units).To(BeEmpty())

		withFC, err := nodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["qemu","fc"]}`), field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		// The handlers only: the devmapper snapshotter's plugin table never goes into containerd's main
		// configuration, where containerd 2.x would lose its CRI without the thin-pool.
		Expect(withFC.Plugins).To(HaveLen(2))
		Expect(withFC.Plugins).To(HaveEach(HaveField("Path", HaveExactElements("io.containerd.grpc.v1.cri", "containerd", "runtimes", HavePrefix("kata-")))))
		var fc map[string]any
		Expect(json.Unmarshal(withFC.Plugins[1].Values.Raw, &fc)).To(Succeed())
		Expect(fc).To(HaveKeyWithValue("snapshotter", DevmapperSnapshotter))
		Expect(withFC.Files).To(ConsistOf(
			HaveField("Path", ConfigPath(v1alpha1.HypervisorQEMU)),
			HaveField("Path", ConfigPath(v1alpha1.HypervisorFirecracker)),
			And(HaveField("Path", DevmapperSetupScriptPath), HaveField("Permissions", HaveValue(Equal(uint32(0o755))))),
			And(HaveField("Path", DevmapperPluginConfigPath), HaveField("Permissions", HaveValue(Equal(uint32(0o644))))),
		))
		Expect(withFC.Units).To(HaveLen(1))
		Expect(withFC.Units[0].Name).To(Equal(DevmapperUnitName))
		Expect(*withFC.Units[0].Content).To(And(
			ContainSubstring("Before=containerd.service"),
			ContainSubstring("ExecStart="+DevmapperSetupScriptPath+" start\n"),
			ContainSubstring("ExecStop="+DevmapperSetupScriptPath+" stop\n"),
		))
		// gardener-node-agent restarts the unit when the script or the plugin table changes.
		Expect(withFC.Units[0].FilePaths).To(ConsistOf(DevmapperSetupScriptPath, DevmapperPluginConfigPath))
	})

	It("keeps the snapshotter's plugin table where containerd does not read it, without a config version", func() {
		Expect(DevmapperPluginConfigPath).NotTo(HavePrefix("/etc/containerd/"))
		Expect(DevmapperDropInPath).To(MatchRegexp(`^/etc/containerd/conf\.d/[^/]+\.toml$`))
		cfg, err := nodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["fc"]}`), field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		var table map[string]any
		Expect(toml.Unmarshal(fileContent(cfg, DevmapperPluginConfigPath), &table)).To(Succeed())
		Expect(table).To(Equal(map[string]any{"plugins": map[string]any{DevmapperPluginName: map[string]any{
			"root_path":       DevmapperRootPath,
			"pool_name":       DevmapperPoolName,
			"base_image_size": "10GB",
			"discard_blocks":  true,
		}}}))
	})

	It("ships a setup script that bash parses", func() {
		cfg, err := nodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["fc"]}`), field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		path := filepath.Join(GinkgoT().TempDir(), "setup.sh")
		Expect(os.WriteFile(path, fileContent(cfg, DevmapperSetupScriptPath), 0o755)).To(Succeed())
		out, err := exec.Command("bash", "-n", path).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
	})

	It("ships a setup script that shellcheck finds nothing in, with every optional check", func() {
		shellcheck, err := exec.LookPath("shellcheck")
		Expect(err).NotTo(HaveOccurred(), "shellcheck (Debian package shellcheck) is needed; make node-packages installs it")
		cfg, err := nodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["fc"]}`), field.NewPath("pc"))
		Expect(err).NotTo(HaveOccurred())
		path := filepath.Join(GinkgoT().TempDir(), "setup.sh")
		Expect(os.WriteFile(path, fileContent(cfg, DevmapperSetupScriptPath), 0o755)).To(Succeed())
		out, err := exec.Command(shellcheck, "--enable=all", path).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(strings.TrimSpace(string(out))).To(BeEmpty())
	})

	Describe("the devmapper thin-pool of a Firecracker pool", func() {
		var script, unit string
		BeforeEach(func() {
			cfg, err := nodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["fc"]}`), field.NewPath("pc"))
			Expect(err).NotTo(HaveOccurred())
			script, unit = string(fileContent(cfg, DevmapperSetupScriptPath)), *cfg.Units[0].Content
		})

		It("zeroes newly provisioned blocks, so that one tenant's freed blocks never reach another's VM", func() {
			Expect(script).To(ContainSubstring(`features="1 error_if_no_space"`))
			Expect(script).To(ContainSubstring(`thin-pool ${meta_dev} ${data_dev} ${data_block_size} ${low_water_mark} ${features}`))
			// skip_block_zeroing appears only where a pool of an earlier version is detected and switched.
			for _, line := range strings.Split(script, "\n") {
				if strings.Contains(line, "skip_block_zeroing") {
					Expect(line).To(Or(HaveSuffix("*skip_block_zeroing* ]]; then"), HavePrefix("#")), line)
				}
			}
		})

		It("hands the snapshotter's plugin table to containerd only once the pool exists, at the paths of the OSC", func() {
			Expect(script).To(ContainSubstring("\nplugin_config=" + DevmapperPluginConfigPath + "\n"))
			Expect(script).To(ContainSubstring("\ndrop_in=" + DevmapperDropInPath + "\n"))
			// The table is removed before anything can fail, and written after the pool was created or found.
			removed := strings.Index(script, "\nrm -f \"${drop_in}\"\n")
			Expect(removed).To(BeNumerically(">", 0))
			Expect(strings.Index(script, "\nif table=")).To(BeNumerically(">", removed))
			Expect(script).To(HaveSuffix("dmsetup create \"${pool}\" --table \"0 ${sectors} thin-pool ${meta_dev} ${data_dev} ${data_block_size} ${low_water_mark} ${features}\"\n" +
				"echo \"devmapper thin-pool ${pool} created on ${data_dev} (data, ${data_size}) and ${meta_dev} (metadata, ${meta_size})\"\nhand_over\n"))
		})

		It("never takes containerd down: containerd wants the setup but does not require it", func() {
			Expect(unit).NotTo(ContainSubstring("Requires="))
			Expect(unit).NotTo(ContainSubstring("RequiredBy="))
			Expect(unit).NotTo(ContainSubstring("BindsTo="))
			Expect(unit).To(ContainSubstring("Before=containerd.service"))
			Expect(unit).To(ContainSubstring("WantedBy=multi-user.target containerd.service"))
		})

		It("runs again before containerd whenever containerd restarts, so containerd reads the table the setup handed over", func() {
			Expect(unit).To(ContainSubstring("\nPartOf=containerd.service\n"))
		})

		It("is a unit systemd accepts (systemd-analyze verify, with the script in place)", func() {
			analyze, err := exec.LookPath("systemd-analyze")
			Expect(err).NotTo(HaveOccurred(), "systemd-analyze (Debian package systemd) is needed; make node-packages installs it")
			root := GinkgoT().TempDir()
			// systemd resolves the unit's dependencies (sysinit.target, ...) against the units below the root.
			Expect(exec.Command("cp", "-r", "/lib/systemd/system", filepath.Join(root, "lib-systemd-system")).Run()).To(Succeed())
			Expect(os.MkdirAll(filepath.Join(root, "usr/lib/systemd"), 0o755)).To(Succeed())
			Expect(os.Rename(filepath.Join(root, "lib-systemd-system"), filepath.Join(root, "usr/lib/systemd/system"))).To(Succeed())
			unitPath := filepath.Join("/etc/systemd/system", DevmapperUnitName)
			for file, content := range map[string]struct {
				data string
				mode os.FileMode
			}{unitPath: {unit, 0o644}, DevmapperSetupScriptPath: {script, 0o755}} {
				Expect(os.MkdirAll(filepath.Join(root, filepath.Dir(file)), 0o755)).To(Succeed())
				Expect(os.WriteFile(filepath.Join(root, file), []byte(content.data), content.mode)).To(Succeed())
			}
			out, err := exec.Command(analyze, "verify", "--root="+root, unitPath).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))
			// systemd-analyze reports bad settings as warnings with exit code 0: any output is a finding.
			Expect(strings.TrimSpace(string(out))).To(BeEmpty())
		})
	})

	It("refuses an invalid providerConfig with the field path", func() {
		_, err := nodeConfig(raw(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["vmware"]}`), field.NewPath("pc"))
		Expect(err).To(MatchError(ContainSubstring(`pc.hypervisors[0]: Unsupported value: "vmware"`)))
	})

	It("names configuration files per hypervisor", func() {
		Expect(ConfigPath(v1alpha1.HypervisorCloudHypervisor)).To(Equal("/var/bin/containerruntimes/kata/configuration-clh.toml"))
	})
})
