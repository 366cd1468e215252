// Package landscape starts the local Gardener landscape that the integration tests and `make run-local` share:
// etcd and kube-apiserver (built from Go modules by the Makefile), gardener-apiserver in-process behind the
// aggregator, the Gardener extension CRDs and the ManagedResource CRD, the sample objects a Shoot needs, the extension's
// webhooks registered over TLS, and gardener-resource-manager with kube-controllers (processes built by the Makefile)
// to apply the extension's ManagedResources. One API server plays garden, seed and shoot.
package landscape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/gardener/gardener/pkg/client/kubernetes"
	"github.com/gardener/gardener/pkg/component/extensions/crds"
	"github.com/gardener/gardener/pkg/component/gardener/resourcemanager"
	gardenerenvtest "github.com/gardener/gardener/test/envtest"
)

// AssetsEnv is the environment variable naming the directory with the etcd and kube-apiserver binaries.
const AssetsEnv = "KUBEBUILDER_ASSETS"

// Options configure a landscape.
type Options struct {
	// AssetsDir holds etcd and kube-apiserver. Defaults to $KUBEBUILDER_ASSETS.
	AssetsDir string
	// Output receives the control plane's logs; nil discards them (gardener-apiserver still logs errors).
	Output io.Writer
}

// Landscape is a running local Gardener API with an admin identity.
type Landscape struct {
	env    *gardenerenvtest.GardenerTestEnvironment
	assets string

	// Config is the admin REST config.
	Config *rest.Config
	// Client is an admin client that knows the garden, seed and shoot APIs.
	Client client.Client
	// Kubeconfig is an admin kubeconfig for the API server.
	Kubeconfig []byte
}

// Start starts etcd, kube-apiserver and gardener-apiserver and installs the Gardener extension CRDs and the
// ManagedResource CRD.
func Start(ctx context.Context, opts Options) (*Landscape, error) {
	assets := opts.AssetsDir
	if assets == "" {
		assets = os.Getenv(AssetsEnv)
	}
	for _, bin := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, fmt.Errorf("control plane binary %s not found in %q (set %s or run `make control-plane`): %w", bin, assets, AssetsEnv, err)
		}
	}

	managedResourceCRD := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal([]byte(resourcemanager.CRD), managedResourceCRD); err != nil {
		return nil, fmt.Errorf("decoding the ManagedResource CRD: %w", err)
	}
	env := &gardenerenvtest.GardenerTestEnvironment{
		Environment: &envtest.Environment{
			CRDInstallOptions:        envtest.CRDInstallOptions{CRDs: []*apiextensionsv1.CustomResourceDefinition{managedResourceCRD}},
			BinaryAssetsDirectory:    assets,
			AttachControlPlaneOutput: opts.Output != nil,
			ControlPlaneStartTimeout: 2 * time.Minute,
			ControlPlaneStopTimeout:  time.Minute,
		},
		GardenerAPIServer: &gardenerenvtest.GardenerAPIServer{Out: opts.Output, Err: opts.Output},
	}
	if opts.Output == nil {
		// gardener-apiserver runs in-process and logs to stdout itself; keep it to errors.
		env.GardenerAPIServer.Args = []string{"--log-level=error"}
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting the control plane: %w", err), env.Stop())
	}
	l := &Landscape{env: env, assets: assets}
	if err := l.init(ctx, cfg); err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	return l, nil
}

func (l *Landscape) init(ctx context.Context, cfg *rest.Config) error {
	admin, err := l.env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		return fmt.Errorf("adding the admin user: %w", err)
	}
	if l.Kubeconfig, err = admin.KubeConfig(); err != nil {
		return fmt.Errorf("building the admin kubeconfig: %w", err)
	}
	l.Config = admin.Config()
	if l.Client, err = client.New(l.Config, client.Options{Scheme: Scheme()}); err != nil {
		return fmt.Errorf("creating the admin client: %w", err)
	}

	crdDeployer, err := crds.NewCRD(l.Client, true, true)
	if err != nil {
		return fmt.Errorf("preparing the extension CRDs: %w", err)
	}
	if err := crdDeployer.Deploy(ctx); err != nil {
		return fmt.Errorf("deploying the extension CRDs: %w", err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := crdDeployer.Wait(waitCtx); err != nil {
		return fmt.Errorf("waiting for the extension CRDs: %w", err)
	}
	return nil
}

// WriteKubeconfig writes the admin kubeconfig to path, creating its directory.
func (l *Landscape) WriteKubeconfig(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the kubeconfig directory: %w", err)
	}
	if err := os.WriteFile(path, l.Kubeconfig, 0o600); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return nil
}

// Stop stops every control plane process.
func (l *Landscape) Stop() error {
	if err := l.env.Stop(); err != nil {
		return fmt.Errorf("stopping the control plane: %w", err)
	}
	return nil
}

// Scheme returns a scheme with the garden and seed APIs the landscape serves.
func Scheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(kubernetes.AddGardenSchemeToScheme(scheme))
	utilruntime.Must(kubernetes.AddSeedSchemeToScheme(scheme))
	return scheme
}
