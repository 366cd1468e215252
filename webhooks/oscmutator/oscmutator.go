// Package oscmutator wires the OperatingSystemConfig mutation of mutators/osc into the seed: one mutating webhook
// per sandbox runtime, selecting only OSCs that Gardener labelled as requesting that runtime type.
package oscmutator

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/mutators/osc"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// Name returns the webhook name for a runtime type, e.g. "osc-gvisor".
func Name(runtimeType string) string { return "osc-" + runtimeType }

// Path returns the serving path of the webhook for a runtime type.
func Path(runtimeType string) string { return "/webhooks/mutate/osc/" + runtimeType }

// New returns the mutating webhook for OperatingSystemConfigs of pools that request rt. It reads the pool's
// providerConfig from the Cluster resource of the OSC's namespace through the manager's cache.
func New(mgr manager.Manager, rt runtimes.Runtime) (*extensionswebhook.Webhook, error) {
	wh, err := extensionswebhook.New(mgr, extensionswebhook.Args{
		Name:   Name(rt.Type()),
		Path:   Path(rt.Type()),
		Target: extensionswebhook.TargetSeed,
		ObjectSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{osc.LabelContainerRuntime(rt.Type()): "true"},
		},
		Mutators: map[extensionswebhook.Mutator][]extensionswebhook.Type{
			&Mutator{Runtime: rt, Reader: mgr.GetClient()}: {{Obj: &extensionsv1alpha1.OperatingSystemConfig{}}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the %s webhook: %w", Name(rt.Type()), err)
	}
	return wh, nil
}

// Mutator adds one sandbox runtime's node configuration to OperatingSystemConfigs.
type Mutator struct {
	// Runtime is the sandbox runtime whose handlers are added.
	Runtime runtimes.Runtime
	// Reader reads Cluster resources.
	Reader client.Reader
}

// Mutate adds the runtime's node configuration to an OSC that requests it and leaves every other OSC unchanged.
func (m *Mutator) Mutate(ctx context.Context, newObj, _ client.Object) error {
	obj, ok := newObj.(*extensionsv1alpha1.OperatingSystemConfig)
	if !ok {
		return fmt.Errorf("unexpected object of type %T, want an OperatingSystemConfig", newObj)
	}
	if obj.DeletionTimestamp != nil || !osc.Requests(obj, m.Runtime.Type()) {
		return nil
	}
	cluster, err := extensionscontroller.GetCluster(ctx, m.Reader, obj.Namespace)
	if err != nil {
		return fmt.Errorf("reading the Cluster of OperatingSystemConfig %s/%s: %w", obj.Namespace, obj.Name, err)
	}
	if cluster.Shoot == nil {
		return fmt.Errorf("the Cluster %s carries no Shoot", obj.Namespace)
	}
	return osc.Mutate(obj, cluster.Shoot, m.Runtime)
}
