package actuator

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/kubernetes/health"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podpolicy"
)

// Pod admission deliveries (Config.PodAdmission): how the pod rules reach a shoot.
const (
	// PodAdmissionAuto delivers admission policies to shoots whose Kubernetes version serves them
	// (PolicyMinVersion), webhooks to the others.
	PodAdmissionAuto = "auto"
	// PodAdmissionWebhook delivers the pod webhook configurations, served from the seed, to every shoot.
	PodAdmissionWebhook = "webhook"
	// PodAdmissionPolicy delivers admission policies to every shoot; a shoot whose version does not serve them is a
	// configuration problem.
	PodAdmissionPolicy = "policy"
)

// PodAdmissions returns the values of Config.PodAdmission.
func PodAdmissions() []string {
	return []string{PodAdmissionAuto, PodAdmissionWebhook, PodAdmissionPolicy}
}

// PolicyMinVersion is the first Kubernetes version that serves admissionregistration.k8s.io/v1
// MutatingAdmissionPolicy.
var PolicyMinVersion = version.MajorMinor(1, 36)

// DeliveryAnnotation on the shared ManagedResource lists the deliveries it holds, comma-separated: one, or two while
// the shoot switches from one to the other.
const DeliveryAnnotation = "runtime-sandbox.extensions.gardener.cloud/pod-admission"

// DefaultInForceTimeout bounds how long a reconciliation waits for a new delivery to be in force in the shoot
// before it reports an error (and keeps both deliveries until a later one sees it).
const DefaultInForceTimeout = time.Minute

// delivery returns the delivery the shoot of cluster gets.
func (a *actuator) delivery(cluster *extensionscontroller.Cluster) (string, error) {
	mode := a.cfg.PodAdmission
	if mode == "" {
		mode = PodAdmissionAuto
	}
	serves := false
	if v, err := version.ParseGeneric(kubernetesVersion(cluster)); err == nil {
		serves = v.AtLeast(PolicyMinVersion)
	}
	switch mode {
	case PodAdmissionWebhook:
		return PodAdmissionWebhook, nil
	case PodAdmissionAuto:
		if serves {
			return PodAdmissionPolicy, nil
		}
		return PodAdmissionWebhook, nil
	case PodAdmissionPolicy:
		if !serves {
			return "", configurationProblem(field.Invalid(field.NewPath("spec", "kubernetes", "version"), kubernetesVersion(cluster),
				fmt.Sprintf("the seed's runtime-sandbox extension runs with --pod-admission=policy, which needs Kubernetes %s or later (admission policies); upgrade the shoot, or ask the operator for --pod-admission=auto", PolicyMinVersion)))
		}
		return PodAdmissionPolicy, nil
	}
	return "", fmt.Errorf("unknown pod admission delivery %q, want one of %s", mode, strings.Join(PodAdmissions(), ", "))
}

// deployedDeliveries returns the deliveries the shared ManagedResource of namespace holds: none when there is none,
// the webhooks when it predates the annotation.
func (a *actuator) deployedDeliveries(ctx context.Context, namespace string) ([]string, error) {
	mr := &resourcesv1alpha1.ManagedResource{}
	if err := a.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ShootManagedResourceName}, mr); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading ManagedResource %s: %w", ShootManagedResourceName, err)
	}
	value, ok := mr.Annotations[DeliveryAnnotation]
	if !ok {
		return []string{PodAdmissionWebhook}, nil
	}
	return strings.Split(value, ","), nil
}

// markDeliveries records on the shared ManagedResource of namespace which deliveries it holds.
func (a *actuator) markDeliveries(ctx context.Context, namespace string, deliveries []string) error {
	mr := &resourcesv1alpha1.ManagedResource{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: ShootManagedResourceName}}
	patch := client.MergeFrom(mr.DeepCopy())
	mr.Annotations = map[string]string{DeliveryAnnotation: strings.Join(deliveries, ",")}
	if err := a.client.Patch(ctx, mr, patch); err != nil {
		return fmt.Errorf("recording the pod admission deliveries on ManagedResource %s: %w", ShootManagedResourceName, err)
	}
	return nil
}

// waitInForce waits until the shared ManagedResource of namespace is applied at its current generation and the
// shoot's API server enforces the pod rules through delivery (see probeInForce).
func (a *actuator) waitInForce(ctx context.Context, namespace, delivery string, offered []string) error {
	timeout := a.cfg.InForceTimeout
	if timeout <= 0 {
		timeout = DefaultInForceTimeout
	}
	shoot, err := a.cfg.ShootClient(ctx, namespace)
	if err != nil {
		return fmt.Errorf("creating a client for the shoot of %s to see the %s delivery in force: %w", namespace, delivery, err)
	}
	var last error
	err = wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		mr := &resourcesv1alpha1.ManagedResource{}
		if err := a.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ShootManagedResourceName}, mr); err != nil {
			last = err
			return false, nil
		}
		if last = health.CheckManagedResourceApplied(mr); last != nil {
			return false, nil
		}
		last = probeInForce(ctx, shoot, delivery, offered)

		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("the pod admission delivery %s is not in force in the shoot yet (both deliveries stay until it is): %w", delivery, last)
	}
	return nil
}

// probeNamespace is where the probes run: kube-system, which the pod webhooks and the policies' own bindings skip,
// so that only the policies' probe bindings (podpolicy.ProbeLabel) act there.
const probeNamespace = metav1.NamespaceSystem

// probeInForce tells, by pod creations in dry-run, whether the shoot's API server enforces the pod rules through
// delivery:
//   - policy: in kube-system, which the webhooks skip, a pod labelled for the probe bindings and annotated for a
//     sandbox the shoot offers comes back in it (the mutating policy), and one with a misspelt annotation is refused
//     by the validating policy;
//   - webhook: a pod with a misspelt annotation in the default namespace is refused by the pod webhook (mutating
//     phase, before any policy).
func probeInForce(ctx context.Context, shoot client.Client, delivery string, offered []string) error {
	probe := func(namespace string, labels, annotations map[string]string) (*corev1.Pod, error) {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "runtime-sandbox-probe-", Namespace: namespace, Labels: labels, Annotations: annotations},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "probe", Image: "probe"}}},
		}
		return pod, shoot.Create(ctx, pod, client.DryRunAll)
	}
	misspelt := map[string]string{apipod.AnnotationPrefix + "delivery-probe": "x"}
	switch delivery {
	case PodAdmissionWebhook:
		_, err := probe(metav1.NamespaceDefault, nil, misspelt)
		if err == nil || !strings.Contains(err.Error(), "admission webhook") {
			return fmt.Errorf("a pod with a misspelt annotation was not refused by the pod webhook: %v", err)
		}
		return nil
	case PodAdmissionPolicy:
		labels := map[string]string{podpolicy.ProbeLabel: "true"}
		_, err := probe(probeNamespace, labels, misspelt)
		if err == nil || !strings.Contains(err.Error(), podpolicy.AnnotatedName) {
			return fmt.Errorf("a pod with a misspelt annotation was not refused by the validating policy %s: %v", podpolicy.AnnotatedName, err)
		}
		if len(offered) == 0 {
			return nil
		}
		pod, err := probe(probeNamespace, labels, map[string]string{apipod.AnnotationSandbox: offered[0]})
		if err != nil {
			return fmt.Errorf("a pod annotated for %s: %w", offered[0], err)
		}
		if pod.Spec.RuntimeClassName == nil || *pod.Spec.RuntimeClassName != offered[0] {
			return fmt.Errorf("a pod annotated for %s was not defaulted by the mutating policy %s", offered[0], podpolicy.AnnotatedName)
		}
		return nil
	}
	return fmt.Errorf("unknown delivery %q", delivery)
}

// withDelivery returns deliveries with d, at most once, in a stable order.
func withDelivery(deliveries []string, d string) []string {
	out := slices.Clone(deliveries)
	if !slices.Contains(out, d) {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}
