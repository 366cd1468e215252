package podwebhook

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	validatorpod "github.com/gardener/gardener-extension-runtime-sandbox/validators/pod"
)

// ConfigName is the name of the MutatingWebhookConfiguration and ValidatingWebhookConfiguration in a shoot.
const ConfigName = "runtime-sandbox-pods"

// timeoutSeconds keeps pod creation fast when the seed is slow: a sandbox request then fails rather than waits.
const timeoutSeconds int32 = 5

// asksForSandbox is the CEL condition of a pod that asks for a sandbox by annotation; pods without it never reach
// the annotation webhook.
var asksForSandbox = fmt.Sprintf(`has(object.metadata.annotations) && (`+
	`(%[1]q in object.metadata.annotations && object.metadata.annotations[%[1]q] != "") || `+
	`(%[2]q in object.metadata.annotations && object.metadata.annotations[%[2]q] == "true") || `+
	`(%[3]q in object.metadata.annotations && object.metadata.annotations[%[3]q] == "false"))`,
	mutatorpod.AnnotationSandbox, mutatorpod.AnnotationUntrustedWorkload, mutatorpod.AnnotationTrustedSandbox)

// ShootConfigs returns the webhook configurations for a shoot that offers offer. clientConfig says how the shoot's
// API server reaches a path of this webhook server. Every entry fails closed (an untrusted workload must not start
// unsandboxed because the webhook is down), has a short timeout, skips kube-system, and is filtered at the API
// server so that pods that ask for nothing are never sent:
//
//   - annotated: pods whose annotations ask for a sandbox (CEL matchConditions);
//   - namespace-<class>: pods without their own request and without spec.runtimeClassName in namespaces labelled
//     runtime.gardener.cloud/sandbox=<class>;
//   - enforce-<class> (validating): pods not in <class> in namespaces labelled
//     runtime.gardener.cloud/sandbox-enforce=<class>.
//
// Namespace entries are built for every class the extension knows, so that a namespace labelled with a class the
// shoot does not offer gets a clear refusal instead of silently no sandbox; a namespace-unknown and an
// enforce-unknown entry refuse pods of namespaces whose labels name no known class at all.
func ShootConfigs(offer mutatorpod.Offer, knownClasses []string, clientConfig func(path string) admissionregistrationv1.WebhookClientConfig) (*admissionregistrationv1.MutatingWebhookConfiguration, *admissionregistrationv1.ValidatingWebhookConfiguration) {
	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: ConfigName},
	}
	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: ConfigName},
	}

	annotated := Target{Offer: offer, Mode: ModeAnnotated}
	mutating.Webhooks = append(mutating.Webhooks, mutatingWebhook("annotated", clientConfig(annotated.Path()), namespaces(nil),
		admissionregistrationv1.MatchCondition{Name: "asks-for-a-sandbox", Expression: asksForSandbox}))

	for _, class := range knownClasses {
		namespaceDefault := Target{Offer: offer, Mode: ModeNamespace, Class: class}
		mutating.Webhooks = append(mutating.Webhooks, mutatingWebhook("namespace-"+class, clientConfig(namespaceDefault.Path()),
			namespaces(map[string]string{mutatorpod.LabelSandbox: class}),
			admissionregistrationv1.MatchCondition{Name: "no-own-choice", Expression: "!has(object.spec.runtimeClassName) && !(" + asksForSandbox + ")"}))

		enforce := Target{Offer: offer, Mode: ModeEnforce, Class: class}
		validating.Webhooks = append(validating.Webhooks, admissionregistrationv1.ValidatingWebhook{
			Name:                    webhookName("enforce-" + class),
			ClientConfig:            clientConfig(enforce.Path()),
			Rules:                   podCreate(),
			FailurePolicy:           new(admissionregistrationv1.Fail),
			MatchPolicy:             new(admissionregistrationv1.Equivalent),
			NamespaceSelector:       namespaces(map[string]string{validatorpod.LabelSandboxEnforce: class}),
			SideEffects:             new(admissionregistrationv1.SideEffectClassNone),
			TimeoutSeconds:          new(timeoutSeconds),
			AdmissionReviewVersions: []string{"v1"},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name:       "outside-the-class",
				Expression: fmt.Sprintf("!has(object.spec.runtimeClassName) || object.spec.runtimeClassName != %q", class),
			}},
		})
	}
	// Namespaces labelled with a value that names no known class are refused rather than silently not sandboxed.
	unknownDefault := Target{Offer: offer, Mode: ModeNamespaceUnknown}
	mutating.Webhooks = append(mutating.Webhooks, mutatingWebhook("namespace-unknown", clientConfig(unknownDefault.Path()),
		namespacesWithUnknown(mutatorpod.LabelSandbox, knownClasses),
		admissionregistrationv1.MatchCondition{Name: "no-own-choice", Expression: "!has(object.spec.runtimeClassName) && !(" + asksForSandbox + ")"}))
	unknownEnforce := Target{Offer: offer, Mode: ModeEnforceUnknown}
	validating.Webhooks = append(validating.Webhooks, admissionregistrationv1.ValidatingWebhook{
		Name:                    webhookName("enforce-unknown"),
		ClientConfig:            clientConfig(unknownEnforce.Path()),
		Rules:                   podCreate(),
		FailurePolicy:           new(admissionregistrationv1.Fail),
		MatchPolicy:             new(admissionregistrationv1.Equivalent),
		NamespaceSelector:       namespacesWithUnknown(validatorpod.LabelSandboxEnforce, knownClasses),
		SideEffects:             new(admissionregistrationv1.SideEffectClassNone),
		TimeoutSeconds:          new(timeoutSeconds),
		AdmissionReviewVersions: []string{"v1"},
	})
	return mutating, validating
}

// namespacesWithUnknown selects namespaces whose label key has a value that is none of known, never kube-system.
func namespacesWithUnknown(key string, known []string) *metav1.LabelSelector {
	selector := namespaces(nil)
	selector.MatchExpressions = append(selector.MatchExpressions,
		metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpExists},
		metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpNotIn, Values: known},
	)
	return selector
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

// namespaces selects namespaces with the given labels, never kube-system.
func namespaces(labels map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{
		MatchLabels: labels,
		MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key:      corev1.LabelMetadataName,
			Operator: metav1.LabelSelectorOpNotIn,
			Values:   []string{metav1.NamespaceSystem},
		}},
	}
}
