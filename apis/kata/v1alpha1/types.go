package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// KataConfiguration is the providerConfig of a Kata Containers container runtime in a Shoot worker pool.
type KataConfiguration struct {
	metav1.TypeMeta `json:",inline"`

	// Hypervisors are the hypervisors to offer, each as its own RuntimeClass (see RuntimeClassName). When omitted,
	// DefaultHypervisors apply; when given, the list must not be empty and must not repeat a hypervisor.
	// +optional
	Hypervisors []Hypervisor `json:"hypervisors,omitempty"`
}

// Hypervisor is a hypervisor Kata Containers runs its sandbox VMs with.
type Hypervisor string

const (
	// HypervisorQEMU is QEMU.
	HypervisorQEMU Hypervisor = "qemu"
	// HypervisorCloudHypervisor is Cloud Hypervisor.
	HypervisorCloudHypervisor Hypervisor = "clh"
	// HypervisorFirecracker is Firecracker.
	HypervisorFirecracker Hypervisor = "fc"
)

// RuntimeClassNamePrefix prefixes a hypervisor's name to form the name of its RuntimeClass.
const RuntimeClassNamePrefix = "kata-"

// AllHypervisors returns all supported hypervisors: qemu, clh and fc, in this order. The caller owns the returned
// slice.
func AllHypervisors() []Hypervisor {
	return []Hypervisor{HypervisorQEMU, HypervisorCloudHypervisor, HypervisorFirecracker}
}

// DefaultHypervisors returns the hypervisors offered when a KataConfiguration does not name any: qemu and clh.
// The caller owns the returned slice.
func DefaultHypervisors() []Hypervisor {
	return []Hypervisor{HypervisorQEMU, HypervisorCloudHypervisor}
}

// RuntimeClassName returns the name of the RuntimeClass of a hypervisor, e.g. "kata-qemu".
func RuntimeClassName(h Hypervisor) string {
	return RuntimeClassNamePrefix + string(h)
}
