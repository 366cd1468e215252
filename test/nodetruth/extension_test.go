package nodetruth_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/pelletier/go-toml/v2"
	"k8s.io/apimachinery/pkg/runtime"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/mutators/osc"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
)

// mutatedOSC is the OSC of the sample Shoot's pool as the extension's mutation leaves it, with the given
// providerConfig for the pool's runtime ("" keeps the sample's).
func mutatedOSC(poolName, providerConfig string) *extensionsv1alpha1.OperatingSystemConfig {
	GinkgoHelper()
	shoot, err := landscape.SampleShoot()
	Expect(err).NotTo(HaveOccurred())
	var pool *gardencorev1beta1.Worker
	for i := range shoot.Spec.Provider.Workers {
		if shoot.Spec.Provider.Workers[i].Name == poolName {
			pool = &shoot.Spec.Provider.Workers[i]
		}
	}
	Expect(pool).NotTo(BeNil())
	if providerConfig != "" {
		pool.CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(providerConfig)}
	}
	o := landscape.SampleOSC("worker-"+poolName, poolName)
	Expect(osc.Mutate(o, shoot, gvisor.New())).To(Succeed())
	Expect(osc.Mutate(o, shoot, kata.New())).To(Succeed())
	Expect(o.Spec.CRIConfig.Containerd.Plugins).NotTo(BeEmpty())
	return o
}

// loadInContainerd renders the OSC with node-agent and loads the result with containerd config dump.
func loadInContainerd(ctx context.Context, o *extensionsv1alpha1.OperatingSystemConfig) (files map[string][]byte, dump []byte) {
	GinkgoHelper()
	defaultConfig, err := nodetruth.ContainerdDefaultConfig(ctx)
	Expect(err).NotTo(HaveOccurred())
	files, err = nodetruth.RenderContainerdConfig(ctx, o, defaultConfig)
	Expect(err).NotTo(HaveOccurred())
	configPath := filepath.Join(GinkgoT().TempDir(), "config.toml")
	Expect(os.WriteFile(configPath, files[nodetruth.ContainerdConfigFile], 0o600)).To(Succeed())
	dump, err = nodetruth.ContainerdConfigDump(ctx, configPath)
	Expect(err).NotTo(HaveOccurred())
	return files, dump
}

// redirectDebugLog points a --debug-log flag to dir, so that the check does not write to the host's /var/log.
func redirectDebugLog(flags []string, dir string) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if strings.HasPrefix(f, "--debug-log=") {
			f = "--debug-log=" + dir + "/"
		}
		out = append(out, f)
	}
	return out
}

const gvisorAPI = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`

var _ = Describe("the extension's OSC mutation on a node", func() {
	ctx := context.Background()

	It("gVisor: containerd loads the runsc handler and runsc accepts every flag of runsc.toml", func() {
		files, dump := loadInContainerd(ctx, mutatedOSC("gvisor", ""))
		Expect(runtimeHandlers(dump)).To(HaveKeyWithValue("runsc", And(
			HaveKeyWithValue("runtime_type", gvisor.RuntimeType),
			HaveKeyWithValue("options", Equal(map[string]any{"TypeUrl": gvisor.RuntimeType + ".options", "ConfigPath": gvisor.ConfigPath})),
			// containerd reads it: a privileged pod in the sandbox gets no host devices.
			HaveKeyWithValue("privileged_without_host_devices", true),
		)))

		flags, err := nodetruth.RunscConfigFlags(files[gvisor.ConfigPath])
		Expect(err).NotTo(HaveOccurred())
		Expect(flags).To(Equal([]string{"--debug=true", "--debug-log=" + gvisor.DebugLog, "--net-raw=true"}))

		logDir := GinkgoT().TempDir()
		Expect(nodetruth.RunscAccepts(ctx, redirectDebugLog(flags, logDir))).To(Succeed())
		logs, err := filepath.Glob(filepath.Join(logDir, "*"))
		Expect(err).NotTo(HaveOccurred())
		Expect(logs).NotTo(BeEmpty(), "runsc wrote no debug log, so the debug flags did not take effect")
	})

	It("gVisor nvproxy: the Debian runsc of 2022 lacks the flag, runsc built from the gVisor module parses it", func() {
		files, _ := loadInContainerd(ctx, mutatedOSC("gvisor", `{`+gvisorAPI+`,"configFlags":{"nvproxy":"true","net-raw":"false"}}`))
		flags, err := nodetruth.RunscConfigFlags(files[gvisor.ConfigPath])
		Expect(err).NotTo(HaveOccurred())
		Expect(flags).To(Equal([]string{"--net-raw=false", "--nvproxy=true"}))

		Expect(nodetruth.RunscAccepts(ctx, flags)).To(MatchError(ContainSubstring("flag provided but not defined: -nvproxy")))
		// Without a GPU driver on this machine, nvproxy needs a driver version to start a sandbox at all.
		Expect(nodetruth.ModuleRunscAccepts(ctx, append(flags, "--nvproxy-driver-version=latest"))).To(Succeed())
	})

	It("Kata with Firecracker: containerd loads the handlers and the devmapper snapshotter", func() {
		files, dump := loadInContainerd(ctx, mutatedOSC("kata", ""))
		handlers := runtimeHandlers(dump)
		for _, h := range []string{"kata-qemu", "kata-fc"} {
			Expect(handlers).To(HaveKeyWithValue(h, And(
				HaveKeyWithValue("runtime_type", kata.RuntimeType),
				HaveKeyWithValue("privileged_without_host_devices", true),
				HaveKeyWithValue("pod_annotations", ConsistOf(kata.AnnotationPassthrough)),
				HaveKeyWithValue("container_annotations", ConsistOf(kata.AnnotationPassthrough)),
			)), h)
		}
		Expect(handlers).NotTo(HaveKey("kata-clh"))

		var tree map[string]any
		Expect(toml.Unmarshal(dump, &tree)).To(Succeed())
		Expect(tree["plugins"]).To(HaveKeyWithValue(kata.DevmapperPluginName, And(
			HaveKeyWithValue("pool_name", kata.DevmapperPoolName),
			HaveKeyWithValue("root_path", kata.DevmapperRootPath),
		)))

		// containerd 1.6 drops the per-handler snapshotter (containerd 1.7 reads it); nothing else is ignored.
		dropped, err := nodetruth.DroppedKeys(files[nodetruth.ContainerdConfigFile], dump)
		Expect(err).NotTo(HaveOccurred())
		Expect(dropped).To(ConsistOf(`plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata-fc.snapshotter`))

		Expect(files).To(HaveKeyWithValue(kata.DevmapperSetupScriptPath, ContainSubstring("dmsetup create")))
	})
})
