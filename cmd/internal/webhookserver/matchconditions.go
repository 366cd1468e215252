package webhookserver

import (
	"context"
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

// Patch adds the conditions before the patch is computed: a merge patch is the difference between its original and
// obj at the time of the call.
func (c *conditionedClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	c.add(obj)
	return c.Client.Patch(ctx, obj, patch, opts...)
}

// add sets the match conditions of each entry of obj, when obj is the component's webhook configuration. The
// library names an entry <webhook name>.<component>.extensions.gardener.cloud.
func (c *conditionedClient) add(obj client.Object) {
	if obj.GetName() != c.configName {
		return
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
	}
}
