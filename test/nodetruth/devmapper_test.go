package nodetruth_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/nodetruth"
)

// The setup script of a Kata pool with Firecracker runs on the test node with stand-ins for the device tools it
// calls (dmsetup, losetup, blockdev): this machine's kernel has no device-mapper, and a test must not attach loop
// devices or create device-mapper devices on the host. Everything else is real: the script as the OSC ships it, the
// files gardener-node-agent wrote, bash and coreutils, and containerd reading what the script leaves.
const (
	stubDir    = "/opt/nodetruth/stubs"
	dmsetupLog = "/opt/nodetruth/dmsetup.log"
	// poolTable is the table of a pool this version of the script created.
	poolTable = "0 131072 thin-pool 7:11 7:10 128 32768 1 error_if_no_space"
	// earlierPoolTable is the table of a pool an earlier version created without block zeroing.
	earlierPoolTable = "0 131072 thin-pool 7:11 7:10 128 32768 1 skip_block_zeroing"
	// thinPoolError is what dmsetup prints when the kernel has no thin-pool target (no dm_thin_pool module).
	thinPoolError = "device-mapper: reload ioctl on containerd-pool (254:0) failed: Invalid argument"
)

// startTimeout is how long a containerd may take until it answers CRI requests.
const startTimeout = time.Minute

// fcPool is a Kata pool with Firecracker only.
var fcPool = sample{name: "Kata [fc]", runtimes: []gardencorev1beta1.ContainerRuntime{kataRuntime(fc)}}

// device is how the stand-ins behave: the node's device-mapper (its pool's table, or "" when there is none) and
// loop devices.
type device struct {
	name string
	// table is what `dmsetup table containerd-pool` prints; "" when the pool does not exist.
	table string
	// createFails, reloadFails: `dmsetup create` and `dmsetup reload` fail as without the dm_thin_pool module.
	createFails, reloadFails bool
	// noLoopDevice: `losetup --find` finds no free loop device.
	noLoopDevice bool
	// failure is what the setup prints when it fails on this device.
	failure string
}

var (
	newPool      = device{name: "a new pool is created"}
	existingPool = device{name: "the pool exists (the unit restarted)", table: poolTable}
	earlierPool  = device{name: "an earlier version's pool without block zeroing is switched", table: earlierPoolTable}
	noDmThinPool = device{name: "no dm_thin_pool module", createFails: true, failure: thinPoolError}
	noLoopDevice = device{name: "no free loop device", noLoopDevice: true, failure: "losetup: cannot find an unused loop device"}
	unswitchable = device{name: "an earlier version's pool that cannot be switched to block zeroing", table: earlierPoolTable, reloadFails: true, failure: "devmapper thin-pool containerd-pool: switching block zeroing on failed"}
)

// stubs returns the stand-ins of the device tools for d, by name.
func (d device) stubs() map[string]string {
	fail := func(message string) string {
		return fmt.Sprintf("printf '%%s\\n' %q >&2; exit 1", message)
	}
	table := fail("Device does not exist.")
	if d.table != "" {
		table = fmt.Sprintf("echo %q; exit 0", d.table)
	}
	create, reload := "exit 0", "exit 0"
	if d.createFails {
		create = fail(thinPoolError)
	}
	if d.reloadFails {
		reload = fail(thinPoolError)
	}
	find := `case "$3" in */data) echo /dev/loop10 ;; *) echo /dev/loop11 ;; esac; exit 0`
	if d.noLoopDevice {
		find = fail("losetup: cannot find an unused loop device")
	}
	return map[string]string{
		"dmsetup": fmt.Sprintf(`#!/bin/sh
echo "$*" >>%s
case "$1" in
table) %s ;;
create) %s ;;
reload) %s ;;
suspend|resume) exit 0 ;;
esac
exit 1
`, dmsetupLog, table, create, reload),
		// No loop device is attached to the pool's files yet; --find --show attaches one.
		"losetup": fmt.Sprintf(`#!/bin/sh
case "$1" in
--associated) exit 0 ;;
--find) %s ;;
esac
exit 1
`, find),
		"blockdev": "#!/bin/sh\necho 67108864\n",
	}
}

// runSetup runs the node's devmapper setup script as its unit does (`start` or `stop`), with the device tools of d,
// and returns what it printed and its error.
func runSetup(ctx context.Context, node *nodetruth.Node, d device, action string) (string, error) {
	GinkgoHelper()
	for name, content := range d.stubs() {
		Expect(node.WriteFile(stubDir+"/"+name, []byte(content), 0o755)).To(Succeed())
	}
	// The files node-agent wrote are not executable in the test node: the script runs through bash.
	cmd, err := node.Command(ctx, "bash is part of every Debian system", "bash", kata.DevmapperSetupScriptPath, action)
	Expect(err).NotTo(HaveOccurred())
	// Small files for the pool: the stand-ins attach nothing to them.
	cmd.Env = []string{"PATH=" + stubDir + ":/usr/sbin:/usr/bin:/sbin:/bin", "DATA_SIZE=64M", "META_SIZE=16M"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// dropIn is the file the setup script writes for containerd once the pool exists: the plugin table of the OSC, in
// the config version of the node's config.toml.
func dropIn(configVersion int) string {
	GinkgoHelper()
	table, err := kata.DevmapperPluginConfig()
	Expect(err).NotTo(HaveOccurred())
	return fmt.Sprintf("version = %d\n%s", configVersion, table)
}

// expectNoDropIn checks that the node has no devmapper plugin table where containerd reads its configuration, and
// that containerd loads no pool from it.
func expectNoDropIn(ctx context.Context, c nodetruth.Containerd, node *nodetruth.Node) {
	GinkgoHelper()
	_, err := node.ReadFile(kata.DevmapperDropInPath)
	Expect(err).To(MatchError(ContainSubstring("no such file or directory")))
	dump, err := c.ConfigDump(ctx, node)
	Expect(err).NotTo(HaveOccurred())
	devmapper, err := nodetruth.PluginConfig(dump, kata.DevmapperPluginName)
	Expect(err).NotTo(HaveOccurred())
	Expect(devmapper["pool_name"]).To(Or(BeNil(), BeEmpty()))
}

var _ = Describe("the devmapper setup of a Kata pool with Firecracker, on the node", func() {
	ctx := context.Background()

	for _, c := range containerds {
		version := configVersions[c.Name]

		// (b) The setup succeeded: the drop-in is what containerd reads.
		It(c.Name+", "+bothRuntimes.name+": once the pool exists, containerd loads the devmapper snapshotter with the pool from the setup's drop-in", func() {
			r := render(ctx, c, mutatedOSC(bothRuntimes))
			out, err := runSetup(ctx, r.node, newPool, "start")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(r.node.ReadFile(kata.DevmapperDropInPath)).To(BeEquivalentTo(dropIn(version)))

			dump, err := c.ConfigDump(ctx, r.node)
			Expect(err).NotTo(HaveOccurred())
			devmapper, err := nodetruth.PluginConfig(dump, kata.DevmapperPluginName)
			Expect(err).NotTo(HaveOccurred())
			Expect(devmapper).To(And(
				HaveKeyWithValue("pool_name", kata.DevmapperPoolName),
				HaveKeyWithValue("root_path", kata.DevmapperRootPath),
				HaveKeyWithValue("base_image_size", "10GB"),
				HaveKeyWithValue("discard_blocks", true),
			))
			dropped, err := nodetruth.DroppedKeys([]byte(dropIn(version)), dump)
			Expect(err).NotTo(HaveOccurred())
			Expect(dropped).To(BeEmpty())

			// A running containerd sets up the snapshotter on the pool. This machine's kernel has no device-mapper, so
			// here it fails as on a node whose pool is missing; on a node the setup prepared, the pool is there.
			r.node.BinaryPath, err = nodetruth.GVisorPayloadDir()
			Expect(err).NotTo(HaveOccurred())
			running, err := c.Start(ctx, r.node, startTimeout)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(func() { Expect(running.Stop()).To(Succeed()) })
			Expect(running.Log()).To(And(
				ContainSubstring(`initializing pool device \"`+kata.DevmapperPoolName+`\"`),
				ContainSubstring(devmapperFailure(c)),
			))
			// In the config version of config.toml, the drop-in needs no migration.
			Expect(running.Log()).NotTo(ContainSubstring("Configuration migrated"))
			// What a devmapper snapshotter without its pool does to containerd, and why the setup hands the table to
			// containerd only once the pool exists: containerd 1.6 starts its CRI without the snapshotter, containerd
			// 2.x fails its metadata plugin and with it the CRI.
			_, err = running.Status(ctx)
			if version == 2 {
				Expect(err).NotTo(HaveOccurred())
			} else {
				Expect(err).To(MatchError(nodetruth.ErrNoCRI))
			}
		})

		// (a) The setup failed: containerd serves the CRI with every other handler.
		It(c.Name+", "+bothRuntimes.name+": after a reboot whose setup fails, containerd serves the CRI with runsc and every Kata handler", func() {
			r := render(ctx, c, mutatedOSC(bothRuntimes))
			// The boot before set the pool up and left the drop-in.
			out, err := runSetup(ctx, r.node, newPool, "start")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(r.node.ReadFile(kata.DevmapperDropInPath)).To(BeEquivalentTo(dropIn(version)))

			// After the reboot, the unit runs before containerd and fails.
			out, err = runSetup(ctx, r.node, noDmThinPool, "start")
			Expect(err).To(HaveOccurred())
			Expect(out).To(ContainSubstring(noDmThinPool.failure))
			expectNoDropIn(ctx, c, r.node)

			r.node.BinaryPath, err = nodetruth.GVisorPayloadDir()
			Expect(err).NotTo(HaveOccurred())
			running, err := c.Start(ctx, r.node, startTimeout)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(func() { Expect(running.Stop()).To(Succeed()) })
			// containerd skips the snapshotter (no pool configured) and starts everything else.
			Expect(running.Log()).NotTo(ContainSubstring("initializing pool device"))
			Expect(running.Log()).NotTo(ContainSubstring(devmapperFailure(c)))
			status, err := running.Status(ctx)
			Expect(err).NotTo(HaveOccurred(), "containerd's log:\n%s", running.Log())
			expectHandlersServed(status, version, "kata-qemu", "kata-clh", "kata-fc")
			if version >= 3 {
				// kata-fc keeps its snapshotter; its pods fail, and only they.
				Expect(status.Handlers).To(HaveKeyWithValue("kata-fc", HaveField("Snapshotter", kata.DevmapperSnapshotter)))
			}

			for _, archive := range buildImages(ctx, mutatedOSC(bothRuntimes).Spec.CRIConfig.Containerd.SandboxImage) {
				Expect(running.ImportImage(ctx, archive)).To(Succeed())
			}
			run := func(handler string) (*runtimeapi.RunPodSandboxResponse, error) {
				return running.Runtime.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{RuntimeHandler: handler, Config: &runtimeapi.PodSandboxConfig{
					Metadata: &runtimeapi.PodSandboxMetadata{Name: handler, Namespace: "nodetruth", Uid: "nodetruth-" + handler},
					Linux: &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
						NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE},
					}},
				}})
			}
			// A kata-fc pod fails: containerd 2.x cannot unpack its image without the devmapper snapshotter.
			// (containerd 1.6 ignores the handler's snapshotter and gets as far as the shim, which the gVisor payload
			// mounted here lacks.)
			_, err = run("kata-fc")
			if version >= 3 {
				Expect(err).To(MatchError(ContainSubstring("error unpacking image: unable to initialize unpacker: snapshotter must be provided to unpack")))
			} else {
				Expect(err).To(MatchError(ContainSubstring(`binary not installed "containerd-shim-kata-v2"`)))
			}
			// A runsc pod gets as far as on any node: containerd starts gVisor's shim (which stops at its
			// oom_score_adj on a machine whose root lacks CAP_SYS_RESOURCE, see running_test.go).
			pod, err := run(gvisor.Handler)
			if !capSysResource() {
				Expect(err).To(MatchError(MatchRegexp(`io\.containerd\.runsc\.v1: failed to set OOM Score on shim: write /proc/\d+/oom_score_adj: permission denied`)))
				return
			}
			Expect(err).NotTo(HaveOccurred(), "containerd's log:\n%s", running.Log())
			_, err = running.Runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod.PodSandboxId})
			Expect(err).NotTo(HaveOccurred())
			_, err = running.Runtime.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod.PodSandboxId})
			Expect(err).NotTo(HaveOccurred())
		})
	}

	var entries []TableEntry
	for _, c := range containerds {
		for _, d := range []device{newPool, existingPool, earlierPool} {
			entries = append(entries, Entry(c.Name+": "+d.name, c, d))
		}
	}
	DescribeTable("hands the plugin table to containerd when the pool is there, in config.toml's version, and takes it back when the unit stops",
		func(c nodetruth.Containerd, d device) {
			r := render(ctx, c, mutatedOSC(fcPool))
			out, err := runSetup(ctx, r.node, d, "start")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(r.node.ReadFile(kata.DevmapperDropInPath)).To(BeEquivalentTo(dropIn(configVersions[c.Name])))
			dump, err := c.ConfigDump(ctx, r.node)
			Expect(err).NotTo(HaveOccurred())
			Expect(nodetruth.PluginConfig(dump, kata.DevmapperPluginName)).To(HaveKeyWithValue("pool_name", kata.DevmapperPoolName))

			calls, err := r.node.ReadFile(dmsetupLog)
			Expect(err).NotTo(HaveOccurred())
			switch d.table {
			case "":
				Expect(string(calls)).To(Equal("table containerd-pool\n" +
					"create containerd-pool --table 0 131072 thin-pool /dev/loop11 /dev/loop10 128 32768 1 error_if_no_space\n"))
			case earlierPoolTable:
				Expect(string(calls)).To(Equal("table containerd-pool\nsuspend containerd-pool\n" +
					"reload containerd-pool --table 0 131072 thin-pool 7:11 7:10 128 32768 1 error_if_no_space\nresume containerd-pool\n"))
			default:
				Expect(string(calls)).To(Equal("table containerd-pool\n"))
			}

			out, err = runSetup(ctx, r.node, d, "stop")
			Expect(err).NotTo(HaveOccurred(), out)
			expectNoDropIn(ctx, c, r.node)
		},
		entries,
	)

	entries = nil
	for _, c := range containerds {
		for _, d := range []device{noDmThinPool, noLoopDevice, unswitchable} {
			entries = append(entries, Entry(c.Name+": "+d.name, c, d))
		}
	}
	DescribeTable("removes the plugin table from containerd's configuration when the setup fails",
		func(c nodetruth.Containerd, d device) {
			r := render(ctx, c, mutatedOSC(fcPool))
			out, err := runSetup(ctx, r.node, newPool, "start")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(r.node.ReadFile(kata.DevmapperDropInPath)).To(BeEquivalentTo(dropIn(configVersions[c.Name])))
			Expect(r.node.WriteFile(dmsetupLog, nil, 0o644)).To(Succeed())

			out, err = runSetup(ctx, r.node, d, "start")
			Expect(err).To(MatchError(ContainSubstring("exit status 1")))
			Expect(out).To(ContainSubstring(d.failure))
			expectNoDropIn(ctx, c, r.node)
		},
		entries,
	)
})

// devmapperFailure is the line containerd c logs when the devmapper snapshotter fails to start on a kernel without
// device-mapper: containerd 1.6 puts the plugin ID into the message, containerd 2 into the field id.
func devmapperFailure(c nodetruth.Containerd) string {
	if configVersions[c.Name] == 2 {
		return `msg="failed to load plugin ` + kata.DevmapperPluginName + `" error="no such device"`
	}
	return `msg="failed to load plugin" error="no such device" id=` + kata.DevmapperPluginName
}
