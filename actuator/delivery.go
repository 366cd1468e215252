package actuator

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/util/wait"
	psaapi "k8s.io/pod-security-admission/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/client/kubernetes"
	"github.com/gardener/gardener/pkg/utils/kubernetes/health"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podpolicy"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
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

// DefaultInForceTimeout bounds how long each step of a switch waits (the ManagedResource applied, the new delivery in
// force in the shoot) before the reconciliation reports an error and keeps both deliveries until a later one.
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

// writeDeliveries writes the shared ManagedResource of namespace: data (the RuntimeClasses) and the pod rules for
// shoot, delivered as the Cluster's shoot gets them (delivery). On a switch, the new delivery first joins the old
// one, and the old one goes only once the new one is in force, so that no pod that asks for a sandbox is admitted
// without one in between (kube-apiserver loads policies and webhook configurations through separate informers).
// DeliveryAnnotation keeps which deliveries the ManagedResource holds across reconciliations: one that does not see
// the new delivery in force fails and leaves both, and the next one carries on.
func (a *actuator) writeDeliveries(ctx context.Context, namespace string, cluster *extensionscontroller.Cluster, data map[string][]byte, shoot podwebhook.Shoot) error {
	want, err := a.delivery(cluster)
	if err != nil {
		return err
	}
	mr := &resourcesv1alpha1.ManagedResource{}
	if err := a.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ShootManagedResourceName}, mr); err != nil {
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("reading ManagedResource %s: %w", ShootManagedResourceName, err)
		}
		mr = nil
	}
	deployed := deployedDeliveries(mr)
	if len(deployed) > 0 && !slices.Equal(deployed, []string{want}) {
		shootClient, err := a.cfg.ShootClient(ctx, namespace)
		if err != nil {
			return fmt.Errorf("creating a client for the shoot of %s to see the %s delivery in force: %w", namespace, want, err)
		}
		both := withDelivery(deployed, want)
		if err := a.writeShoot(ctx, namespace, data, shoot, both, deployed, nil); err != nil {
			return err
		}
		if want == PodAdmissionPolicy {
			// The probe bindings come only once the policies and their own bindings exist in the shoot:
			// kube-apiserver's informers take objects in the order they were written, so a probe binding in force
			// means the bindings written before it are too.
			policies, err := podpolicy.ShootPolicies(shoot.Offer)
			if err != nil {
				return err
			}
			if err := a.waitCreated(ctx, shootClient, policies); err != nil {
				return err
			}
			if err := a.writeShoot(ctx, namespace, data, shoot, both, both, podpolicy.ProbeBindings()); err != nil {
				return err
			}
		}
		if err := a.waitInForce(ctx, shootClient, namespace, want, shoot.Offer.Classes); err != nil {
			return err
		}
		deployed = both
	}
	return a.writeShoot(ctx, namespace, data, shoot, []string{want}, deployed, nil)
}

// deployedDeliveries returns the deliveries the shared ManagedResource mr holds: none when there is none, the
// webhooks when it predates DeliveryAnnotation.
func deployedDeliveries(mr *resourcesv1alpha1.ManagedResource) []string {
	if mr == nil {
		return nil
	}
	value, ok := mr.Annotations[DeliveryAnnotation]
	if !ok {
		return []string{PodAdmissionWebhook}
	}
	return strings.Split(value, ",")
}

// writeShoot writes the shared ManagedResource of namespace with data, the objects of deliveries for shoot and
// extra, and records the deliveries on it unless they are those it recorded before.
func (a *actuator) writeShoot(ctx context.Context, namespace string, data map[string][]byte, shoot podwebhook.Shoot, deliveries, recorded []string, extra []client.Object) error {
	objs := slices.Clone(extra)
	for _, d := range deliveries {
		delivered, err := a.deliveryObjects(ctx, d, shoot)
		if err != nil {
			return err
		}
		objs = append(objs, delivered...)
	}
	// One registry: it serialises all its objects into one key of the secret data.
	serialised, err := managedresources.NewRegistry(kubernetes.ShootScheme, kubernetes.ShootCodec, kubernetes.ShootSerializer).AddAllAndSerialize(objs...)
	if err != nil {
		return fmt.Errorf("serialising the pod admission deliveries %s: %w", strings.Join(deliveries, ", "), err)
	}
	data = maps.Clone(data)
	maps.Copy(data, serialised)
	if err := managedresources.CreateForShoot(ctx, a.client, namespace, ShootManagedResourceName, Origin, false, data); err != nil {
		return fmt.Errorf("creating ManagedResource %s: %w", ShootManagedResourceName, err)
	}
	if slices.Equal(deliveries, recorded) {
		return nil
	}
	mr := &resourcesv1alpha1.ManagedResource{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: ShootManagedResourceName}}
	patch := client.MergeFrom(mr.DeepCopy())
	metav1.SetMetaDataAnnotation(&mr.ObjectMeta, DeliveryAnnotation, strings.Join(deliveries, ","))
	if err := a.client.Patch(ctx, mr, patch); err != nil {
		return fmt.Errorf("recording the pod admission deliveries on ManagedResource %s: %w", ShootManagedResourceName, err)
	}
	return nil
}

// deliveryObjects returns the objects of a pod admission delivery for shoot: the pod webhook configurations (none
// when the actuator has no client configuration for them) or the admission policies.
func (a *actuator) deliveryObjects(ctx context.Context, delivery string, shoot podwebhook.Shoot) ([]client.Object, error) {
	if delivery == PodAdmissionPolicy {
		return podpolicy.ShootPolicies(shoot.Offer)
	}
	if a.cfg.PodWebhookClientConfig == nil {
		return nil, nil
	}
	clientConfig, err := a.cfg.PodWebhookClientConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("determining how the shoot reaches the pod webhooks: %w", err)
	}
	mutating, validating := podwebhook.ShootConfigs(shoot, clientConfig)
	return []client.Object{mutating, validating}, nil
}

// inForceTimeout is how long a switch waits for each step.
func (a *actuator) inForceTimeout() time.Duration {
	if a.cfg.InForceTimeout > 0 {
		return a.cfg.InForceTimeout
	}
	return DefaultInForceTimeout
}

// waitCreated waits until every one of objs exists in the shoot.
func (a *actuator) waitCreated(ctx context.Context, shoot client.Client, objs []client.Object) error {
	var last error
	if err := wait.PollUntilContextTimeout(ctx, time.Second, a.inForceTimeout(), true, func(ctx context.Context) (bool, error) {
		for _, obj := range objs {
			if last = shoot.Get(ctx, client.ObjectKeyFromObject(obj), obj.DeepCopyObject().(client.Object)); last != nil {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return fmt.Errorf("the admission policies are not in the shoot yet (the deliveries it has stay until they are): %w", last)
	}
	return nil
}

// applied tells whether the shared ManagedResource of namespace is applied at its current generation.
func (a *actuator) applied(ctx context.Context, namespace string) error {
	mr := &resourcesv1alpha1.ManagedResource{}
	if err := a.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ShootManagedResourceName}, mr); err != nil {
		return err
	}
	return health.CheckManagedResourceApplied(mr)
}

// waitInForce waits until the shared ManagedResource of namespace is applied at its current generation and the
// shoot's API server enforces the pod rules through delivery (see probeInForce).
func (a *actuator) waitInForce(ctx context.Context, shoot client.Client, namespace, delivery string, offered []string) error {
	var last error
	if err := wait.PollUntilContextTimeout(ctx, time.Second, a.inForceTimeout(), true, func(ctx context.Context) (bool, error) {
		if last = a.applied(ctx, namespace); last == nil {
			last = probeInForce(ctx, shoot, delivery, offered)
		}
		return last == nil, nil
	}); err != nil {
		return fmt.Errorf("the pod admission delivery %s is not in force in the shoot yet (both deliveries stay until it is): %w", delivery, last)
	}
	return nil
}

// probeInForce tells, by creations in dry-run, whether the shoot's API server enforces the pod rules through
// delivery:
//   - policy: in kube-system, which the webhooks and the policies' own bindings skip, pods labelled for the probe
//     bindings (podpolicy.ProbeBindings): one annotated for a sandbox the shoot offers comes back in it (the annotated
//     mutating policy), and each validating pod policy refuses its own probe (a misspelt annotation; a pod without a
//     choice in a namespace without a default; a pod in a namespace that enforces no known class); and a namespace
//     that enforces a sandbox comes back with its Pod Security labels (the namespace policy, through its own binding).
//     The namespace-default mutating policy is not probed: while it is missing, its validating policy refuses the
//     pods it would have defaulted.
//   - webhook: a pod with a misspelt annotation in the default namespace is refused by the pod webhook (mutating
//     phase, before any validating policy).
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
		for policy, annotations := range map[string]map[string]string{podpolicy.AnnotatedName: misspelt, podpolicy.NamespaceName: nil, podpolicy.EnforceName: nil} {
			_, err := probe(metav1.NamespaceSystem, map[string]string{podpolicy.ProbeLabel: policy}, annotations)
			if err == nil || !strings.Contains(err.Error(), "'"+policy+"'") {
				return fmt.Errorf("the probe pod of the validating policy %s was not refused by it: %v", policy, err)
			}
		}
		if len(offered) > 0 {
			pod, err := probe(metav1.NamespaceSystem, map[string]string{podpolicy.ProbeLabel: podpolicy.AnnotatedName}, map[string]string{apipod.AnnotationSandbox: offered[0]})
			if err != nil {
				return fmt.Errorf("a probe pod annotated for %s: %w", offered[0], err)
			}
			if pod.Spec.RuntimeClassName == nil || *pod.Spec.RuntimeClassName != offered[0] {
				return fmt.Errorf("a probe pod annotated for %s was not defaulted by the mutating policy %s", offered[0], podpolicy.AnnotatedName)
			}
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "runtime-sandbox-probe-", Labels: map[string]string{apipod.LabelSandboxEnforce: offeredOr(offered)}}}
		if err := shoot.Create(ctx, ns, client.DryRunAll); err != nil {
			return fmt.Errorf("a namespace that enforces a sandbox: %w", err)
		}
		if ns.Labels[psaapi.EnforceLevelLabel] == "" {
			return fmt.Errorf("a namespace that enforces a sandbox did not get its Pod Security labels from the mutating policy %s", podpolicy.NamespacesName)
		}
		return nil
	}
	return fmt.Errorf("unknown delivery %q", delivery)
}

// offeredOr returns the first offered class, or any known one: the namespace probe needs a class name to enforce.
func offeredOr(offered []string) string {
	if len(offered) > 0 {
		return offered[0]
	}
	return runtimes.ClassNames()[0]
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
