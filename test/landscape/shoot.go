package landscape

import (
	"context"
	"fmt"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	seedapp "github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-runtime-sandbox/app"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

// BootstrapShoot makes the landscape play the sample Shoot: it creates the RuntimeClasses its pools offer (and runc) and
// deploys the pod webhook configurations built for it, pointing to seed's webhook server with the CA of seed's
// webhooks, and waits until an annotated pod is defaulted.
func (l *Landscape) BootstrapShoot(ctx context.Context, seed *Component) error {
	shoot, err := SampleShoot()
	if err != nil {
		return err
	}
	offered := runtimes.OfferedClasses(shoot)
	// Besides the sandbox classes, a plain runc class, as many clusters have one.
	for _, rc := range append(slices.Clone(offered), nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "runc"}, Handler: "runc"}) {
		if err := l.Client.Create(ctx, &rc); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating RuntimeClass %s: %w", rc.Name, err)
		}
	}

	seedConfig := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := l.Client.Get(ctx, client.ObjectKey{Name: "gardener-extension-" + seedapp.Name}, seedConfig); err != nil {
		return fmt.Errorf("reading the seed component's webhook configuration for its CA: %w", err)
	}
	caBundle := seedConfig.Webhooks[0].ClientConfig.CABundle
	target := podwebhook.Shoot{Offer: mutatorpod.OfferOf(runtimes.OfferedByPool(shoot)...), Version: podwebhook.VersionOf(shoot.Spec.Kubernetes.Version)}
	mutating, validating := podwebhook.ShootConfigs(target, func(path string) admissionregistrationv1.WebhookClientConfig {
		return admissionregistrationv1.WebhookClientConfig{URL: new(seed.URL + path), CABundle: caBundle}
	})
	for _, obj := range []client.Object{mutating, validating} {
		if err := l.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	return waitUntilReady(ctx, seed.done, l.probePodWebhooks)
}

// probePodWebhooks checks that a dry-run create of an annotated pod comes back in the gvisor RuntimeClass.
func (l *Landscape) probePodWebhooks(ctx context.Context) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ready-probe", Namespace: metav1.NamespaceDefault, Annotations: map[string]string{apipod.AnnotationSandbox: "gvisor"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	if err := l.Client.Create(ctx, pod, client.DryRunAll); err != nil {
		return err
	}
	if pod.Spec.RuntimeClassName == nil || *pod.Spec.RuntimeClassName != "gvisor" {
		return fmt.Errorf("the annotated probe pod came back without runtimeClassName gvisor")
	}
	return nil
}
