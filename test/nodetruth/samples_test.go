package nodetruth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	gvisorv1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	katav1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/mutators/osc"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
	examples "github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// sample is a worker pool's container runtimes; the checks run it through the extension's real OSC mutation.
type sample struct {
	name     string
	runtimes []gardencorev1beta1.ContainerRuntime
	// gvisorFlags are the configFlags of a gVisor sample's providerConfig.
	gvisorFlags map[string]string
}

func gvisorRuntime(flags map[string]string) gardencorev1beta1.ContainerRuntime {
	cr := gardencorev1beta1.ContainerRuntime{Type: gvisor.Type}
	if flags != nil {
		raw, err := json.Marshal(map[string]any{
			"apiVersion":  gvisorv1alpha1.SchemeGroupVersion.String(),
			"kind":        "GVisorConfiguration",
			"configFlags": flags,
		})
		if err != nil {
			panic(err)
		}
		cr.ProviderConfig = &runtime.RawExtension{Raw: raw}
	}
	return cr
}

func kataRuntime(hypervisors ...katav1alpha1.Hypervisor) gardencorev1beta1.ContainerRuntime {
	cr := gardencorev1beta1.ContainerRuntime{Type: kata.Type}
	if hypervisors != nil {
		raw, err := json.Marshal(map[string]any{
			"apiVersion":  katav1alpha1.SchemeGroupVersion.String(),
			"kind":        "KataConfiguration",
			"hypervisors": hypervisors,
		})
		if err != nil {
			panic(err)
		}
		cr.ProviderConfig = &runtime.RawExtension{Raw: raw}
	}
	return cr
}

const (
	qemu = katav1alpha1.HypervisorQEMU
	clh  = katav1alpha1.HypervisorCloudHypervisor
	fc   = katav1alpha1.HypervisorFirecracker
)

// gvisorFlagSamples are gVisor's flag combinations: none, each allowed flag alone, all on (panic-signal set), all
// off.
var gvisorFlagSamples = []map[string]string{
	nil,
	{gvisorv1alpha1.FlagDebug: "true"},
	{gvisorv1alpha1.FlagNetRaw: "true"},
	{gvisorv1alpha1.FlagNvproxy: "true"},
	{gvisorv1alpha1.FlagPanicSignal: "12"},
	{gvisorv1alpha1.FlagDebug: "true", gvisorv1alpha1.FlagNetRaw: "true", gvisorv1alpha1.FlagNvproxy: "true", gvisorv1alpha1.FlagPanicSignal: "10"},
	{gvisorv1alpha1.FlagDebug: "false", gvisorv1alpha1.FlagNetRaw: "false", gvisorv1alpha1.FlagNvproxy: "false"},
}

// kataHypervisorSamples are Kata's hypervisor sets: the default ([qemu, clh]) and every other non-empty subset.
var kataHypervisorSamples = [][]katav1alpha1.Hypervisor{nil, {qemu}, {clh}, {fc}, {qemu, fc}, {clh, fc}, {qemu, clh, fc}}

// bothRuntimes is a pool with gVisor (debug) and Kata on every hypervisor: every handler, file and unit the mutation
// can add at once.
var bothRuntimes = sample{
	name:        "gVisor (debug) and Kata (qemu, clh, fc) in one pool",
	runtimes:    []gardencorev1beta1.ContainerRuntime{gvisorRuntime(map[string]string{gvisorv1alpha1.FlagDebug: "true"}), kataRuntime(qemu, clh, fc)},
	gvisorFlags: map[string]string{gvisorv1alpha1.FlagDebug: "true"},
}

func samples() []sample {
	var out []sample
	for _, flags := range gvisorFlagSamples {
		name := "gVisor without providerConfig"
		if flags != nil {
			var set []string
			for _, f := range slices.Sorted(maps.Keys(flags)) {
				set = append(set, f+"="+flags[f])
			}
			name = "gVisor " + strings.Join(set, ",")
		}
		out = append(out, sample{name: name, runtimes: []gardencorev1beta1.ContainerRuntime{gvisorRuntime(flags)}, gvisorFlags: flags})
	}
	for _, hypervisors := range kataHypervisorSamples {
		name := "Kata without providerConfig"
		if hypervisors != nil {
			name = fmt.Sprintf("Kata %v", hypervisors)
		}
		out = append(out, sample{name: name, runtimes: []gardencorev1beta1.ContainerRuntime{kataRuntime(hypervisors...)}})
	}
	return append(out, bothRuntimes)
}

const samplePool = "nodetruth"

// shootFor returns the sample Shoot (example/shoot.yaml) with one worker pool that has s's runtimes.
func shootFor(s sample) *gardencorev1beta1.Shoot {
	GinkgoHelper()
	shoot, err := examples.Shoot()
	Expect(err).NotTo(HaveOccurred())
	pool := shoot.Spec.Provider.Workers[0]
	pool.Name = samplePool
	pool.CRI = &gardencorev1beta1.CRI{Name: gardencorev1beta1.CRINameContainerD, ContainerRuntimes: s.runtimes}
	shoot.Spec.Provider.Workers = []gardencorev1beta1.Worker{pool}
	return shoot
}

// mutatedOSC is the OSC of s's pool as gardenlet creates it (samples.OSC) after the extension's OSC webhook
// mutated it: osc.Mutate with every runtime the seed component serves, as webhooks/oscmutator does.
func mutatedOSC(s sample) *extensionsv1alpha1.OperatingSystemConfig {
	GinkgoHelper()
	shoot := shootFor(s)
	o := examples.OSC("worker-"+samplePool, samplePool)
	for _, rt := range runtimes.All() {
		Expect(osc.Mutate(o, shoot, rt)).To(Succeed())
	}
	Expect(o.Spec.CRIConfig.Containerd.Plugins).NotTo(BeEmpty())
	return o
}

// offeredHandlers returns the containerd runtime handlers the RuntimeClasses of s's pool name.
func offeredHandlers(s sample) []string {
	var out []string
	for _, rc := range runtimes.OfferedClasses(shootFor(s)) {
		out = append(out, rc.Handler)
	}
	return out
}

// handlerValues returns the values the mutated OSC gives each runtime handler (its plugin entries below
// containerd.runtimes), decoded from JSON.
func handlerValues(o *extensionsv1alpha1.OperatingSystemConfig) map[string]map[string]any {
	GinkgoHelper()
	out := map[string]map[string]any{}
	for _, p := range o.Spec.CRIConfig.Containerd.Plugins {
		if len(p.Path) == 4 && p.Path[1] == "containerd" && p.Path[2] == "runtimes" {
			var values map[string]any
			Expect(json.Unmarshal(p.Values.Raw, &values)).To(Succeed())
			out[p.Path[3]] = values
		}
	}
	return out
}

// containerds are the containerd releases every sample is loaded by: the one Gardener nodes are leaving (Debian's
// 1.6, config version 2) and the ones they run today, built from the containerd Go module (config versions 3 and 4).
var containerds = []nodetruth.Containerd{
	nodetruth.DebianContainerd(),
	nodetruth.ModuleContainerd("2.2"),
	nodetruth.ModuleContainerd("2.4"),
}

// rendered is a sample's OSC as gardener-node-agent applied it on a node of one containerd release.
type rendered struct {
	containerd nodetruth.Containerd
	version    string
	files      map[string][]byte
	node       *nodetruth.Node
}

// render runs o through gardener-node-agent on a new node of containerd c: its config.toml is c's `config
// default`, its fake containerd client reports c's version.
func render(ctx context.Context, c nodetruth.Containerd, o *extensionsv1alpha1.OperatingSystemConfig) *rendered {
	GinkgoHelper()
	defaultConfig, err := c.DefaultConfig(ctx)
	Expect(err).NotTo(HaveOccurred())
	return renderOn(ctx, c, o, defaultConfig)
}

// renderOn is render on a node whose config.toml is config.
func renderOn(ctx context.Context, c nodetruth.Containerd, o *extensionsv1alpha1.OperatingSystemConfig, config []byte) *rendered {
	GinkgoHelper()
	version, err := c.Version(ctx)
	Expect(err).NotTo(HaveOccurred())
	files, err := nodetruth.RenderContainerdConfig(ctx, o, config, version)
	Expect(err).NotTo(HaveOccurred())
	node, err := nodetruth.NewNode(nodeDir(), files)
	Expect(err).NotTo(HaveOccurred())
	return &rendered{containerd: c, version: version, files: files, node: node}
}

// nodeDir returns a new directory for a node. Short, for unix socket paths below it.
func nodeDir() string {
	GinkgoHelper()
	dir, err := os.MkdirTemp("", "nt-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir)
	return filepath.Clean(dir)
}
