package nodetruth_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	gvisorv1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	katav1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
)

const (
	helloImage   = "nodetruth.local/hello:1"
	helloMessage = "hello from a runsc pod"
)

// imageArchives are the OCI archives of the pause image the OSC names and of the hello image, both with the static
// binary of testdata/sandboxed, built once.
var imageArchives []string

// imagesDir holds imageArchives; the suite removes it at its end.
var imagesDir string

var _ = AfterSuite(func() {
	if imagesDir != "" {
		Expect(os.RemoveAll(imagesDir)).To(Succeed())
	}
})

func buildImages(ctx context.Context, sandboxImage string) []string {
	GinkgoHelper()
	if imageArchives != nil {
		return imageArchives
	}
	dir, err := os.MkdirTemp("", "nodetruth-images-")
	Expect(err).NotTo(HaveOccurred())
	imagesDir = dir
	binary := filepath.Join(dir, "sandboxed")
	Expect(nodetruth.BuildStatic(ctx, "./testdata/sandboxed", binary)).To(Succeed())
	content, err := os.ReadFile(binary)
	Expect(err).NotTo(HaveOccurred())
	for _, img := range []nodetruth.Image{
		{Name: sandboxImage, Files: map[string][]byte{"/pause": content}, Entrypoint: []string{"/pause"}},
		{Name: helloImage, Files: map[string][]byte{"/hello": content}, Entrypoint: []string{"/hello", helloMessage}},
	} {
		archive := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(img.Name)+".tar")
		Expect(nodetruth.WriteOCIImage(archive, img)).To(Succeed())
		imageArchives = append(imageArchives, archive)
	}
	return imageArchives
}

func hostKernel() string {
	GinkgoHelper()
	var uts unix.Utsname
	Expect(unix.Uname(&uts)).To(Succeed())
	return unix.ByteSliceToString(uts.Release[:])
}

// capSysResource reports whether this process has CAP_SYS_RESOURCE, which lowering a process's oom_score_adj below
// 0 needs.
func capSysResource() bool {
	GinkgoHelper()
	status, err := os.ReadFile("/proc/self/status")
	Expect(err).NotTo(HaveOccurred())
	for line := range strings.Lines(string(status)) {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			Expect(err).NotTo(HaveOccurred())
			return caps&(1<<unix.CAP_SYS_RESOURCE) != 0
		}
	}
	Fail("/proc/self/status has no CapEff")
	return false
}

// gvisorAndKata is a pool with gVisor (debug) and Kata on QEMU and Cloud Hypervisor: every handler whose node
// needs nothing but containerd's own plugins.
var gvisorAndKata = sample{
	name:        "gVisor (debug) and Kata (qemu, clh) in one pool",
	runtimes:    []gardencorev1beta1.ContainerRuntime{gvisorRuntime(map[string]string{gvisorv1alpha1.FlagDebug: "true"}), kataRuntime(qemu, clh)},
	gvisorFlags: map[string]string{gvisorv1alpha1.FlagDebug: "true"},
}

// startOn renders s's mutated OSC on a new node of containerd c whose binary path holds the gVisor payload, starts
// containerd there and imports the images. Its cleanup stops containerd.
func startOn(ctx context.Context, c nodetruth.Containerd, s sample) *nodetruth.RunningContainerd {
	GinkgoHelper()
	o := mutatedOSC(s)
	r := render(ctx, c, o)
	var err error
	r.node.BinaryPath, err = nodetruth.GVisorPayloadDir()
	Expect(err).NotTo(HaveOccurred())
	running, err := c.Start(ctx, r.node, time.Minute)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		Expect(running.Stop()).To(Succeed())
	})
	return running
}

func expectHandlersServed(status *nodetruth.CRIStatus, configVersion int, kataHandlers ...string) {
	GinkgoHelper()
	Expect(status.Conditions).To(HaveKeyWithValue(runtimeapi.RuntimeReady, "True"))
	Expect(status.Handlers).To(HaveKeyWithValue(gvisor.Handler, And(
		HaveField("RuntimeType", gvisor.RuntimeType),
		HaveField("PrivilegedWithoutHostDevices", true),
		HaveField("Options", Equal(map[string]any{"TypeUrl": gvisor.RuntimeType + ".options", "ConfigPath": gvisor.ConfigPath})),
	)))
	for _, h := range kataHandlers {
		Expect(status.Handlers).To(HaveKeyWithValue(h, And(
			HaveField("RuntimeType", kata.RuntimeType),
			HaveField("PrivilegedWithoutHostDevices", true),
			HaveField("PodAnnotations", ConsistOf(kata.AllowedAnnotations())),
			HaveField("ContainerAnnotations", ConsistOf(kata.AllowedAnnotations())),
			HaveField("Options", HaveKeyWithValue("ConfigPath", kata.ConfigPath(katav1alpha1.Hypervisor(strings.TrimPrefix(h, "kata-"))))),
		)), h)
	}
	if configVersion >= 3 {
		Expect(status.ListedHandlers).To(ContainElements(append([]string{gvisor.Handler}, kataHandlers...)))
	} else {
		// containerd 1.6 lists no handlers in the status.
		Expect(status.ListedHandlers).To(BeEmpty())
	}
}

var _ = Describe("a running containerd with the mutated OSC", func() {
	ctx := context.Background()

	for _, c := range containerds {
		Describe(c.Name+", "+gvisorAndKata.name, Ordered, func() {
			var running *nodetruth.RunningContainerd

			BeforeAll(func() {
				running = startOn(ctx, c, gvisorAndKata)
				for _, archive := range buildImages(ctx, mutatedOSC(gvisorAndKata).Spec.CRIConfig.Containerd.SandboxImage) {
					Expect(running.ImportImage(ctx, archive)).To(Succeed())
				}
			})

			It("serves the runtime handlers with the extension's options over its CRI socket", func() {
				status, err := running.Status(ctx)
				Expect(err).NotTo(HaveOccurred())
				expectHandlersServed(status, configVersions[c.Name], "kata-qemu", "kata-clh")
			})

			It("runs a pod sandbox with the runsc handler and a container in it that prints a line", func() {
				sandboxConfig := &runtimeapi.PodSandboxConfig{
					Metadata:     &runtimeapi.PodSandboxMetadata{Name: "hello", Namespace: "nodetruth", Uid: "nodetruth-hello"},
					Hostname:     "hello",
					LogDirectory: "/var/log/pods/nodetruth_hello_nodetruth-hello",
					Linux: &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
						// No CNI on this machine: the pod uses the node's network namespace, which gVisor does not
						// share with the sandbox (runsc gives it its own network stack).
						NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE},
					}},
				}
				run := func(handler string) (*runtimeapi.RunPodSandboxResponse, error) {
					return running.Runtime.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: sandboxConfig, RuntimeHandler: handler})
				}

				// containerd finds Kata's shim nowhere: the binary path holds only the gVisor payload.
				_, err := run("kata-qemu")
				Expect(err).To(MatchError(ContainSubstring(`binary not installed "containerd-shim-kata-v2"`)))

				pod, err := run(gvisor.Handler)
				if !capSysResource() {
					// What stops the pod on a machine whose root lacks CAP_SYS_RESOURCE (this test machine's capability
					// bounding set has it cleared): gVisor's shim, which containerd found on the binary path and
					// started, sets its own oom_score_adj to -999, which needs that capability, and gives up.
					Expect(err).To(MatchError(MatchRegexp(`io\.containerd\.runsc\.v1: failed to set OOM Score on shim: write /proc/\d+/oom_score_adj: permission denied`)))
					return
				}
				Expect(err).NotTo(HaveOccurred(), "containerd's log:\n%s", running.Log())
				DeferCleanup(func() {
					_, err := running.Runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod.PodSandboxId})
					Expect(err).NotTo(HaveOccurred())
					_, err = running.Runtime.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod.PodSandboxId})
					Expect(err).NotTo(HaveOccurred())
				})

				container, err := running.Runtime.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
					PodSandboxId: pod.PodSandboxId,
					Config: &runtimeapi.ContainerConfig{
						Metadata: &runtimeapi.ContainerMetadata{Name: "hello"},
						Image:    &runtimeapi.ImageSpec{Image: helloImage},
						LogPath:  "hello/0.log",
					},
					SandboxConfig: sandboxConfig,
				})
				Expect(err).NotTo(HaveOccurred(), "containerd's log:\n%s", running.Log())
				_, err = running.Runtime.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: container.ContainerId})
				Expect(err).NotTo(HaveOccurred(), "containerd's log:\n%s", running.Log())

				Eventually(ctx, func(g Gomega) {
					s, err := running.Runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: container.ContainerId})
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(s.Status.State).To(Equal(runtimeapi.ContainerState_CONTAINER_EXITED))
					g.Expect(s.Status.ExitCode).To(BeZero())
				}).WithTimeout(2 * time.Minute).Should(Succeed())

				log, err := running.Node.ReadFile(sandboxConfig.LogDirectory + "/hello/0.log")
				Expect(err).NotTo(HaveOccurred())
				// The line comes from gVisor's kernel, not the host's.
				Expect(string(log)).To(ContainSubstring(" stdout F " + helloMessage + " (kernel Linux "))
				Expect(string(log)).NotTo(ContainSubstring(hostKernel()))
			})
		})

		It(c.Name+", "+bothRuntimes.name+", on a node without a devmapper thin-pool: serves every handler, only kata-fc cannot run", func() {
			// This machine's kernel has no device-mapper (opening /dev/mapper/control fails with ENODEV), like a node
			// whose thin-pool setup failed or has not run: the setup script handed no plugin table to containerd, and
			// the mutation puts none into containerd's main configuration. containerd does not start the devmapper
			// snapshotter; on containerd 2.x that snapshotter without a pool failed the metadata plugin and the CRI
			// with it, so that no pod of any handler could start on the node.
			running := startOn(ctx, c, bothRuntimes)
			Expect(running.Log()).NotTo(ContainSubstring("initializing pool device"))
			Expect(running.Log()).NotTo(ContainSubstring(devmapperFailure(c)))
			status, err := running.Status(ctx)
			Expect(err).NotTo(HaveOccurred(), "containerd's log:\n%s", running.Log())
			version := configVersions[c.Name]
			expectHandlersServed(status, version, "kata-qemu", "kata-clh", "kata-fc")
			if version >= 3 {
				// kata-fc keeps its snapshotter: its pods fail on this node (devmapper_test.go runs one), and only they.
				Expect(status.Handlers).To(HaveKeyWithValue("kata-fc", HaveField("Snapshotter", kata.DevmapperSnapshotter)))
			}
		})
	}
})
