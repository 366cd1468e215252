package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	podapi "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podpolicy"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

const (
	// LabelVariant on a benchmark namespace names its variant; the policy of b and the no-op webhook of g select
	// their namespace by it.
	LabelVariant = "bench.runtime-sandbox.gardener.cloud/variant"
	// LabelForeign marks the namespaces of variants whose pods this extension's pod webhooks must not see (no
	// admission, or someone else's): the benchmark adds a requirement that skips them to every entry of the
	// shoot's pod webhook configurations.
	LabelForeign = "bench.runtime-sandbox.gardener.cloud/foreign"

	policyName      = "bench-sandbox-defaulting"
	noopConfigName  = "bench-noop"
	noopWebhookName = "noop.bench.runtime-sandbox.gardener.cloud"
)

// Variant is one way a pod CREATE is admitted, measured end to end through kube-apiserver.
type Variant struct {
	// Key is the variant's letter in the issue and the headline (a, b, c, ...).
	Key string
	// Title says what is measured.
	Title string
	// Annotated pods ask for SandboxClass by annotation.
	Annotated bool
	// Foreign variants are skipped by this extension's pod webhooks (see LabelForeign).
	Foreign bool
	// Labels are further labels of the variant's namespace.
	Labels map[string]string
	// WantClass is the spec.runtimeClassName a created pod comes back with ("" for none); checked before measuring,
	// so that a variant that silently admits differently is caught.
	WantClass string
}

// Namespace is the variant's namespace.
func (v Variant) Namespace() string { return "bench-" + v.Key }

// Variants are the end-to-end variants, in the order they are reported.
func Variants() []Variant {
	return []Variant{
		{Key: "a", Title: "no admission (a namespace the webhooks skip)", Annotated: true, Foreign: true},
		{Key: "b", Title: "MutatingAdmissionPolicy, in-tree, same CEL match condition", Annotated: true, Foreign: true, WantClass: SandboxClass},
		{Key: "c", Title: "pod webhook, annotated pods", Annotated: true, WantClass: SandboxClass},
		{Key: "d", Title: "pod webhook configured, unannotated pods", Annotated: false},
		{Key: "e", Title: "enforced namespace (sandbox-enforce=gvisor), annotated pods", Annotated: true,
			Labels: map[string]string{podapi.LabelSandboxEnforce: SandboxClass}, WantClass: SandboxClass},
		{Key: "f", Title: "policy delivery (the extension's admission policies in the shoot), annotated pods", Annotated: true, Foreign: true, WantClass: SandboxClass},
		{Key: "g", Title: "no-op webhook, same match conditions, no patch (floor of the webhook call path)", Annotated: true, Foreign: true},
	}
}

// SetUp prepares the variants in a landscape that plays the sample Shoot (landscape.WaitForShoot): the shoot's
// pod webhook configurations skip the foreign namespaces, every variant gets its namespace, b its
// MutatingAdmissionPolicy and g the no-op webhook at noop (URL and CA bundle). The policy and the no-op webhook
// copy the match conditions (and, for g, everything else) of the pod webhook's annotated entry, so they follow it.
// gardener-resource-manager must no longer run: it would revert the changed webhook configurations at its next sync.
func SetUp(ctx context.Context, c client.Client, variants []Variant, noop admissionregistrationv1.WebhookClientConfig) error {
	annotated, err := skipForeign(ctx, c)
	if err != nil {
		return err
	}
	for _, v := range variants {
		labels := map[string]string{LabelVariant: v.Key}
		for k, val := range v.Labels {
			labels[k] = val
		}
		if v.Foreign {
			labels[LabelForeign] = "true"
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: v.Namespace(), Labels: labels}}
		if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", ns.Name, err)
		}
	}
	policy, binding := defaultingPolicy(annotated.MatchConditions, "b")
	noopConfig := noopWebhook(annotated, noop, "g")
	delivered, err := policyDelivery("f")
	if err != nil {
		return err
	}
	for _, obj := range append([]client.Object{policy, binding, noopConfig}, delivered...) {
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	return nil
}

// skipForeign makes every entry of the shoot's pod webhook configurations skip namespaces labelled LabelForeign
// and returns the annotated entry.
func skipForeign(ctx context.Context, c client.Client) (*admissionregistrationv1.MutatingWebhook, error) {
	skip := metav1.LabelSelectorRequirement{Key: LabelForeign, Operator: metav1.LabelSelectorOpDoesNotExist}
	addSkip := func(sel *metav1.LabelSelector) *metav1.LabelSelector {
		if sel == nil {
			sel = &metav1.LabelSelector{}
		}
		if !slices.ContainsFunc(sel.MatchExpressions, func(r metav1.LabelSelectorRequirement) bool { return r.Key == LabelForeign }) {
			sel.MatchExpressions = append(sel.MatchExpressions, skip)
		}
		return sel
	}

	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: podwebhook.ConfigName}, mutating); err != nil {
		return nil, fmt.Errorf("reading the shoot's pod webhook configuration (run landscape.WaitForShoot first): %w", err)
	}
	var annotated *admissionregistrationv1.MutatingWebhook
	for i := range mutating.Webhooks {
		mutating.Webhooks[i].NamespaceSelector = addSkip(mutating.Webhooks[i].NamespaceSelector)
		if strings.HasPrefix(mutating.Webhooks[i].Name, podwebhook.ModeAnnotated+".") {
			annotated = mutating.Webhooks[i].DeepCopy()
		}
	}
	if annotated == nil {
		return nil, fmt.Errorf("MutatingWebhookConfiguration %s has no %s entry", podwebhook.ConfigName, podwebhook.ModeAnnotated)
	}
	if err := c.Update(ctx, mutating); err != nil {
		return nil, fmt.Errorf("updating MutatingWebhookConfiguration %s: %w", podwebhook.ConfigName, err)
	}

	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: podwebhook.ConfigName}, validating); err != nil {
		return nil, fmt.Errorf("reading the shoot's pod validating webhook configuration: %w", err)
	}
	for i := range validating.Webhooks {
		validating.Webhooks[i].NamespaceSelector = addSkip(validating.Webhooks[i].NamespaceSelector)
	}
	if err := c.Update(ctx, validating); err != nil {
		return nil, fmt.Errorf("updating ValidatingWebhookConfiguration %s: %w", podwebhook.ConfigName, err)
	}
	return annotated, nil
}

// defaultingPolicy is the in-tree way of the annotated entry's mutation: a MutatingAdmissionPolicy with the same
// match conditions that sets spec.runtimeClassName to the class the annotation names and the node selector of
// its runtime type, bound to the namespace of variant key.
func defaultingPolicy(conditions []admissionregistrationv1.MatchCondition, key string) (*admissionregistrationv1.MutatingAdmissionPolicy, *admissionregistrationv1.MutatingAdmissionPolicyBinding) {
	var typeOfClass []string
	for _, class := range runtimes.ClassNames() {
		t, _ := runtimes.TypeOfClass(class)
		typeOfClass = append(typeOfClass, strconv.Quote(class)+": "+strconv.Quote(node.ContainerRuntimeLabel(t)))
	}
	policy := &admissionregistrationv1.MutatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: policyName},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
				},
			}}},
			MatchConditions: conditions,
			Variables: []admissionregistrationv1.Variable{
				{Name: "class", Expression: fmt.Sprintf("object.metadata.annotations[%q]", podapi.AnnotationSandbox)},
				{Name: "nodeLabel", Expression: "{" + strings.Join(typeOfClass, ", ") + "}[variables.class]"},
			},
			// A JSON patch, not an apply configuration: spec.nodeSelector is an atomic map, which apply
			// configurations may not change in part.
			Mutations: []admissionregistrationv1.Mutation{{
				PatchType: admissionregistrationv1.PatchTypeJSONPatch,
				JSONPatch: &admissionregistrationv1.JSONPatch{Expression: `[
					JSONPatch{op: "add", path: "/spec/runtimeClassName", value: variables.class},
					has(object.spec.nodeSelector)
						? JSONPatch{op: "add", path: "/spec/nodeSelector/" + jsonpatch.escapeKey(variables.nodeLabel), value: "true"}
						: JSONPatch{op: "add", path: "/spec/nodeSelector", value: {variables.nodeLabel: "true"}}
				]`},
			}},
			FailurePolicy:      new(admissionregistrationv1.Fail),
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
		},
	}
	binding := &admissionregistrationv1.MutatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policyName},
		Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
			PolicyName:     policyName,
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelVariant: key}}},
		},
	}
	return policy, binding
}

// policyDelivery returns the pod admission policies the actuator delivers to the sample Shoot (the policy delivery),
// with their pod bindings restricted to the namespace of variant key. The namespace policies are left out: they act
// on no pod of the variant.
func policyDelivery(key string) ([]client.Object, error) {
	shoot, err := samples.Shoot()
	if err != nil {
		return nil, err
	}
	objs, err := podpolicy.ShootPolicies(mutatorpod.OfferOf(runtimes.OfferedByPool(shoot)...))
	if err != nil {
		return nil, fmt.Errorf("building the policy delivery: %w", err)
	}
	var out []client.Object
	for _, obj := range objs {
		if obj.GetName() == podpolicy.NamespacesName {
			continue
		}
		var match *admissionregistrationv1.MatchResources
		switch b := obj.(type) {
		case *admissionregistrationv1.MutatingAdmissionPolicyBinding:
			match = b.Spec.MatchResources
		case *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
			match = b.Spec.MatchResources
		}
		if match != nil {
			match.NamespaceSelector.MatchLabels = map[string]string{LabelVariant: key}
		}
		out = append(out, obj)
	}
	return out, nil
}

// noopWebhook is the annotated entry pointed at the no-op webhook, for the namespace of variant key.
func noopWebhook(annotated *admissionregistrationv1.MutatingWebhook, clientConfig admissionregistrationv1.WebhookClientConfig, key string) *admissionregistrationv1.MutatingWebhookConfiguration {
	wh := annotated.DeepCopy()
	wh.Name = noopWebhookName
	wh.ClientConfig = clientConfig
	wh.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{LabelVariant: key}}
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: noopConfigName},
		Webhooks:   []admissionregistrationv1.MutatingWebhook{*wh},
	}
}

// Check creates a pod of v in dry-run and returns an error unless it comes back as v wants.
func Check(ctx context.Context, c client.Client, v Variant) error {
	pod := Pod("probe", v.Namespace(), v.Annotated)
	if err := c.Create(ctx, pod, client.DryRunAll); err != nil {
		return fmt.Errorf("variant %s: %w", v.Key, err)
	}
	got := ""
	if pod.Spec.RuntimeClassName != nil {
		got = *pod.Spec.RuntimeClassName
	}
	if got != v.WantClass {
		return fmt.Errorf("variant %s: the pod came back with runtimeClassName %q, want %q", v.Key, got, v.WantClass)
	}
	return nil
}
