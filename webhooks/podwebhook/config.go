package podwebhook

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// ConfigName is the name of the MutatingWebhookConfiguration and ValidatingWebhookConfiguration in a shoot.
const ConfigName = "runtime-sandbox-pods"

// timeoutSeconds keeps pod creation fast when the seed is slow: a sandbox request then fails rather than waits.
const timeoutSeconds int32 = 5

// ConcernsSandbox is the CEL condition of a pod whose annotations ask for a sandbox, or look as if they meant to:
// any annotation under runtime.gardener.cloud/ (also an empty one or a misspelt key), and kata-deploy's or CRI-O's
// annotation with any value but the one that means "no sandbox". Pods that ask for nothing never reach the webhook;
// these do, so that a typo is refused instead of silently meaning no sandbox.
var ConcernsSandbox = fmt.Sprintf(`has(object.metadata.annotations) && (`+
	`object.metadata.annotations.exists(k, k.startsWith(%[1]q)) || `+
	`(%[2]q in object.metadata.annotations && object.metadata.annotations[%[2]q] != "false") || `+
	`(%[3]q in object.metadata.annotations && object.metadata.annotations[%[3]q] != "true"))`,
	apipod.AnnotationPrefix, apipod.AnnotationUntrustedWorkload, apipod.AnnotationTrustedSandbox)

// NoOwnChoice is the CEL condition of a pod that neither sets spec.runtimeClassName nor concerns a sandbox by its
// annotations: the pods a namespace's default applies to.
var NoOwnChoice = "!has(object.spec.runtimeClassName) && !(" + ConcernsSandbox + ")"

// Shoot is what a shoot's pod webhook configurations are built for.
type Shoot struct {
	// Offer is what the shoot's worker pools offer.
	Offer mutatorpod.Offer
	// Version is the shoot's Kubernetes version (see VersionOf), whose Pod Security Standards the webhooks apply.
	Version psaapi.Version
}

// ShootConfigs returns the webhook configurations for shoot. clientConfig says how the shoot's API server reaches a
// path of this webhook server. Every entry fails closed (an untrusted workload must not start unsandboxed, nor an
// enforced namespace admit a pod unchecked, because the webhook is down), has a short timeout, skips kube-system,
// and is filtered at the API server so that pods that ask for nothing are never sent:
//
//   - annotated: pods whose annotations ask for a sandbox, or look as if they meant to (CEL matchConditions);
//   - namespace-<class>: pods without their own request and without spec.runtimeClassName in namespaces labelled
//     runtime.gardener.cloud/sandbox=<class>;
//   - enforce-<class> and enforce-<class>-restricted (validating): every pod, and every ephemeral container added
//     to one, in namespaces labelled runtime.gardener.cloud/sandbox-enforce=<class>, at the Pod Security Standards
//     level of the namespace's runtime.gardener.cloud/sandbox-enforce-level (baseline unless restricted).
//
// Namespace entries are built for every class and runtime type the extension knows, so that a namespace labelled
// with one the shoot does not offer gets a clear refusal instead of silently no sandbox; the namespace-unknown,
// enforce-unknown and enforce-level-unknown entries refuse pods of namespaces whose labels name no known class, type
// or level at all.
func ShootConfigs(shoot Shoot, clientConfig func(path string) admissionregistrationv1.WebhookClientConfig) (*admissionregistrationv1.MutatingWebhookConfiguration, *admissionregistrationv1.ValidatingWebhookConfiguration) {
	// A namespace label may name a class or a runtime type (its first offered class; for enforcement, any of its
	// classes).
	names := runtimes.Names()
	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: ConfigName},
	}
	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: ConfigName},
	}
	target := func(mode, class string, level apipod.Level) string {
		return Target{Version: shoot.Version, Offer: shoot.Offer, Mode: mode, Class: class, Level: level}.Path()
	}
	noOwnChoice := admissionregistrationv1.MatchCondition{Name: "no-own-choice", Expression: NoOwnChoice}

	mutating.Webhooks = append(mutating.Webhooks, mutatingWebhook("annotated", clientConfig(target(ModeAnnotated, "", "")), namespaces(nil),
		admissionregistrationv1.MatchCondition{Name: "concerns-a-sandbox", Expression: ConcernsSandbox}))
	for _, class := range names {
		mutating.Webhooks = append(mutating.Webhooks, mutatingWebhook("namespace-"+class, clientConfig(target(ModeNamespace, class, "")),
			namespaces(map[string]string{apipod.LabelSandbox: class}), noOwnChoice))

		// The baseline entry also takes namespaces with an unknown level: the enforce-level-unknown entry refuses
		// their pods, and this one still checks them.
		validating.Webhooks = append(validating.Webhooks,
			validatingWebhook("enforce-"+class, clientConfig(target(ModeEnforce, class, apipod.LevelBaseline)),
				namespaces(map[string]string{apipod.LabelSandboxEnforce: class}, notIn(apipod.LabelSandboxEnforceLevel, string(apipod.LevelRestricted)))),
			validatingWebhook("enforce-"+class+"-restricted", clientConfig(target(ModeEnforce, class, apipod.LevelRestricted)),
				namespaces(map[string]string{apipod.LabelSandboxEnforce: class, apipod.LabelSandboxEnforceLevel: string(apipod.LevelRestricted)})),
		)
	}
	// Namespaces labelled with a value that names no known class or level are refused rather than silently not
	// sandboxed or enforced at another level.
	mutating.Webhooks = append(mutating.Webhooks, mutatingWebhook("namespace-unknown", clientConfig(target(ModeNamespaceUnknown, "", "")),
		namespaces(nil, exists(apipod.LabelSandbox), notIn(apipod.LabelSandbox, names...)), noOwnChoice))
	validating.Webhooks = append(validating.Webhooks,
		validatingWebhook("enforce-unknown", clientConfig(target(ModeEnforceUnknown, "", "")),
			namespaces(nil, exists(apipod.LabelSandboxEnforce), notIn(apipod.LabelSandboxEnforce, names...))),
		validatingWebhook("enforce-level-unknown", clientConfig(target(ModeEnforceLevelUnknown, "", "")),
			namespaces(nil, exists(apipod.LabelSandboxEnforce), exists(apipod.LabelSandboxEnforceLevel), notIn(apipod.LabelSandboxEnforceLevel, apipod.Levels()...))),
	)
	return mutating, validating
}

func exists(key string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpExists}
}

// notIn matches labels that are absent or have none of values.
func notIn(key string, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpNotIn, Values: values}
}

func mutatingWebhook(name string, clientConfig admissionregistrationv1.WebhookClientConfig, namespaceSelector *metav1.LabelSelector, conditions ...admissionregistrationv1.MatchCondition) admissionregistrationv1.MutatingWebhook {
	return admissionregistrationv1.MutatingWebhook{
		Name:                    webhookName(name),
		ClientConfig:            clientConfig,
		Rules:                   podCreate(),
		FailurePolicy:           new(admissionregistrationv1.Fail),
		MatchPolicy:             new(admissionregistrationv1.Equivalent),
		NamespaceSelector:       namespaceSelector,
		SideEffects:             new(admissionregistrationv1.SideEffectClassNone),
		TimeoutSeconds:          new(timeoutSeconds),
		AdmissionReviewVersions: []string{"v1"},
		ReinvocationPolicy:      new(admissionregistrationv1.NeverReinvocationPolicy),
		MatchConditions:         conditions,
	}
}

// validatingWebhook returns an entry that checks every pod created in, and every ephemeral container added to a pod
// of, the selected namespaces: an ephemeral container runs in the pod's sandbox and with the node access it asks for.
func validatingWebhook(name string, clientConfig admissionregistrationv1.WebhookClientConfig, namespaceSelector *metav1.LabelSelector) admissionregistrationv1.ValidatingWebhook {
	rules := podCreate()
	rules = append(rules, admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
		Rule: admissionregistrationv1.Rule{
			APIGroups:   []string{""},
			APIVersions: []string{"v1"},
			Resources:   []string{"pods/" + subresourceEphemeralContainers},
			Scope:       new(admissionregistrationv1.NamespacedScope),
		},
	})
	return admissionregistrationv1.ValidatingWebhook{
		Name:                    webhookName(name),
		ClientConfig:            clientConfig,
		Rules:                   rules,
		FailurePolicy:           new(admissionregistrationv1.Fail),
		MatchPolicy:             new(admissionregistrationv1.Equivalent),
		NamespaceSelector:       namespaceSelector,
		SideEffects:             new(admissionregistrationv1.SideEffectClassNone),
		TimeoutSeconds:          new(timeoutSeconds),
		AdmissionReviewVersions: []string{"v1"},
	}
}

func webhookName(name string) string {
	return strings.ToLower(name) + ".pods.runtime-sandbox.extensions.gardener.cloud"
}

func podCreate() []admissionregistrationv1.RuleWithOperations {
	return []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule: admissionregistrationv1.Rule{
			APIGroups:   []string{""},
			APIVersions: []string{"v1"},
			Resources:   []string{"pods"},
			Scope:       new(admissionregistrationv1.NamespacedScope),
		},
	}}
}

// namespaces selects namespaces with the given labels and requirements, never kube-system.
func namespaces(labels map[string]string, requirements ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
	return &metav1.LabelSelector{
		MatchLabels:      labels,
		MatchExpressions: append([]metav1.LabelSelectorRequirement{notIn(corev1.LabelMetadataName, metav1.NamespaceSystem)}, requirements...),
	}
}
