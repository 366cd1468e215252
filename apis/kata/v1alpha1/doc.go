// Package v1alpha1 contains the providerConfig API of the Kata Containers sandbox runtime in version v1alpha1.
//
// A Shoot worker pool passes it in cri.containerRuntimes[].providerConfig of a container runtime of type "kata":
//
//	apiVersion: kata.runtime.extensions.config.gardener.cloud/v1alpha1
//	kind: KataConfiguration
//	hypervisors:
//	- qemu
//	- fc
//
// +k8s:deepcopy-gen=package
// +groupName=kata.runtime.extensions.config.gardener.cloud
package v1alpha1

//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.36.3 --go-header-file /dev/null --output-file zz_generated.deepcopy.go .
