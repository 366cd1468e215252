package kata

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// The Kata Containers release the extension ships. Its non-Go artifacts (hypervisors, guest kernel, guest image,
// virtiofsd) come from that release's kata-deploy image, its containerd shim is built from the Kata runtime module
// at the release's commit (hack/payload/go.mod pins it; a test checks that the two agree).
const (
	// Version is the Kata Containers release; it names the version directory of its files on every node.
	Version = "3.29.0"
	// ReleaseCommit is the commit the release's tag points to in github.com/kata-containers/kata-containers.
	ReleaseCommit = "8dccf4cf37aeea4b6c2caacf3e61510d6eef2f71"
	// KataDeployImage is the release's kata-deploy image, pinned by digest: the installer image build copies the
	// artifacts from it.
	KataDeployImage = "quay.io/kata-containers/kata-deploy:" + Version +
		"@sha256:1e80246bbecd4fdfde2281a1ebefcd77da3f3722eca57856260d2b270de0b6ff"
	// KataDeployRoot is where the kata-deploy image keeps Kata's static release: the tree kata-deploy copies to
	// /opt/kata on its hosts. Artifact.From is relative to it.
	KataDeployRoot = "/opt/kata-artifacts/opt/kata"
)

const (
	// VersionsDir is the directory below the binary path that holds one directory per installed Kata version
	// (kata/<version>/) next to the configuration files (kata/configuration-<hypervisor>.toml).
	VersionsDir = "kata"
	// ShimName is Kata's containerd shim. containerd finds it on its PATH (the binary path) by the handlers'
	// runtime_type io.containerd.kata.v2. It stays outside the version directories: a new shim replaces the old
	// one atomically, and the shims of running sandboxes keep executing the old file.
	ShimName = "containerd-shim-kata-v2"
	// QEMUDataDir is where Kata's QEMU build looks for its firmware and option ROMs (its configured datadir).
	// Kata builds QEMU without relocation support, so the files must appear at this path as QEMU sees it: QEMU
	// reads it below a qemu-bundle directory next to its executable when one exists (see qemuBundle).
	QEMUDataDir = "/opt/kata/share/kata-qemu/qemu"
)

// Artifact is one file or directory of Kata's payload: where the installer puts it and where it comes from.
type Artifact struct {
	// Path is the installed path, relative to the version directory (kata/<Version>/ below the binary path).
	Path string
	// From is the source in the kata-deploy image, relative to KataDeployRoot. Symbolic links there (the guest
	// kernel and image are links to versioned file names) are followed: the payload holds regular files only.
	From string
	// Executable is set for programs.
	Executable bool
	// Dir is set for a directory that is copied as a whole (QEMU's firmware); Required lists files it must hold.
	Dir bool
	// Required are files a Dir artifact must contain, relative to it.
	Required []string
	// Hypervisors are the hypervisors that need the artifact.
	Hypervisors []v1alpha1.Hypervisor
}

var (
	allHypervisors = []v1alpha1.Hypervisor{v1alpha1.HypervisorQEMU, v1alpha1.HypervisorCloudHypervisor, v1alpha1.HypervisorFirecracker}
	virtioFS       = []v1alpha1.Hypervisor{v1alpha1.HypervisorQEMU, v1alpha1.HypervisorCloudHypervisor}
)

// Paths of the artifacts, relative to the version directory. The configuration rendering refers to them.
const (
	qemuPath       = "bin/qemu-system-x86_64"
	qemuBundle     = "bin/qemu-bundle"
	clhPath        = "bin/cloud-hypervisor"
	firecracker    = "bin/firecracker"
	jailerPath     = "bin/jailer"
	virtiofsdPath  = "libexec/virtiofsd"
	kernelPath     = "share/kata-containers/vmlinux.container"
	imagePath      = "share/kata-containers/kata-containers.img"
	qemuFirmwareAt = qemuBundle + QEMUDataDir
)

// qemuFirmware is the directory of Kata's QEMU firmware. It must hold SeaBIOS and the option ROM QEMU needs to
// boot a kernel directly (-kernel) on q35.
var qemuFirmware = Artifact{
	Path: qemuFirmwareAt, From: "share/kata-qemu/qemu", Dir: true,
	Required:    []string{"bios-256k.bin", "linuxboot_dma.bin"},
	Hypervisors: []v1alpha1.Hypervisor{v1alpha1.HypervisorQEMU},
}

// artifacts is the layout of Kata's payload, in one place: the configuration rendering (Configuration), `make
// payload` (hack/kata-payload, which assembles and checks it) and the installer (which checks its image's payload
// before installing it) all read it.
var artifacts = []Artifact{
	{Path: qemuPath, From: "bin/qemu-system-x86_64", Executable: true, Hypervisors: []v1alpha1.Hypervisor{v1alpha1.HypervisorQEMU}},
	qemuFirmware,
	{Path: clhPath, From: "bin/cloud-hypervisor", Executable: true, Hypervisors: []v1alpha1.Hypervisor{v1alpha1.HypervisorCloudHypervisor}},
	{Path: firecracker, From: "bin/firecracker", Executable: true, Hypervisors: []v1alpha1.Hypervisor{v1alpha1.HypervisorFirecracker}},
	{Path: jailerPath, From: "bin/jailer", Executable: true, Hypervisors: []v1alpha1.Hypervisor{v1alpha1.HypervisorFirecracker}},
	{Path: virtiofsdPath, From: "libexec/virtiofsd", Executable: true, Hypervisors: virtioFS},
	// The uncompressed guest kernel: Kata's default for all three hypervisors on x86_64.
	{Path: kernelPath, From: "share/kata-containers/vmlinux.container", Hypervisors: allHypervisors},
	{Path: imagePath, From: "share/kata-containers/kata-containers.img", Hypervisors: allHypervisors},
}

// Artifacts returns the layout of Kata's payload below the version directory.
func Artifacts() []Artifact {
	out := make([]Artifact, len(artifacts))
	for i, a := range artifacts {
		a.Required = slices.Clone(a.Required)
		a.Hypervisors = slices.Clone(a.Hypervisors)
		out[i] = a
	}
	return out
}

// VersionDir returns the directory of Kata version below the binary path binaryPath, e.g.
// /var/bin/containerruntimes/kata/3.29.0.
func VersionDir(binaryPath, version string) string {
	return path.Join(binaryPath, VersionsDir, version)
}

// Layout is where a node's Kata files are: the binary path they are installed below.
type Layout struct {
	// BinaryPath is the directory the installer installs into (ContainerRuntime.spec.binaryPath on nodes).
	BinaryPath string
}

// NodeLayout is the layout on every node: below node.BinaryPath.
var NodeLayout = Layout{BinaryPath: node.BinaryPath}

// path returns the absolute path of an artifact path (relative to the version directory) in this layout.
func (l Layout) path(rel string) string { return path.Join(VersionDir(l.BinaryPath, Version), rel) }

// ConfigPath returns the Kata configuration file of a hypervisor in this layout.
func (l Layout) ConfigPath(h v1alpha1.Hypervisor) string {
	return path.Join(l.BinaryPath, VersionsDir, "configuration-"+string(h)+".toml")
}

// CheckPayload checks the payload directory dir (what lands in the binary path: the shim and kata/<Version>/)
// against the layout: every artifact present as a regular file (or directory with its required files), programs
// executable. It reports every problem at once; a nil error means the payload is complete.
func CheckPayload(dir string) error {
	var errs []error
	if err := checkFile(filepath.Join(dir, ShimName), true); err != nil {
		errs = append(errs, err)
	}
	versionDir := filepath.Join(dir, VersionsDir, Version)
	for _, a := range artifacts {
		target := filepath.Join(versionDir, filepath.FromSlash(a.Path))
		if !a.Dir {
			if err := checkFile(target, a.Executable); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		info, err := os.Lstat(target)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", target, err))
			continue
		case !info.IsDir():
			errs = append(errs, fmt.Errorf("%s: is not a directory", target))
			continue
		}
		for _, f := range a.Required {
			if err := checkFile(filepath.Join(target, f), false); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// checkFile checks that path is a regular file, executable by its owner when executable is set.
func checkFile(path string, executable bool) error {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: missing", path)
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	case !info.Mode().IsRegular():
		return fmt.Errorf("%s: is not a regular file (mode %v)", path, info.Mode())
	case executable && info.Mode().Perm()&0o100 == 0:
		return fmt.Errorf("%s: is not executable (mode %v)", path, info.Mode().Perm())
	}
	return nil
}
