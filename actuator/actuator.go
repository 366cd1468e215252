// Package actuator implements the ContainerRuntime actuator of the extension: for every ContainerRuntime of type
// gvisor or kata it deploys, through ManagedResources, the installer DaemonSet of its worker pool (with its RBAC)
// and the RuntimeClasses the shoot's sandbox pools offer, with the shoot's pod webhook configurations.
//
// ManagedResources:
//
//   - extension-runtime-sandbox-<ContainerRuntime name> (one per ContainerRuntime, i.e. per pool and type): the
//     internal installer chart (charts/internal/installer), i.e. the DaemonSet runtime-sandbox-installer-<pool>-<type>
//     in kube-system with its ServiceAccount, ClusterRole (get/patch nodes) and ClusterRoleBinding. The type is part
//     of the name because a pool may run gvisor and kata side by side.
//   - extension-runtime-sandbox-runtimeclasses (shared by all ContainerRuntimes of the shoot namespace): the
//     RuntimeClasses offered by all pools of the shoot (the internal chart charts/internal/runtimeclasses), and the
//     pod webhook configurations built for them (podwebhook.ShootConfigs). Several pools offer the same class (e.g. gvisor), and
//     gardener-resource-manager does not arbitrate between two ManagedResources that contain the same object
//     (both would overwrite its origin, and deleting one would delete the object the other still needs). So every
//     reconciliation writes the shared one from the Cluster's Shoot plus the namespace's ContainerRuntimes (in case
//     the Cluster lags behind), the same whichever ContainerRuntime is reconciled last, and it is deleted only with
//     the last ContainerRuntime of our types in the namespace.
//
// On a switch from gardener-extension-runtime-gvisor, the first reconcile of a pool removes that extension's
// ManagedResources for it (see runtimes.Successor and takeOver).
package actuator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/keymutex"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionsconfigv1alpha1 "github.com/gardener/gardener/extensions/pkg/apis/config/v1alpha1"
	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	"github.com/gardener/gardener/extensions/pkg/controller/containerruntime"
	"github.com/gardener/gardener/extensions/pkg/util"
	v1beta1helper "github.com/gardener/gardener/pkg/api/core/v1beta1/helper"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

const (
	// Origin is the origin of the extension's ManagedResources for the shoot.
	Origin = "runtime-sandbox"
	// ManagedResourcePrefix prefixes the name of a ContainerRuntime's ManagedResource.
	ManagedResourcePrefix = "extension-runtime-sandbox-"
	// ShootManagedResourceName is the name of the ManagedResource shared by all ContainerRuntimes of a
	// shoot namespace that holds the RuntimeClasses.
	ShootManagedResourceName = ManagedResourcePrefix + "runtimeclasses"
	// DefaultDeleteTimeout is how long Delete waits for the ManagedResources to be gone unless Config says otherwise.
	DefaultDeleteTimeout = 2 * time.Minute
)

// Config configures the actuator.
type Config struct {
	// InstallerImage is the image of the installer DaemonSet; it ships the runtime binaries at
	// /installer/bin/<type> (installer.SourceDir).
	InstallerImage string
	// DeleteTimeout bounds how long Delete waits for the ManagedResources to be deleted; zero means
	// DefaultDeleteTimeout.
	DeleteTimeout time.Duration
	// PodWebhookClientConfig returns, once per reconciliation, how the shoot's API server reaches a path of the pod
	// webhook server (URL or service, and the CA bundle). Nil deploys no pod webhook configurations.
	PodWebhookClientConfig func(ctx context.Context) (func(path string) admissionregistrationv1.WebhookClientConfig, error)
	// PodAdmission is how the pod rules reach the shoots: PodAdmissionAuto (also when empty), PodAdmissionWebhook or
	// PodAdmissionPolicy.
	PodAdmission string
	// InForceTimeout bounds how long a switch of delivery waits for the new one to be in force; zero means
	// DefaultInForceTimeout.
	InForceTimeout time.Duration
	// ShootClient returns a client for the shoot of a shoot namespace in the seed, with which Delete removes the
	// ready labels from the pool's nodes. Nil means the shoot access secret "gardener" of the namespace (Gardener's
	// util.NewClientForShoot).
	ShootClient func(ctx context.Context, namespace string) (client.Client, error)
}

// ManagedResourceName returns the name of the ManagedResource of the ContainerRuntime with the given name.
func ManagedResourceName(containerRuntimeName string) string {
	return ManagedResourcePrefix + containerRuntimeName
}

type actuator struct {
	client client.Client
	cfg    Config
}

// NewActuator returns the ContainerRuntime actuator, using the manager's client.
func NewActuator(mgr manager.Manager, cfg Config) containerruntime.Actuator {
	return New(mgr.GetClient(), cfg)
}

// New returns the ContainerRuntime actuator working with the given seed client. Its operations are counted in
// Operations.
func New(c client.Client, cfg Config) containerruntime.Actuator {
	if cfg.DeleteTimeout <= 0 {
		cfg.DeleteTimeout = DefaultDeleteTimeout
	}
	if cfg.ShootClient == nil {
		cfg.ShootClient = func(ctx context.Context, namespace string) (client.Client, error) {
			_, shoot, err := util.NewClientForShoot(ctx, c, namespace, client.Options{}, extensionsconfigv1alpha1.RESTOptions{})
			return shoot, err
		}
	}
	return counted{&actuator{client: c, cfg: cfg}}
}

// configurationProblem marks err as a problem of the user's configuration.
func configurationProblem(err error) error {
	return v1beta1helper.NewErrorWithCodes(err, gardencorev1beta1.ErrorConfigurationProblem)
}

// Reconcile deploys the installer DaemonSet of the ContainerRuntime's pool and the shoot's RuntimeClasses.
func (a *actuator) Reconcile(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	rt, ok := runtimes.ByType(cr.Spec.Type)
	if !ok {
		return configurationProblem(field.NotSupported(field.NewPath("spec", "type"), cr.Spec.Type, runtimes.Types()))
	}
	if !path.IsAbs(cr.Spec.BinaryPath) || path.Clean(cr.Spec.BinaryPath) == "/" {
		return configurationProblem(field.Invalid(field.NewPath("spec", "binaryPath"), cr.Spec.BinaryPath, "must be an absolute path other than /"))
	}
	if selector := cr.Spec.WorkerPool.Selector; len(selector.MatchLabels) == 0 || len(selector.MatchExpressions) > 0 {
		// The installer's nodeSelector is the selector's labels: without any it would run on every node.
		return configurationProblem(field.Invalid(field.NewPath("spec", "workerPool", "selector"), selector.String(), "must select the pool's nodes by matchLabels only"))
	}
	pool, errs := rt.Decode(cr.Spec.ProviderConfig, field.NewPath("spec", "providerConfig"))
	if pool == nil {
		return configurationProblem(fmt.Errorf("invalid providerConfig of ContainerRuntime %s/%s: %w", cr.Namespace, cr.Name, decode.LimitedError(errs)))
	}
	if len(errs) > 0 {
		// A configuration stored before this extension judged it: the health check reports what is ignored.
		log.Info("Applying the providerConfig without what this extension ignores", "ignored", decode.LimitedError(errs).Error())
	}
	if err := a.takeOver(ctx, log, rt, cr); err != nil {
		return err
	}

	renderer := rendererFor(cluster)
	installerData, err := renderInstaller(renderer, cr, rt, a.cfg.InstallerImage)
	if err != nil {
		return err
	}
	if err := managedresources.CreateForShoot(ctx, a.client, cr.Namespace, ManagedResourceName(cr.Name), Origin, false, installerData); err != nil {
		return fmt.Errorf("creating ManagedResource %s: %w", ManagedResourceName(cr.Name), err)
	}

	merged, err := a.writeShared(ctx, cr.Namespace, cluster, cr, false)
	if err != nil {
		return err
	}
	log.Info("Deployed the installer, the RuntimeClasses and the pod webhook configurations", "managedResource", ManagedResourceName(cr.Name), "runtimeClasses", classNames(merged))
	return nil
}

// sharedWrites serialises the writes of a namespace's shared ManagedResource. The ContainerRuntimes of a shoot (one
// per pool and type, reconciled by two controllers with several workers each) and the CA refresh write it at the same
// time, and gardener's ManagedResource helper creates its immutable, content-named secret with a get-then-create:
// two writers of the same content would race, and the loser would fail with "already exists".
var sharedWrites = keymutex.NewHashed(0)

// writeShared writes the ManagedResource shared by the ContainerRuntimes of namespace: the RuntimeClasses the
// Cluster's Shoot offers plus those of the namespace's ContainerRuntimes for pools and types the Shoot does not
// request (in case the Cluster lags behind), and the pod webhook configurations built for them. current is the
// ContainerRuntime being reconciled (it counts as it is given, not as stored) or, with gone, deleted (it does not
// count); nil for none. Its content depends only on the Cluster and the ContainerRuntimes that exist, so
// reconciliations of several ContainerRuntimes write the same whatever their order. It returns the classes it wrote.
func (a *actuator) writeShared(ctx context.Context, namespace string, cluster *extensionscontroller.Cluster, current *extensionsv1alpha1.ContainerRuntime, gone bool) ([]nodev1.RuntimeClass, error) {
	sharedWrites.LockKey(namespace)
	defer func() { _ = sharedWrites.UnlockKey(namespace) }()

	var except string
	if current != nil {
		except = current.Name
	}
	others, err := a.containerRuntimes(ctx, namespace, except)
	if err != nil {
		return nil, err
	}
	if current != nil && !gone {
		others = append(others, *current)
	}
	entries := make([]runtimes.PoolRuntime, 0, len(others))
	for _, cr := range others {
		entries = append(entries, runtimes.PoolRuntime{Pool: cr.Spec.WorkerPool.Name, Type: cr.Spec.Type, ProviderConfig: cr.Spec.ProviderConfig})
	}
	var shoot *gardencorev1beta1.Shoot
	if cluster != nil {
		shoot = cluster.Shoot
	}
	pools := runtimes.OfferedByPool(shoot, entries...)
	var lists [][]nodev1.RuntimeClass
	for _, pool := range pools {
		lists = append(lists, pool.Classes)
	}
	merged := mergeClasses(lists...)
	shootData, err := renderRuntimeClasses(rendererFor(cluster), merged)
	if err != nil {
		return nil, err
	}
	podShoot := podwebhook.Shoot{Offer: mutatorpod.OfferOf(pools...), Version: podwebhook.VersionOf(kubernetesVersion(cluster))}
	if err := a.writeDeliveries(ctx, namespace, cluster, shootData, podShoot); err != nil {
		return nil, err
	}
	return merged, nil
}

// classNames returns the names of classes.
func classNames(classes []nodev1.RuntimeClass) []string {
	out := make([]string, 0, len(classes))
	for _, rc := range classes {
		out = append(out, rc.Name)
	}
	return out
}

// mergeClasses returns the classes of all lists, the first of each name winning, sorted by name.
func mergeClasses(lists ...[]nodev1.RuntimeClass) []nodev1.RuntimeClass {
	byName := map[string]nodev1.RuntimeClass{}
	for _, list := range lists {
		for _, rc := range list {
			if _, ok := byName[rc.Name]; !ok {
				byName[rc.Name] = rc
			}
		}
	}
	out := make([]nodev1.RuntimeClass, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[name])
	}
	return out
}

// Delete deletes the ContainerRuntime's ManagedResource (and the shared RuntimeClasses one if no other
// ContainerRuntime of our types remains, else it rewrites that one without the deleted ContainerRuntime, from the
// Cluster if known and the remaining ContainerRuntimes), waits until they are gone, and then removes the runtime's
// ready labels from the pool's nodes: the installers keep them when they stop (a rolling update must not make
// sandboxed pods unschedulable), so they go here, with the runtime.
func (a *actuator) Delete(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	names, err := a.deleteManagedResources(ctx, cr, cluster)
	if err != nil {
		return err
	}
	if err := a.waitUntilDeleted(ctx, cr.Namespace, names); err != nil {
		return err
	}
	log.Info("Deleted ManagedResources", "managedResources", names)
	return a.removeReadyLabels(ctx, log, cr, cluster)
}

// waitUntilDeleted waits, up to the delete timeout, until the ManagedResources names of namespace are gone.
func (a *actuator) waitUntilDeleted(ctx context.Context, namespace string, names []string) error {
	waitCtx, cancel := context.WithTimeout(ctx, a.cfg.DeleteTimeout)
	defer cancel()
	for _, name := range names {
		if err := managedresources.WaitUntilDeleted(waitCtx, a.client, namespace, name); err != nil {
			return fmt.Errorf("waiting for ManagedResource %s to be deleted: %w", name, err)
		}
	}
	return nil
}

// removeReadyLabels removes the ready labels of cr's runtime from every node of its pool in the shoot (the seed's
// shoot access is not bound by the installer's node restriction, which allows each installer only its own node). A
// shoot that is being deleted or hibernated is skipped: its nodes go, and its API server may be gone already.
func (a *actuator) removeReadyLabels(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	if cluster != nil && cluster.Shoot != nil && (cluster.Shoot.DeletionTimestamp != nil || extensionscontroller.IsHibernationEnabled(cluster)) {
		return nil
	}
	shoot, err := a.cfg.ShootClient(ctx, cr.Namespace)
	if err != nil {
		return fmt.Errorf("creating a client for the shoot of %s to remove the ready labels of %s: %w", cr.Namespace, cr.Spec.Type, err)
	}
	nodes := &corev1.NodeList{}
	if err := shoot.List(ctx, nodes, client.MatchingLabels(cr.Spec.WorkerPool.Selector.MatchLabels)); err != nil {
		return fmt.Errorf("listing the nodes of worker pool %q in the shoot: %w", cr.Spec.WorkerPool.Name, err)
	}
	labels := installer.ReadyLabels(cr.Spec.Type)
	var unlabelled []string
	for _, node := range nodes.Items {
		if !slices.ContainsFunc(labels, func(l string) bool { _, ok := node.Labels[l]; return ok }) {
			continue
		}
		if err := installer.UnmarkReady(ctx, shoot, node.Name, cr.Spec.Type); err != nil {
			return err
		}
		unlabelled = append(unlabelled, node.Name)
	}
	log.Info("Removed the ready labels from the pool's nodes", "labels", labels, "nodes", unlabelled)
	return nil
}

// ForceDelete deletes the ManagedResources like Delete but does not wait.
func (a *actuator) ForceDelete(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	names, err := a.deleteManagedResources(ctx, cr, cluster)
	if err != nil {
		return err
	}
	log.Info("Deleted ManagedResources without waiting", "managedResources", names)
	return nil
}

// Restore reconciles the ContainerRuntime: all state is in the shoot and the specification.
func (a *actuator) Restore(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) error {
	return a.Reconcile(ctx, log, cr, cluster)
}

// Migrate deletes the ManagedResources after setting keepObjects, so that the objects stay in the shoot while the
// shoot moves to another seed, and waits until gardener-resource-manager has released them, as Delete does. The
// shared RuntimeClasses ManagedResource goes too: all ContainerRuntimes of a shoot are migrated together, and Restore
// recreates it.
func (a *actuator) Migrate(ctx context.Context, log logr.Logger, cr *extensionsv1alpha1.ContainerRuntime, _ *extensionscontroller.Cluster) error {
	names := []string{ManagedResourceName(cr.Name), ShootManagedResourceName}
	for _, name := range names {
		if err := managedresources.SetKeepObjects(ctx, a.client, cr.Namespace, name, true); err != nil {
			return err
		}
		if err := managedresources.DeleteForShoot(ctx, a.client, cr.Namespace, name); err != nil {
			return fmt.Errorf("deleting ManagedResource %s: %w", name, err)
		}
	}
	if err := a.waitUntilDeleted(ctx, cr.Namespace, names); err != nil {
		return err
	}
	log.Info("Released ManagedResources for migration, keeping their objects", "managedResources", names)
	return nil
}

// deleteManagedResources deletes the ContainerRuntime's ManagedResource and, if it is the last ContainerRuntime
// of our types in the namespace that is not being deleted, the shared one; it returns the names it deleted. If it
// is not the last, it rewrites the shared one without it.
func (a *actuator) deleteManagedResources(ctx context.Context, cr *extensionsv1alpha1.ContainerRuntime, cluster *extensionscontroller.Cluster) ([]string, error) {
	names := []string{ManagedResourceName(cr.Name)}
	others, err := a.containerRuntimes(ctx, cr.Namespace, cr.Name)
	if err != nil {
		return nil, err
	}
	var errs []error
	if len(others) == 0 {
		names = append(names, ShootManagedResourceName)
	} else if _, err := a.writeShared(ctx, cr.Namespace, cluster, cr, true); err != nil {
		errs = append(errs, err)
	}
	for _, name := range names {
		if err := managedresources.DeleteForShoot(ctx, a.client, cr.Namespace, name); err != nil {
			errs = append(errs, fmt.Errorf("deleting ManagedResource %s: %w", name, err))
		}
	}
	return names, errors.Join(errs...)
}

// containerRuntimes returns the ContainerRuntimes of our types in namespace other than the one named except. Ones
// that are being deleted do not count, so that ContainerRuntimes deleted together (shoot deletion) all clean up.
func (a *actuator) containerRuntimes(ctx context.Context, namespace, except string) ([]extensionsv1alpha1.ContainerRuntime, error) {
	list := &extensionsv1alpha1.ContainerRuntimeList{}
	if err := a.client.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing ContainerRuntimes in %s: %w", namespace, err)
	}
	types := runtimes.Types()
	return slices.DeleteFunc(list.Items, func(other extensionsv1alpha1.ContainerRuntime) bool {
		return other.Name == except || other.DeletionTimestamp != nil || !slices.Contains(types, other.Spec.Type)
	}), nil
}
