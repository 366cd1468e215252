package node

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
)

// ReadyLabelPrefix prefixes the node label the installer sets once a runtime's binaries are on the node:
// runtime.gardener.cloud/<type>-ready=true.
const ReadyLabelPrefix = "runtime.gardener.cloud/"

// ReadyLabel returns the node label that says runtimeType's binaries are installed on a node.
func ReadyLabel(runtimeType string) string { return ReadyLabelPrefix + runtimeType + "-ready" }

// ContainerRuntimeLabel returns the label Gardener puts on the nodes of pools that request runtimeType.
func ContainerRuntimeLabel(runtimeType string) string {
	return fmt.Sprintf(extensionsv1alpha1.ContainerRuntimeNameWorkerLabel, runtimeType)
}

// RuntimeClass returns a RuntimeClass for a handler of runtimeType: pods that use it are scheduled only on nodes of
// pools that request runtimeType and whose binaries are installed, and carry the given pod overhead (cpu and
// memory are quantities known at build time, e.g. "250m"; an empty one adds nothing).
func RuntimeClass(name, handler, runtimeType, cpu, memory string) nodev1.RuntimeClass {
	rc := nodev1.RuntimeClass{
		TypeMeta:   metav1.TypeMeta{APIVersion: nodev1.SchemeGroupVersion.String(), Kind: "RuntimeClass"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Handler:    handler,
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{
			ContainerRuntimeLabel(runtimeType): "true",
			ReadyLabel(runtimeType):            "true",
		}},
	}
	overhead := corev1.ResourceList{}
	for name, quantity := range map[corev1.ResourceName]string{corev1.ResourceCPU: cpu, corev1.ResourceMemory: memory} {
		if quantity != "" {
			overhead[name] = resource.MustParse(quantity)
		}
	}
	if len(overhead) > 0 {
		rc.Overhead = &nodev1.Overhead{PodFixed: overhead}
	}
	return rc
}
