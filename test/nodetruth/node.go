package nodetruth

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Node is a worker node's filesystem for the node components the checks run, kept in a directory of the host: the
// files gardener-node-agent wrote, and what the components write. A process started with Command runs as on that
// node, without touching the host:
//
//   - /etc, /var and /opt are the host's with the node's files on top (overlayfs); what the process writes there
//     lands in the node's directory;
//   - /var/lib/containerd (containerd's root) and /run/containerd (its state and socket) are directories of their own:
//     containerd's overlayfs snapshotter cannot keep its snapshots on an overlayfs;
//   - /var/bin/containerruntimes (ContainerRuntime.spec.binaryPath) is BinaryPath, read-only, when it is set: the
//     runtime binaries the installer copies there;
//   - the process gets its own mount and PID namespaces: when it exits, every process it started (shims, sandboxes)
//     is killed with it.
//
// Mount points that do not exist on the host are created there (empty directories): /run/containerd, /opt.
type Node struct {
	// BinaryPath, when set, is a host directory mounted at /var/bin/containerruntimes.
	BinaryPath string

	dir string
}

// overlaid are the host's top-level directories a node process sees with the node's files on top.
var overlaid = []string{"etc", "var", "opt"}

// NewNode returns a node in dir (an empty directory) with files (absolute path -> content), e.g. what
// RenderContainerdConfig returns. Every file must be below /etc, /var or /opt.
func NewNode(dir string, files map[string][]byte) (*Node, error) {
	n := &Node{dir: dir}
	for _, sub := range []string{"containerd-root", "run-containerd"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("creating the node's %s: %w", sub, err)
		}
	}
	for _, top := range overlaid {
		for _, sub := range []string{"upper", "work"} {
			if err := os.MkdirAll(filepath.Join(dir, sub, top), 0o755); err != nil {
				return nil, fmt.Errorf("creating the node's overlay %s directory for /%s: %w", sub, top, err)
			}
		}
	}
	for path, content := range files {
		if err := n.WriteFile(path, content, 0o644); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Path returns where the node's path is kept on the host. Only what the node's files and its processes wrote is
// there, not what the host has at path.
func (n *Node) Path(path string) (string, error) {
	clean := filepath.Clean(path)
	for prefix, sub := range map[string]string{"/var/lib/containerd": "containerd-root", "/run/containerd": "run-containerd"} {
		if rest, ok := cutPathPrefix(clean, prefix); ok {
			return filepath.Join(n.dir, sub, rest), nil
		}
	}
	for _, top := range overlaid {
		if rest, ok := cutPathPrefix(clean, "/"+top); ok {
			return filepath.Join(n.dir, "upper", top, rest), nil
		}
	}
	return "", fmt.Errorf("%s is not below a node directory (/etc, /var, /opt, /run/containerd)", path)
}

func cutPathPrefix(path, prefix string) (string, bool) {
	if path == prefix {
		return "", true
	}
	rest, ok := strings.CutPrefix(path, prefix+"/")
	return rest, ok
}

// WriteFile writes a file of the node at path, creating its directories.
func (n *Node) WriteFile(path string, content []byte, perm os.FileMode) error {
	hostPath, err := n.Path(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(hostPath), 0o755); err != nil {
		return fmt.Errorf("creating the directory of the node's %s: %w", path, err)
	}
	if err := os.WriteFile(hostPath, content, perm); err != nil {
		return fmt.Errorf("writing the node's %s: %w", path, err)
	}
	return nil
}

// ReadFile reads a file the node's files or processes wrote.
func (n *Node) ReadFile(path string) ([]byte, error) {
	hostPath, err := n.Path(path)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(hostPath)
}

// ServiceEnvironment returns the environment that the node's systemd drop-ins for unit set (their Environment=
// lines, e.g. gardener-node-agent's PATH for containerd.service), in the order systemd applies them.
func (n *Node) ServiceEnvironment(unit string) ([]string, error) {
	dir, err := n.Path(filepath.Join("/etc/systemd/system", unit+".d"))
	if err != nil {
		return nil, err
	}
	dropIns, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil {
		return nil, err
	}
	slices.Sort(dropIns)
	var env []string
	for _, dropIn := range dropIns {
		content, err := os.ReadFile(dropIn)
		if err != nil {
			return nil, fmt.Errorf("reading the drop-in %s: %w", dropIn, err)
		}
		scanner := bufio.NewScanner(bytes.NewReader(content))
		for scanner.Scan() {
			value, ok := strings.CutPrefix(strings.TrimSpace(scanner.Text()), "Environment=")
			if !ok {
				continue
			}
			if unquoted, err := strconv.Unquote(value); err == nil {
				value = unquoted
			}
			env = append(env, value)
		}
	}
	return env, nil
}

// nodeMounts sets up the node's view of the filesystem in a new mount namespace and execs the command after the
// node's directory and binary path. Mounts are private: nothing of them reaches the host.
const nodeMounts = `set -e
dir=$1 binaries=$2
shift 2
mount --make-rprivate /
for top in ` + "etc var opt" + `; do
  mount -t overlay overlay -o "lowerdir=/$top,upperdir=$dir/upper/$top,workdir=$dir/work/$top" "/$top"
done
mkdir -p /var/lib/containerd
mount --bind "$dir/containerd-root" /var/lib/containerd
mount --bind "$dir/run-containerd" /run/containerd
if [ -n "$binaries" ]; then
  mkdir -p /var/bin/containerruntimes
  mount --bind "$binaries" /var/bin/containerruntimes
  mount -o remount,bind,ro /var/bin/containerruntimes
fi
mount -t proc proc /proc
exec "$@"
`

// Command returns a command that runs binary (a path, or a name on the host's PATH) with args on the node: in new
// mount and PID namespaces with the node's filesystem. It must run as root. install says how to get binary if it is
// missing. The process is killed when the test process dies.
func (n *Node) Command(ctx context.Context, install, binary string, args ...string) (*exec.Cmd, error) {
	path, err := lookPath(install, binary)
	if err != nil {
		return nil, err
	}
	for _, mountPoint := range []string{"/run/containerd", "/opt"} {
		if err := os.MkdirAll(mountPoint, 0o755); err != nil {
			return nil, fmt.Errorf("creating the mount point %s on the host: %w", mountPoint, err)
		}
	}
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", nodeMounts, "sh", n.dir, n.BinaryPath, path}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID,
		Pdeathsig:  syscall.SIGKILL,
	}
	return cmd, nil
}

// run runs binary with args on the node and returns its stdout, like the package's run on the host.
func (n *Node) run(ctx context.Context, install, binary string, args ...string) ([]byte, error) {
	cmd, err := n.Command(ctx, install, binary, args...)
	if err != nil {
		return nil, err
	}
	return output(cmd, binary, args)
}
