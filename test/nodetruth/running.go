package nodetruth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ErrNoCRI is what Status returns when containerd runs without its CRI plugin: it answers gRPC requests, but not
// for the CRI services, so the kubelet cannot use it.
var ErrNoCRI = errors.New("containerd serves no CRI")

// containerdUnit is the systemd unit of containerd; gardener-node-agent gives it a drop-in with its PATH.
const containerdUnit = "containerd.service"

// ContainerdSocket is containerd's default gRPC address, which gardener-node-agent leaves as it is; kubelet's CRI
// endpoint.
const ContainerdSocket = "/run/containerd/containerd.sock"

// RunningContainerd is a containerd process started with Start: it runs on a Node with the node's
// /etc/containerd/config.toml and answers CRI requests.
type RunningContainerd struct {
	Containerd
	// Node is the node it runs on.
	Node *Node
	// Runtime is a client of its CRI runtime service.
	Runtime runtimeapi.RuntimeServiceClient

	cmd    *exec.Cmd
	conn   *grpc.ClientConn
	log    *syncBuffer
	exited chan struct{}
	err    error
}

// syncBuffer is a bytes.Buffer that containerd's output and the test's readers may use at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Start runs containerd on node as systemd would run containerd.service there: `containerd --config
// /etc/containerd/config.toml`, with the environment of the unit's drop-ins (gardener-node-agent's PATH starts with
// /var/bin/containerruntimes, where the runtime shims are). It returns once containerd answers CRI requests on
// ContainerdSocket (or answers that it serves no CRI), or with an error that carries containerd's log when it exits or
// does not answer within timeout. Stop ends it.
func (c Containerd) Start(ctx context.Context, node *Node, timeout time.Duration) (*RunningContainerd, error) {
	env, err := node.ServiceEnvironment(containerdUnit)
	if err != nil {
		return nil, fmt.Errorf("reading the environment of %s: %w", containerdUnit, err)
	}
	cmd, err := node.Command(context.WithoutCancel(ctx), c.install, c.Binary, "--config", ContainerdConfigFile)
	if err != nil {
		return nil, err
	}
	cmd.Env = append(os.Environ(), env...)
	r := &RunningContainerd{Containerd: c, Node: node, cmd: cmd, log: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", c.Name, err)
	}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()

	socket, err := node.Path(ContainerdSocket)
	if err != nil {
		return nil, err
	}
	if r.conn, err = grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		_ = r.Stop()
		return nil, fmt.Errorf("creating a CRI client for %s: %w", socket, err)
	}
	r.Runtime = runtimeapi.NewRuntimeServiceClient(r.conn)
	if err := r.waitForCRI(ctx, socket, timeout); err != nil {
		_ = r.Stop()
		return nil, fmt.Errorf("%s on %s: %w\ncontainerd's log:\n%s", c.Name, socket, err, r.Log())
	}
	return r, nil
}

// waitForCRI waits until containerd answers the CRI Version request on socket (an answer that it does not know the
// service counts), exits, or timeout passes.
func (r *RunningContainerd) waitForCRI(ctx context.Context, socket string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for {
		// Asked only once the socket exists: gRPC logs every failed connection attempt.
		_, err := os.Stat(socket)
		if err == nil {
			if _, err = r.Runtime.Version(ctx, &runtimeapi.VersionRequest{}); err == nil || status.Code(err) == codes.Unimplemented {
				return nil
			}
		}
		select {
		case <-r.exited:
			return fmt.Errorf("containerd exited before it answered CRI requests: %w", r.err)
		case <-ctx.Done():
			return fmt.Errorf("containerd did not answer CRI requests within %s: %w", timeout, err)
		case <-ticker.C:
		}
	}
}

// Log returns what containerd logged so far.
func (r *RunningContainerd) Log() string {
	return r.log.String()
}

// Stop ends containerd with SIGTERM (SIGKILL after 30s). It was the first process of its PID namespace, so the
// shims and sandboxes it started end with it.
func (r *RunningContainerd) Stop() error {
	if r.conn != nil {
		_ = r.conn.Close()
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", r.Name, err)
	}
	select {
	case <-r.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
		return fmt.Errorf("%s did not stop within 30s after SIGTERM and was killed", r.Name)
	}
}

// Ctr runs this containerd's ctr against it, in containerd's namespace of Kubernetes (k8s.io), and returns its
// stdout.
func (r *RunningContainerd) Ctr(ctx context.Context, args ...string) ([]byte, error) {
	socket, err := r.Node.Path(ContainerdSocket)
	if err != nil {
		return nil, err
	}
	return run(ctx, r.install, r.Containerd.Ctr, append([]string{"--address", socket, "--namespace", "k8s.io"}, args...)...)
}

// ImportImage imports an OCI image archive (see WriteOCIImage) into containerd's namespace of Kubernetes, where the
// CRI finds it, and unpacks it for the default snapshotter.
func (r *RunningContainerd) ImportImage(ctx context.Context, archive string) error {
	if _, err := r.Ctr(ctx, "images", "import", archive); err != nil {
		return fmt.Errorf("importing %s: %w", filepath.Base(archive), err)
	}
	return nil
}

// CRIRuntimeHandler is a runtime handler as containerd's CRI reports its configuration (RuntimeService.Status,
// verbose, info "config"): the fields the extension sets, in containerd's JSON names.
type CRIRuntimeHandler struct {
	RuntimeType                  string         `json:"runtimeType"`
	PodAnnotations               []string       `json:"PodAnnotations"`
	ContainerAnnotations         []string       `json:"ContainerAnnotations"`
	PrivilegedWithoutHostDevices bool           `json:"privileged_without_host_devices"`
	Snapshotter                  string         `json:"snapshotter"`
	Options                      map[string]any `json:"options"`
}

// CRIStatus is what containerd's CRI answers to a verbose RuntimeService.Status request.
type CRIStatus struct {
	// Handlers are the runtime handlers of the CRI configuration containerd runs with, by name.
	Handlers map[string]CRIRuntimeHandler
	// ListedHandlers are the names in the response's runtime_handlers list (containerd 2.x; 1.6 lists none). The
	// default handler is listed with an empty name too.
	ListedHandlers []string
	// Conditions are the runtime conditions (RuntimeReady, NetworkReady) by type, with their reason when false.
	Conditions map[string]string
}

// Status asks containerd's CRI for its status, verbose.
func (r *RunningContainerd) Status(ctx context.Context) (*CRIStatus, error) {
	resp, err := r.Runtime.Status(ctx, &runtimeapi.StatusRequest{Verbose: true})
	if status.Code(err) == codes.Unimplemented {
		return nil, fmt.Errorf("CRI Status of %s: %w: %w", r.Name, ErrNoCRI, err)
	}
	if err != nil {
		return nil, fmt.Errorf("CRI Status of %s: %w", r.Name, err)
	}
	var config struct {
		Containerd struct {
			Runtimes map[string]CRIRuntimeHandler `json:"runtimes"`
		} `json:"containerd"`
	}
	if err := json.Unmarshal([]byte(resp.Info["config"]), &config); err != nil {
		return nil, fmt.Errorf("decoding the CRI configuration %s reports: %w", r.Name, err)
	}
	out := &CRIStatus{Handlers: config.Containerd.Runtimes, Conditions: map[string]string{}}
	for _, h := range resp.RuntimeHandlers {
		out.ListedHandlers = append(out.ListedHandlers, h.Name)
	}
	for _, c := range resp.GetStatus().GetConditions() {
		if c.Status {
			out.Conditions[c.Type] = "True"
		} else {
			out.Conditions[c.Type] = "False: " + c.Reason + ": " + c.Message
		}
	}
	return out, nil
}
