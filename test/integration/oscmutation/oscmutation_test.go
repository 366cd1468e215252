package oscmutation_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/example"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

var nsCounter int

// shootNamespace creates a seed namespace with a Cluster whose Shoot is the sample with the given providerConfigs
// ("" keeps the sample's) and returns its name.
func shootNamespace(gvisorConfig, kataConfig string) string {
	nsCounter++
	name := fmt.Sprintf("shoot--it--osc%d", nsCounter)
	shoot, err := samples.Shoot()
	Expect(err).NotTo(HaveOccurred())
	if gvisorConfig != "" {
		shoot.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(gvisorConfig)}
	}
	if kataConfig != "" {
		shoot.Spec.Provider.Workers[1].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(kataConfig)}
	}
	cluster, err := samples.ClusterFor(name, shoot)
	Expect(err).NotTo(HaveOccurred())
	Expect(land.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	Expect(land.Client.Create(ctx, cluster)).To(Succeed())
	return name
}

func oscIn(namespace, name, pool string) *extensionsv1alpha1.OperatingSystemConfig {
	o := samples.OSC(name, pool)
	o.Namespace = namespace
	return o
}

// createEventually creates the OSC, retrying while the webhook's cache has not seen the Cluster yet.
func createEventually(o *extensionsv1alpha1.OperatingSystemConfig) {
	EventuallyWithOffset(1, func() error { return land.Client.Create(ctx, o.DeepCopy()) }).WithTimeout(30 * time.Second).Should(Succeed())
	ExpectWithOffset(1, land.Client.Get(ctx, client.ObjectKeyFromObject(o), o)).To(Succeed())
}

func plugin(o *extensionsv1alpha1.OperatingSystemConfig, path ...string) map[string]any {
	for _, p := range o.Spec.CRIConfig.Containerd.Plugins {
		if slices.Equal(p.Path, path) {
			out := map[string]any{}
			ExpectWithOffset(1, json.Unmarshal(p.Values.Raw, &out)).To(Succeed())
			return out
		}
	}
	return nil
}

func fileContent(o *extensionsv1alpha1.OperatingSystemConfig, path string) string {
	for _, f := range o.Spec.Files {
		if f.Path == path {
			data, err := base64.StdEncoding.DecodeString(f.Content.Inline.Data)
			ExpectWithOffset(1, err).NotTo(HaveOccurred())
			return string(data)
		}
	}
	return ""
}

func handlerPath(handler string) []string {
	return []string{"io.containerd.grpc.v1.cri", "containerd", "runtimes", handler}
}

const (
	gvisorAPI = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`
	kataAPI   = `"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"`
)

var _ = Describe("OperatingSystemConfig mutation through the real kube-apiserver", func() {
	It("adds the runsc handler and runsc.toml with net-raw and debug to a gVisor pool's OSC", func() {
		ns := shootNamespace(`{`+gvisorAPI+`,"configFlags":{"net-raw":"true","debug":"true"}}`, "")
		o := oscIn(ns, "gvisor-pool", "gvisor")
		createEventually(o)

		Expect(plugin(o, handlerPath("runsc")...)).To(Equal(map[string]any{
			"runtime_type":                    "io.containerd.runsc.v1",
			"privileged_without_host_devices": true,
			"options":                         map[string]any{"TypeUrl": "io.containerd.runsc.v1.options", "ConfigPath": "/etc/containerd/runsc.toml"},
		}))
		Expect(fileContent(o, "/etc/containerd/runsc.toml")).To(And(
			ContainSubstring("[runsc_config]"),
			ContainSubstring(`net-raw = 'true'`),
			ContainSubstring(`debug = 'true'`),
			ContainSubstring(`debug-log = '/var/log/runsc/%ID%/gvisor-%COMMAND%.log'`),
		))
		Expect(o.Spec.Files).To(ContainElement(HaveField("Path", "/etc/motd")))
	})

	It("adds the Kata handlers, their configuration files, the devmapper snapshotter's table, its setup script and unit to a Firecracker pool's OSC", func() {
		ns := shootNamespace("", `{`+kataAPI+`,"hypervisors":["qemu","fc"]}`)
		o := oscIn(ns, "kata-pool", "kata")
		createEventually(o)

		Expect(plugin(o, handlerPath("kata-qemu")...)).To(HaveKeyWithValue("runtime_type", "io.containerd.kata.v2"))
		Expect(plugin(o, handlerPath("kata-clh")...)).To(BeNil())
		Expect(plugin(o, handlerPath("kata-fc")...)).To(And(
			HaveKeyWithValue("snapshotter", "devmapper"),
			HaveKeyWithValue("pod_annotations", ConsistOf(
				"io.katacontainers.config.hypervisor.default_vcpus", "io.katacontainers.config.hypervisor.default_memory",
				"io.katacontainers.config.agent.container_pipe_size", "io.katacontainers.config.runtime.create_container_timeout")),
			HaveKeyWithValue("options", HaveKeyWithValue("ConfigPath", "/var/bin/containerruntimes/kata/configuration-fc.toml")),
		))
		Expect(fileContent(o, "/var/bin/containerruntimes/kata/configuration-qemu.toml")).To(ContainSubstring("[hypervisor.qemu]"))
		Expect(fileContent(o, "/var/bin/containerruntimes/kata/configuration-fc.toml")).To(And(
			ContainSubstring("[hypervisor.firecracker]"),
			ContainSubstring("path = '/var/bin/containerruntimes/kata/3.29.0/bin/firecracker'"),
		))
		// The snapshotter's table is not in containerd's main configuration: the setup unit hands it to containerd
		// once the thin-pool exists.
		Expect(plugin(o, "io.containerd.snapshotter.v1.devmapper")).To(BeNil())
		Expect(fileContent(o, "/opt/runtime-sandbox/etc/containerd-devmapper.toml")).To(ContainSubstring("pool_name = 'containerd-pool'"))
		Expect(fileContent(o, "/opt/runtime-sandbox/bin/devmapper-setup.sh")).To(ContainSubstring("thin-pool"))
		Expect(o.Spec.Units).To(ContainElement(And(
			HaveField("Name", "runtime-sandbox-devmapper.service"),
			HaveField("Content", PointTo(ContainSubstring("Before=containerd.service"))),
		)))
	})

	It("drops the devmapper table an earlier version put into containerd's main configuration, whoever updates the OSC", func() {
		ns := shootNamespace("", `{`+kataAPI+`,"hypervisors":["qemu","fc"]}`)
		o := oscIn(ns, "kata-upgrade", "kata")
		createEventually(o)

		// The OSC as the earlier version left it: its table among the plugins. An update that keeps what the OSC
		// has (not gardenlet's, which writes the containerd configuration anew) reaches the webhook with it.
		op := extensionsv1alpha1.AddPluginPathOperation
		earlier := extensionsv1alpha1.PluginConfig{Op: &op, Path: []string{"io.containerd.snapshotter.v1.devmapper"}, Values: &apiextensionsv1.JSON{Raw: []byte(
			`{"root_path":"/var/lib/containerd/io.containerd.snapshotter.v1.devmapper","pool_name":"containerd-pool","base_image_size":"10GB","discard_blocks":true}`)}}
		patch := client.MergeFrom(o.DeepCopy())
		o.Spec.CRIConfig.Containerd.Plugins = append(o.Spec.CRIConfig.Containerd.Plugins, earlier)
		Expect(land.Client.Patch(ctx, o, patch)).To(Succeed())
		Expect(handlerNames(o)).To(Equal([]string{"kata-qemu", "kata-fc"}))

		// The pool no longer has Firecracker; gardenlet's next reconciliation writes the OSC's spec as it renders it.
		cluster := &extensionsv1alpha1.Cluster{}
		Expect(land.Client.Get(ctx, client.ObjectKey{Name: ns}, cluster)).To(Succeed())
		shoot := &gardencorev1beta1.Shoot{}
		Expect(json.Unmarshal(cluster.Spec.Shoot.Raw, shoot)).To(Succeed())
		shoot.Spec.Provider.Workers[1].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(`{` + kataAPI + `,"hypervisors":["qemu"]}`)}
		updated, err := samples.ClusterFor(ns, shoot)
		Expect(err).NotTo(HaveOccurred())
		cluster.Spec = updated.Spec
		Expect(land.Client.Update(ctx, cluster)).To(Succeed())
		Eventually(func(g Gomega) {
			patch := client.MergeFrom(o.DeepCopy())
			o.Spec = oscIn(ns, "kata-upgrade", "kata").Spec
			metav1.SetMetaDataAnnotation(&o.ObjectMeta, "gardener.cloud/operation", "reconcile")
			g.Expect(land.Client.Patch(ctx, o, patch)).To(Succeed())
			g.Expect(handlerNames(o)).To(Equal([]string{"kata-qemu"}))
		}).WithTimeout(30 * time.Second).Should(Succeed())
		Expect(o.Spec.Files).NotTo(ContainElement(HaveField("Path", HavePrefix("/opt/runtime-sandbox/"))))
		Expect(o.Spec.Units).NotTo(ContainElement(HaveField("Name", "runtime-sandbox-devmapper.service")))
	})

	It("stores the OSC of a pool without sandbox runtimes unchanged", func() {
		o := oscIn(samples.ShootNamespace, "plain-pool", "plain")
		sent := o.DeepCopy()
		Expect(land.Client.Create(ctx, o)).To(Succeed())
		Expect(o.Spec).To(Equal(sent.Spec))
	})

	It("leaves a provision OSC unchanged", func() {
		o := oscIn(samples.ShootNamespace, "gvisor-provision", "gvisor")
		o.Spec.Purpose = extensionsv1alpha1.OperatingSystemConfigPurposeProvision
		sent := o.DeepCopy()
		Expect(land.Client.Create(ctx, o)).To(Succeed())
		Expect(o.Spec).To(Equal(sent.Spec))
	})

	It("is idempotent: updating a mutated OSC adds nothing twice", func() {
		o := oscIn(samples.ShootNamespace, "gvisor-idempotent", "gvisor")
		createEventually(o)
		first := o.Spec.DeepCopy()

		// A spec change (a metadata-only one never reaches the webhook) of an already mutated OSC.
		patch := client.MergeFrom(o.DeepCopy())
		o.Spec.Files[0].Content.Inline.Data = "sandbox pool, again"
		Expect(land.Client.Patch(ctx, o, patch)).To(Succeed())
		first.Files[0].Content.Inline.Data = "sandbox pool, again"
		Expect(o.Spec).To(Equal(*first))
	})

	It("changes runsc.toml when the pool's flags change", func() {
		ns := shootNamespace(`{`+gvisorAPI+`,"configFlags":{"net-raw":"false"}}`, "")
		o := oscIn(ns, "gvisor-flags", "gvisor")
		createEventually(o)
		Expect(fileContent(o, "/etc/containerd/runsc.toml")).To(ContainSubstring(`net-raw = 'false'`))

		cluster := &extensionsv1alpha1.Cluster{}
		Expect(land.Client.Get(ctx, client.ObjectKey{Name: ns}, cluster)).To(Succeed())
		shoot := &gardencorev1beta1.Shoot{}
		Expect(json.Unmarshal(cluster.Spec.Shoot.Raw, shoot)).To(Succeed())
		shoot.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(`{` + gvisorAPI + `,"configFlags":{"net-raw":"true"}}`)}
		updated, err := samples.ClusterFor(ns, shoot)
		Expect(err).NotTo(HaveOccurred())
		cluster.Spec = updated.Spec
		Expect(land.Client.Update(ctx, cluster)).To(Succeed())

		// gardenlet's next reconciliation writes the OSC's spec as it renders it, without what the webhook added.
		Eventually(func(g Gomega) {
			patch := client.MergeFrom(o.DeepCopy())
			o.Spec = oscIn(ns, "gvisor-flags", "gvisor").Spec
			metav1.SetMetaDataAnnotation(&o.ObjectMeta, "gardener.cloud/operation", "reconcile")
			g.Expect(land.Client.Patch(ctx, o, patch)).To(Succeed())
			g.Expect(fileContent(o, "/etc/containerd/runsc.toml")).To(ContainSubstring(`net-raw = 'true'`))
		}).WithTimeout(30 * time.Second).Should(Succeed())
	})

	It("refuses the OSC of a pool whose providerConfig is invalid, naming the pool and the field", func() {
		// A flag value of the wrong type: gardener-extension-runtime-gvisor failed on it too, so nothing is applied.
		ns := shootNamespace(`{`+gvisorAPI+`,"configFlags":{"foo":"true","debug":true}}`, "")
		o := oscIn(ns, "gvisor-invalid", "gvisor")
		Eventually(func() error { return land.Client.Create(ctx, o.DeepCopy()) }).WithTimeout(30 * time.Second).Should(MatchError(And(
			ContainSubstring(`worker pool "gvisor"`),
			ContainSubstring(`spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[foo]`),
		)))
	})
})

var _ = Describe("The example OSCs in the sample Shoot's namespace", func() {
	exampleOSC := func(file string) *extensionsv1alpha1.OperatingSystemConfig {
		data, err := fs.ReadFile(example.Manifests, file)
		Expect(err).NotTo(HaveOccurred())
		objs, err := landscape.DecodeManifest(data)
		Expect(err).NotTo(HaveOccurred())
		Expect(objs).To(HaveLen(1))
		o := &extensionsv1alpha1.OperatingSystemConfig{}
		Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(objs[0].Object, o)).To(Succeed())
		return o
	}

	It("stores example/osc-gvisor.yaml with the runsc handler and the flags of example/shoot.yaml", func() {
		o := exampleOSC("osc-gvisor.yaml")
		createEventually(o)
		Expect(plugin(o, handlerPath("runsc")...)).To(HaveKeyWithValue("runtime_type", "io.containerd.runsc.v1"))
		Expect(fileContent(o, "/etc/containerd/runsc.toml")).To(And(
			ContainSubstring(`net-raw = 'true'`), ContainSubstring(`debug = 'true'`), ContainSubstring(`debug-log = `)))
	})

	It("stores example/osc-kata.yaml with kata-qemu, kata-fc and the devmapper setup", func() {
		o := exampleOSC("osc-kata.yaml")
		createEventually(o)
		Expect(handlerNames(o)).To(Equal([]string{"kata-qemu", "kata-fc"}))
		Expect(o.Spec.Files).To(ContainElements(
			HaveField("Path", "/opt/runtime-sandbox/bin/devmapper-setup.sh"),
			HaveField("Path", "/opt/runtime-sandbox/etc/containerd-devmapper.toml"),
			HaveField("Path", "/var/bin/containerruntimes/kata/configuration-qemu.toml"),
			HaveField("Path", "/var/bin/containerruntimes/kata/configuration-fc.toml"),
		))
		Expect(o.Spec.Units).To(ContainElement(HaveField("Name", "runtime-sandbox-devmapper.service")))
	})

	It("stores example/osc-plain.yaml unchanged", func() {
		o := exampleOSC("osc-plain.yaml")
		sent := o.DeepCopy()
		Expect(land.Client.Create(ctx, o)).To(Succeed())
		Expect(o.Spec).To(Equal(sent.Spec))
	})
})

func handlerNames(o *extensionsv1alpha1.OperatingSystemConfig) []string {
	var out []string
	for _, p := range o.Spec.CRIConfig.Containerd.Plugins {
		out = append(out, p.Path[len(p.Path)-1])
	}
	return out
}
