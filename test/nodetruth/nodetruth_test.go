package nodetruth_test

import (
	"context"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/pelletier/go-toml/v2"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
)

const runscTomlPath = "/etc/containerd/runsc.toml"

// runtimesPath is where containerd 1.6 (config version 2) keeps its runtime handlers, below "plugins".
var runtimesPath = []string{"io.containerd.grpc.v1.cri", "containerd", "runtimes"}

func handlerPlugin(handler, values string) extensionsv1alpha1.PluginConfig {
	return extensionsv1alpha1.PluginConfig{
		Op:     new(extensionsv1alpha1.AddPluginPathOperation),
		Path:   append(append([]string{}, runtimesPath...), handler),
		Values: &apiextensionsv1.JSON{Raw: []byte(values)},
	}
}

// sandboxOSC is a hand-made OperatingSystemConfig as the extension's mutation produces it: a gVisor handler with its
// runsc.toml, a kata-qemu handler and a kata-fc handler on devmapper.
func sandboxOSC(runscToml string) *extensionsv1alpha1.OperatingSystemConfig {
	return &extensionsv1alpha1.OperatingSystemConfig{
		Spec: extensionsv1alpha1.OperatingSystemConfigSpec{
			CRIConfig: &extensionsv1alpha1.CRIConfig{
				Name:         extensionsv1alpha1.CRINameContainerD,
				CgroupDriver: new(extensionsv1alpha1.CgroupDriverSystemd),
				Containerd: &extensionsv1alpha1.ContainerdConfig{
					SandboxImage: "registry.k8s.io/pause:3.10",
					Plugins: []extensionsv1alpha1.PluginConfig{
						handlerPlugin("runsc", `{"runtime_type":"io.containerd.runsc.v1","options":{"TypeUrl":"io.containerd.runsc.v1.options","ConfigPath":"/etc/containerd/runsc.toml"}}`),
						handlerPlugin("kata-qemu", `{"runtime_type":"io.containerd.kata.v2","privileged_without_host_devices":true,"pod_annotations":["io.katacontainers.*"],"container_annotations":["io.katacontainers.*"],"options":{"ConfigPath":"/opt/kata/share/defaults/kata-containers/configuration-qemu.toml"}}`),
						handlerPlugin("kata-fc", `{"runtime_type":"io.containerd.kata-fc.v2","snapshotter":"devmapper","privileged_without_host_devices":true,"options":{"ConfigPath":"/opt/kata/share/defaults/kata-containers/configuration-fc.toml"}}`),
					},
				},
			},
			Files: []extensionsv1alpha1.File{{
				Path:        runscTomlPath,
				Permissions: new(uint32(0o644)),
				Content:     extensionsv1alpha1.FileContent{Inline: &extensionsv1alpha1.FileContentInline{Data: runscToml}},
			}},
		},
	}
}

// runtimeHandlers returns plugins."io.containerd.grpc.v1.cri".containerd.runtimes of a containerd config.
func runtimeHandlers(config []byte) map[string]any {
	GinkgoHelper()
	var tree map[string]any
	Expect(toml.Unmarshal(config, &tree)).To(Succeed())
	var node any = tree["plugins"]
	for _, key := range runtimesPath {
		Expect(node).To(HaveKey(key))
		node = node.(map[string]any)[key]
	}
	Expect(node).To(BeAssignableToTypeOf(map[string]any{}))
	return node.(map[string]any)
}

var _ = Describe("node truth", func() {
	var (
		ctx           context.Context
		defaultConfig []byte
		debugLogDir   string
		runscToml     string
		files         map[string][]byte
	)

	BeforeEach(func() {
		ctx = context.Background()

		var err error
		defaultConfig, err = nodetruth.ContainerdDefaultConfig(ctx)
		Expect(err).NotTo(HaveOccurred())

		debugLogDir = GinkgoT().TempDir()
		runscToml = "[runsc_config]\n" +
			"debug = \"true\"\n" +
			"debug-log = \"" + debugLogDir + "/%ID%/gvisor.%COMMAND%.log\"\n" +
			"net-raw = \"true\"\n"

		files, err = nodetruth.RenderContainerdConfig(ctx, sandboxOSC(runscToml), defaultConfig)
		Expect(err).NotTo(HaveOccurred())
	})

	Describe("gardener-node-agent", func() {
		It("renders the runtime handlers into config.toml", func() {
			Expect(files).To(HaveKey(nodetruth.ContainerdConfigFile))
			handlers := runtimeHandlers(files[nodetruth.ContainerdConfigFile])
			Expect(handlers).To(HaveKey("runc"), "node-agent keeps containerd's default handler")
			Expect(handlers).To(HaveKeyWithValue("runsc", HaveKeyWithValue("runtime_type", "io.containerd.runsc.v1")))
			Expect(handlers).To(HaveKeyWithValue("kata-qemu", HaveKeyWithValue("pod_annotations", ConsistOf("io.katacontainers.*"))))
			Expect(handlers).To(HaveKeyWithValue("kata-fc", HaveKeyWithValue("snapshotter", "devmapper")))
		})

		It("writes the OSC's files and containerd's drop-in", func() {
			Expect(files).To(HaveKeyWithValue(runscTomlPath, BeEquivalentTo(runscToml)))
			Expect(files).To(HaveKeyWithValue("/etc/systemd/system/containerd.service.d/30-env_config.conf", ContainSubstring("PATH=")))
		})

		It("refuses an OSC without containerd configuration", func() {
			osc := sandboxOSC(runscToml)
			osc.Spec.CRIConfig.Containerd = nil
			_, err := nodetruth.RenderContainerdConfig(ctx, osc, defaultConfig)
			Expect(err).To(MatchError(ContainSubstring("does not configure containerd")))
		})
	})

	Describe("containerd", func() {
		var configPath string

		BeforeEach(func() {
			configPath = filepath.Join(GinkgoT().TempDir(), "config.toml")
			Expect(os.WriteFile(configPath, files[nodetruth.ContainerdConfigFile], 0o600)).To(Succeed())
		})

		It("loads node-agent's config.toml with the runtime handlers and their options", func() {
			dump, err := nodetruth.ContainerdConfigDump(ctx, configPath)
			Expect(err).NotTo(HaveOccurred())

			handlers := runtimeHandlers(dump)
			Expect(handlers).To(HaveKeyWithValue("runsc", And(
				HaveKeyWithValue("runtime_type", "io.containerd.runsc.v1"),
				HaveKeyWithValue("options", Equal(map[string]any{
					"TypeUrl":    "io.containerd.runsc.v1.options",
					"ConfigPath": runscTomlPath,
				})),
			)))
			Expect(handlers).To(HaveKeyWithValue("kata-qemu", And(
				HaveKeyWithValue("runtime_type", "io.containerd.kata.v2"),
				HaveKeyWithValue("privileged_without_host_devices", true),
				HaveKeyWithValue("pod_annotations", ConsistOf("io.katacontainers.*")),
				HaveKeyWithValue("container_annotations", ConsistOf("io.katacontainers.*")),
				HaveKeyWithValue("options", HaveKeyWithValue("ConfigPath", "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml")),
			)))
			Expect(handlers).To(HaveKeyWithValue("kata-fc", And(
				HaveKeyWithValue("runtime_type", "io.containerd.kata-fc.v2"),
				HaveKeyWithValue("options", HaveKeyWithValue("ConfigPath", "/opt/kata/share/defaults/kata-containers/configuration-fc.toml")),
			)))
		})

		It("ignores only the per-handler snapshotter, which containerd 1.6 does not know", func() {
			dump, err := nodetruth.ContainerdConfigDump(ctx, configPath)
			Expect(err).NotTo(HaveOccurred())

			dropped, err := nodetruth.DroppedKeys(files[nodetruth.ContainerdConfigFile], dump)
			Expect(err).NotTo(HaveOccurred())
			Expect(dropped).To(ConsistOf(`plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata-fc.snapshotter`))
		})

		It("rejects invalid TOML and wrongly typed fields", func() {
			Expect(os.WriteFile(configPath, []byte("version = 2\n[plugins\n"), 0o600)).To(Succeed())
			_, err := nodetruth.ContainerdConfigDump(ctx, configPath)
			Expect(err).To(MatchError(ContainSubstring("failed to load TOML")))

			Expect(os.WriteFile(configPath, []byte("version = 2\n"+
				"[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc]\n"+
				"runtime_type = 42\n"), 0o600)).To(Succeed())
			_, err = nodetruth.ContainerdConfigDump(ctx, configPath)
			Expect(err).To(MatchError(ContainSubstring("Can't convert 42(int64) to string")))
		})
	})

	Describe("runsc", func() {
		It("accepts the flags of node-agent's runsc.toml", func() {
			flags, err := nodetruth.RunscConfigFlags(files[runscTomlPath])
			Expect(err).NotTo(HaveOccurred())
			Expect(flags).To(Equal([]string{
				"--debug=true",
				"--debug-log=" + debugLogDir + "/%ID%/gvisor.%COMMAND%.log",
				"--net-raw=true",
			}))

			Expect(nodetruth.RunscAccepts(ctx, flags)).To(Succeed())
			logs, err := filepath.Glob(filepath.Join(debugLogDir, "*", "gvisor.do.log"))
			Expect(err).NotTo(HaveOccurred())
			Expect(logs).NotTo(BeEmpty(), "runsc --debug-log wrote no log, so the flags did not take effect")
		})

		It("rejects unknown flags and bad values", func() {
			Expect(nodetruth.RunscAccepts(ctx, []string{"--no-such-flag=true"})).To(MatchError(ContainSubstring("flag provided but not defined: -no-such-flag")))
			Expect(nodetruth.RunscAccepts(ctx, []string{"--debug=maybe"})).To(MatchError(ContainSubstring(`invalid boolean value "maybe" for -debug`)))
		})

		It("rejects runsc.toml the shim cannot decode", func() {
			_, err := nodetruth.RunscConfigFlags([]byte("[runsc_config]\ndebug = true\n"))
			Expect(err).To(MatchError(ContainSubstring("cannot decode TOML boolean")))

			_, err = nodetruth.RunscConfigFlags([]byte("[runsc-config]\ndebug = \"true\"\n"))
			Expect(err).To(MatchError(ContainSubstring("runsc-config")))
		})
	})

	It("names the Debian package when a binary is missing", func() {
		GinkgoT().Setenv("PATH", GinkgoT().TempDir())

		_, err := nodetruth.ContainerdDefaultConfig(ctx)
		Expect(err).To(MatchError(ContainSubstring("apt-get install -y containerd")))
		Expect(nodetruth.RunscAccepts(ctx, nil)).To(MatchError(ContainSubstring("apt-get install -y runsc")))
	})
})
