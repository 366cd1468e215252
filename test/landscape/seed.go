package landscape

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	secretsutils "github.com/gardener/gardener/pkg/utils/secrets"

	seedapp "github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-runtime-sandbox/app"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// LocalInstallerImage is the installer image the local landscape configures; no node pulls it there.
const LocalInstallerImage = "runtime-sandbox-installer:local"

// StartSeed runs the seed-side component (the same command as the binary) in-process, with its webhooks
// registered by URL over TLS and its ContainerRuntime controller, and waits until the API server calls the
// webhooks. It needs BootstrapSeed first.
func (l *Landscape) StartSeed(ctx context.Context, extraArgs ...string) (*Component, error) {
	return l.startComponent(ctx, "seed", seedapp.NewCommand, l.probeOSCWebhooks, seedArgs(extraArgs)...)
}

// seedArgs are the seed component's flags in the landscape besides the common ones (see newComponent). The pod rules
// reach the shoot as webhooks unless extraArgs say otherwise (--pod-admission, the last one wins): the suites about
// the policy delivery ask for it.
func seedArgs(extraArgs []string) []string {
	return append([]string{"--installer-image=" + LocalInstallerImage, "--ignore-operation-annotation", "--pod-admission=webhook"}, extraArgs...)
}

// BootstrapSeed creates the seed side of the sample Shoot: its namespace, its Cluster resource, which carries
// example/shoot.yaml, and its shoot access secret.
func (l *Landscape) BootstrapSeed(ctx context.Context) error {
	shoot, err := samples.Shoot()
	if err != nil {
		return err
	}
	cluster, err := samples.ClusterFor(samples.ShootNamespace, shoot)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: samples.ShootNamespace, Labels: map[string]string{v1beta1constants.GardenRole: v1beta1constants.GardenRoleShoot}}}
	// The landscape plays the shoot too: the extension's clients for the shoot (health checks) use the secret
	// gardenlet keeps in the shoot's namespace, here with the landscape's own kubeconfig.
	shootAccess := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: v1beta1constants.SecretNameGardener, Namespace: samples.ShootNamespace},
		Data:       map[string][]byte{secretsutils.DataKeyKubeconfig: l.Kubeconfig},
	}
	for _, obj := range []client.Object{ns, cluster, shootAccess} {
		if err := l.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %T %s: %w", obj, client.ObjectKeyFromObject(obj), err)
		}
	}
	return nil
}

// probeOSCWebhooks checks that a dry-run create of an OSC for each sample pool comes back with the runtime's
// containerd handler added, which proves that the API server reaches the webhooks over TLS.
func (l *Landscape) probeOSCWebhooks(ctx context.Context) error {
	probes := map[string]*extensionsv1alpha1.OperatingSystemConfig{
		"runsc":     samples.OSC("ready-probe-gvisor", "gvisor"),
		"kata-qemu": samples.OSC("ready-probe-kata", "kata"),
	}
	for handler, probe := range probes {
		obj := probe.DeepCopy()
		if err := l.Client.Create(ctx, obj, client.DryRunAll); err != nil {
			return err
		}
		if !slices.ContainsFunc(obj.Spec.CRIConfig.Containerd.Plugins, func(p extensionsv1alpha1.PluginConfig) bool { return slices.Contains(p.Path, handler) }) {
			return fmt.Errorf("OSC %s came back without the %s handler", obj.Name, handler)
		}
	}
	return nil
}
