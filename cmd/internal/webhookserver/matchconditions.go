package webhookserver

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// MatchConditions are the CEL match conditions of the component's webhooks, by webhook name (e.g. "osc"): the API
// server sends a webhook only the requests whose conditions all hold, so that an outage of the component blocks only
// what it must judge.
type MatchConditions map[string][]admissionregistrationv1.MatchCondition

// Gardener's extension library has no field for match conditions, and it writes the component's webhook
// configurations at every registration and every certificate rotation, overwriting their entries. So the conditions
// must be part of every write, not patched in afterwards (a window without them would let an outage block what
// they exclude): the library writes through a client that adds them to the configuration it writes.

// withMatchConditions returns mgr with a client that adds conditions to the entries of the webhook configuration
// configName whenever it is created, updated or patched.
func withMatchConditions(mgr manager.Manager, configName string, conditions MatchConditions) manager.Manager {
	if len(conditions) == 0 {
		return mgr
	}
	return &conditionedManager{Manager: mgr, client: &conditionedClient{Client: mgr.GetClient(), configName: configName, conditions: conditions}}
}

type conditionedManager struct {
	manager.Manager
	client client.Client
}

// GetClient returns the client that adds the match conditions.
func (m *conditionedManager) GetClient() client.Client { return m.client }

type conditionedClient struct {
	client.Client
	configName string
	conditions MatchConditions
}

func (c *conditionedClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	c.add(obj)
	return c.Client.Create(ctx, obj, opts...)
}

func (c *conditionedClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	c.add(obj)
	return c.Client.Update(ctx, obj, opts...)
}

// Patch writes obj with its conditions. Gardener's registration (GetAndCreateOrStrategicMergePatch) hands over a raw
// patch it computed before this call, from the configuration without conditions, so sending that patch would remove
// the stored conditions (a restarted component would then serve without them). For the component's configuration,
// the patch sent is instead the strategic merge patch from the stored configuration to obj with its conditions: one
// write, with the verbs the component has (get, patch).
func (c *conditionedClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if !c.add(obj) {
		return c.Client.Patch(ctx, obj, patch, opts...)
	}
	// A new object: decoding into a copy of obj could keep obj's values where the stored object has none.
	stored, ok := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(client.Object)
	if !ok {
		return fmt.Errorf("creating an object of type %T", obj)
	}
	if err := c.Client.Get(ctx, client.ObjectKeyFromObject(obj), stored); err != nil {
		return fmt.Errorf("reading webhook configuration %s to patch it with its match conditions: %w", obj.GetName(), err)
	}
	return c.Client.Patch(ctx, obj, client.StrategicMergeFrom(stored), opts...)
}

// add sets the match conditions of each entry of obj and reports true, when obj is the component's webhook
// configuration. The library names an entry <webhook name>.<component>.extensions.gardener.cloud.
func (c *conditionedClient) add(obj client.Object) bool {
	if obj.GetName() != c.configName {
		return false
	}
	conditionsOf := func(entry string) []admissionregistrationv1.MatchCondition {
		name, _, _ := strings.Cut(entry, ".")
		return c.conditions[name]
	}
	switch config := obj.(type) {
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		for i := range config.Webhooks {
			config.Webhooks[i].MatchConditions = conditionsOf(config.Webhooks[i].Name)
		}
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		for i := range config.Webhooks {
			config.Webhooks[i].MatchConditions = conditionsOf(config.Webhooks[i].Name)
		}
	default:
		return false
	}
	return true
}
