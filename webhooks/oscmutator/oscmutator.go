// Package oscmutator wires the OperatingSystemConfig mutation of mutators/osc into the seed: one mutating webhook
// for the OSCs of worker pools, which adds what every sandbox runtime the pool requests needs.
package oscmutator

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/mutators/osc"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

const (
	// Name is the name of the webhook.
	Name = "osc"
	// Path is the serving path of the webhook.
	Path = "/webhooks/mutate/osc"
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
// OSC unchanged.
func (m *Mutator) Mutate(ctx context.Context, newObj, _ client.Object) error {
	obj, ok := newObj.(*extensionsv1alpha1.OperatingSystemConfig)
	if !ok {
		return fmt.Errorf("unexpected object of type %T, want an OperatingSystemConfig", newObj)
	}
	if obj.DeletionTimestamp != nil || !osc.Requests(obj) {
		return nil
	}
	cluster, err := extensionscontroller.GetCluster(ctx, m.Reader, obj.Namespace)
	if err != nil {
		return fmt.Errorf("reading the Cluster of OperatingSystemConfig %s/%s: %w", obj.Namespace, obj.Name, err)
	}
	if cluster.Shoot == nil {
		return fmt.Errorf("the Cluster %s carries no Shoot", obj.Namespace)
	}
	for _, rt := range m.Runtimes {
		if err := osc.Mutate(obj, cluster.Shoot, rt); err != nil {
			return err
		}
	}
	return nil
}
