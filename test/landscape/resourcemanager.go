package landscape

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	componentbaseconfigv1alpha1 "k8s.io/component-base/config/v1alpha1"
	"sigs.k8s.io/yaml"

	resourcemanagerconfigv1alpha1 "github.com/gardener/gardener/pkg/apis/config/resourcemanager/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

const (
	// ResourceManagerBinary is gardener-resource-manager's binary in the assets directory, built by `make
	// control-plane` from the Gardener module the extension uses.
	ResourceManagerBinary = "gardener-resource-manager"
	// KubeControllersBinary is the binary in the assets directory that runs kube-controller-manager's DaemonSet
	// controller and garbage collector (hack/tools/cmd/kube-controllers).
	KubeControllersBinary = "kube-controllers"
)

// ShootControllersOptions configure StartShootControllers.
type ShootControllersOptions struct {
	// Output receives the logs of both processes; nil discards them.
	Output io.Writer
	// HealthSyncPeriod is how often gardener-resource-manager rechecks the health of a ManagedResource's objects
	// besides when they change (at least 15 seconds); zero means its default (one minute).
	HealthSyncPeriod time.Duration
}

// ShootControllers are the processes that play the shoot's control plane for the extension's ManagedResources.
type ShootControllers struct {
	// ResourceManager is gardener-resource-manager.
	ResourceManager *Process
	// KubeControllers runs kube-controller-manager's DaemonSet controller and garbage collector.
	KubeControllers *Process
}

// Stop stops both processes.
func (s *ShootControllers) Stop() error {
	if err := s.ResourceManager.Stop(); err != nil {
		return err
	}
	return s.KubeControllers.Stop()
}

// StartShootControllers starts, as processes, what applies the extension's ManagedResources in a real landscape and
// keeps their objects' status: gardener-resource-manager as Gardener runs it for a shoot (ManagedResources without a
// class in the seed's namespaces, their objects applied into the shoot), with this API server as both seed and shoot,
// and kube-controller-manager's DaemonSet controller, which writes the status of the installer DaemonSets that
// gardener-resource-manager's health checks and the extension's read, and its garbage collector, which completes the
// foreground deletions of gardener-resource-manager. It waits until gardener-resource-manager is ready.
func (l *Landscape) StartShootControllers(ctx context.Context, opts ShootControllersOptions) (*ShootControllers, error) {
	dsDir, err := processDir(KubeControllersBinary)
	if err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(dsDir, "kubeconfig")
	if err := l.WriteKubeconfig(kubeconfig); err != nil {
		return nil, err
	}
	ds, err := startProcess(KubeControllersBinary, l.binary(KubeControllersBinary), dsDir, []string{"--kubeconfig=" + kubeconfig}, opts.Output)
	if err != nil {
		return nil, err
	}
	rm, err := l.startResourceManager(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%w (stopping kube-controllers: %v)", err, ds.Stop())
	}
	return &ShootControllers{ResourceManager: rm, KubeControllers: ds}, nil
}

// startResourceManager writes gardener-resource-manager's configuration, starts it and waits until it is ready.
func (l *Landscape) startResourceManager(ctx context.Context, opts ShootControllersOptions) (*Process, error) {
	dir, err := processDir(ResourceManagerBinary)
	if err != nil {
		return nil, err
	}
	config, healthPort, err := l.resourceManagerConfig(dir, opts.HealthSyncPeriod)
	if err != nil {
		return nil, err
	}
	configFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configFile, config, 0o600); err != nil {
		return nil, fmt.Errorf("writing the gardener-resource-manager configuration: %w", err)
	}
	p, err := startProcess(ResourceManagerBinary, l.binary(ResourceManagerBinary), dir, []string{"--config=" + configFile}, opts.Output)
	if err != nil {
		return nil, err
	}
	readyz := "http://127.0.0.1:" + strconv.Itoa(healthPort) + "/readyz"
	if err := waitForProcess(ctx, p, 2*time.Minute, func(ctx context.Context) error { return httpOK(ctx, readyz) }); err != nil {
		return nil, fmt.Errorf("%w (stopping it: %v)", err, p.Stop())
	}
	return p, nil
}

// resourceManagerConfig returns the configuration of gardener-resource-manager, with its kubeconfig and webhook
// server certificate (it serves no webhooks here, but its server starts) written to dir, and its health port.
func (l *Landscape) resourceManagerConfig(dir string, healthSyncPeriod time.Duration) ([]byte, int, error) {
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := l.WriteKubeconfig(kubeconfig); err != nil {
		return nil, 0, err
	}
	certDir := filepath.Join(dir, "certs")
	ca, err := certs.LoadOrCreateAuthority(certDir, ResourceManagerBinary)
	if err != nil {
		return nil, 0, err
	}
	if _, err := ca.Issue(certDir, []string{"127.0.0.1"}, 24*time.Hour); err != nil {
		return nil, 0, err
	}
	var ports [3]int
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, 0, err
		}
	}

	config := &resourcemanagerconfigv1alpha1.ResourceManagerConfiguration{
		// Source: the seed, where the ManagedResources and their secrets are; target: the shoot, where their
		// objects go. Both are this API server, in every namespace.
		SourceClientConnection: resourcemanagerconfigv1alpha1.ClientConnection{
			ClientConnectionConfiguration: componentbaseconfigv1alpha1.ClientConnectionConfiguration{Kubeconfig: kubeconfig},
		},
		TargetClientConnection: &resourcemanagerconfigv1alpha1.ClientConnection{
			ClientConnectionConfiguration: componentbaseconfigv1alpha1.ClientConnectionConfiguration{Kubeconfig: kubeconfig},
		},
		LeaderElection: componentbaseconfigv1alpha1.LeaderElectionConfiguration{LeaderElect: new(false)},
		Server: resourcemanagerconfigv1alpha1.ServerConfiguration{
			Webhooks: resourcemanagerconfigv1alpha1.HTTPSServer{
				Server: resourcemanagerconfigv1alpha1.Server{BindAddress: "127.0.0.1", Port: ports[0]},
				TLS:    resourcemanagerconfigv1alpha1.TLSServer{ServerCertDir: certDir},
			},
			HealthProbes: &resourcemanagerconfigv1alpha1.Server{BindAddress: "127.0.0.1", Port: ports[1]},
			Metrics:      &resourcemanagerconfigv1alpha1.Server{BindAddress: "127.0.0.1", Port: ports[2]},
		},
		LogLevel:  "info",
		LogFormat: "text",
	}
	if healthSyncPeriod > 0 {
		config.Controllers.Health.SyncPeriod = &metav1.Duration{Duration: healthSyncPeriod}
	}
	config.SetGroupVersionKind(resourcemanagerconfigv1alpha1.SchemeGroupVersion.WithKind("ResourceManagerConfiguration"))
	data, err := yaml.Marshal(config)
	if err != nil {
		return nil, 0, fmt.Errorf("encoding the gardener-resource-manager configuration: %w", err)
	}
	return data, ports[1], nil
}

// httpOK returns nil when a GET of url answers 200.
func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("%s: %s: %s", url, resp.Status, body)
	}
	return nil
}
