package landscape

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
)

// RuncRuntimeClass is a plain runc RuntimeClass, as many clusters have one of their own; the landscape's shoot has
// it besides the sandbox classes the extension deploys.
var RuncRuntimeClass = nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "runc"}, Handler: "runc"}

// WaitForShoot makes the landscape play the sample Shoot's cluster: it creates the cluster's own runc
// RuntimeClass and waits until gardener-resource-manager has applied what the seed component's ContainerRuntime
// controller deployed for the Shoot (the sandbox RuntimeClasses and the pod webhook configurations), i.e. until an
// annotated pod is defaulted. It needs DeployContainerRuntimes and StartShootControllers first.
func (l *Landscape) WaitForShoot(ctx context.Context, seed *Component) error {
	runc := RuncRuntimeClass.DeepCopy()
	if err := l.Client.Create(ctx, runc); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating RuntimeClass %s: %w", runc.Name, err)
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
