// Package oscmutator wires the OperatingSystemConfig mutation of mutators/osc into the seed: one mutating webhook
// for the OSCs of worker pools, which adds what every sandbox runtime the pool requests needs.
package oscmutator

import (
	"context"
	"fmt"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/mutators/osc"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/metrics"
)

const (
	// Name is the name of the webhook.
	Name = "osc"
	// Path is the serving path of the webhook.
	Path = "/webhooks/mutate/osc"
	// ReasonCluster is the refusal reason, in metrics.AdmissionRequests, of an OSC whose Cluster cannot be read or
	// carries no Shoot.
	ReasonCluster = "cluster"
)

// New returns the mutating webhook for the OperatingSystemConfigs of worker pools (label
// worker.gardener.cloud/pool; gardenlet puts no container runtime label on OSCs). It reads whether and how the
// pool requests a sandbox runtime from the Cluster resource of the OSC's namespace, through the manager's cache.
func New(mgr manager.Manager, all []runtimes.Runtime) (*extensionswebhook.Webhook, error) {
	wh, err := extensionswebhook.New(mgr, extensionswebhook.Args{
		Name:   Name,
		Path:   Path,
		Target: extensionswebhook.TargetSeed,
		ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: v1beta1constants.LabelWorkerPool, Operator: metav1.LabelSelectorOpExists,
		}}},
		Mutators: map[extensionswebhook.Mutator][]extensionswebhook.Type{
			&Mutator{Runtimes: all, Reader: mgr.GetClient()}: {{Obj: &extensionsv1alpha1.OperatingSystemConfig{}}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the %s webhook: %w", Name, err)
	}
	return wh, nil
}

// Mutator adds the node configuration of the sandbox runtimes a pool requests to its OperatingSystemConfig.
type Mutator struct {
	// Runtimes are the sandbox runtimes this extension serves.
	Runtimes []runtimes.Runtime
	// Reader reads Cluster resources.
	Reader client.Reader
}

// Mutate adds the runtimes' node configuration to a reconcile OSC whose pool requests them and leaves every other
// OSC unchanged. Gardener's webhook library calls it for every request it decodes and answers with what it
// does, so Mutate counts the request in metrics.AdmissionRequests.
func (m *Mutator) Mutate(ctx context.Context, newObj, _ client.Object) error {
	obj, ok := newObj.(*extensionsv1alpha1.OperatingSystemConfig)
	if !ok {
		metrics.Refused(Name, metrics.RuntimeNone, metrics.ReasonBadRequest)
		return fmt.Errorf("unexpected object of type %T, want an OperatingSystemConfig", newObj)
	}
	runtimeLabel, mutated, reason, err := m.mutate(ctx, obj)
	switch {
	case err != nil:
		metrics.Refused(Name, runtimeLabel, reason)
		return err
	case mutated:
		metrics.Mutated(Name, runtimeLabel)
	default:
		metrics.Unchanged(Name, runtimeLabel)
	}
	return nil
}

// mutate does the work of Mutate. It returns the runtime label of obj (see requestedRuntimes), whether it changed
// obj (OSCs it does not mutate are not copied for the comparison) and, with an error, the refusal reason to count.
func (m *Mutator) mutate(ctx context.Context, obj *extensionsv1alpha1.OperatingSystemConfig) (runtimeLabel string, mutated bool, reason string, err error) {
	if obj.DeletionTimestamp != nil || !osc.IsPoolReconcileOSC(obj) {
		return metrics.RuntimeNone, false, "", nil
	}
	shoot, err := m.shootOf(ctx, obj.Namespace)
	if err != nil {
		return metrics.RuntimeNone, false, ReasonCluster, fmt.Errorf("reading the Cluster of OperatingSystemConfig %s/%s: %w", obj.Namespace, obj.Name, err)
	}
	runtimeLabel = m.requestedRuntimes(obj, shoot)
	before := obj.DeepCopy()
	for _, rt := range m.Runtimes {
		if err := osc.Mutate(obj, shoot, rt); err != nil {
			return runtimeLabel, false, metrics.ReasonInvalid, err
		}
	}
	return runtimeLabel, !apiequality.Semantic.DeepEqual(before, obj), "", nil
}

// shootOf returns the Shoot of the Cluster of namespace. Only the Shoot is decoded: the Cluster's CloudProfile and
// Seed are not needed here (and a CloudProfile is often more than 100 KiB).
func (m *Mutator) shootOf(ctx context.Context, namespace string) (*gardencorev1beta1.Shoot, error) {
	cluster := &extensionsv1alpha1.Cluster{}
	if err := m.Reader.Get(ctx, client.ObjectKey{Name: namespace}, cluster); err != nil {
		return nil, err
	}
	shoot, err := extensionscontroller.ShootFromCluster(cluster)
	if err != nil {
		return nil, fmt.Errorf("decoding its Shoot: %w", err)
	}
	if shoot == nil || shoot.Name == "" {
		// The Cluster's CRD requires spec.shoot, so a Cluster without a Shoot comes with an empty one.
		return nil, fmt.Errorf("the Cluster %s carries no Shoot", namespace)
	}
	return shoot, nil
}

// requestedRuntimes returns the types of m.Runtimes that the worker pool of obj requests in shoot, joined with "+"
// in the order of m.Runtimes (e.g. "gvisor+kata"), or metrics.RuntimeNone. Its values are bounded by the subsets
// of m.Runtimes, so it serves as a metric label.
func (m *Mutator) requestedRuntimes(obj *extensionsv1alpha1.OperatingSystemConfig, shoot *gardencorev1beta1.Shoot) string {
	var types []string
	for _, rt := range m.Runtimes {
		if _, _, ok := runtimes.PoolEntry(shoot, obj.Labels[v1beta1constants.LabelWorkerPool], rt.Type()); ok {
			types = append(types, rt.Type())
		}
	}
	if len(types) == 0 {
		return metrics.RuntimeNone
	}
	return strings.Join(types, "+")
}
