// Package v1alpha1 contains the providerConfig API of the gVisor sandbox runtime (runsc) in version v1alpha1.
//
// A Shoot worker pool passes it in cri.containerRuntimes[].providerConfig of a container runtime of type "gvisor":
//
//	apiVersion: gvisor.runtime.extensions.config.gardener.cloud/v1alpha1
//	kind: GVisorConfiguration
//	configFlags:
//	  debug: "true"
//	  net-raw: "true"
//
// The same type is also accepted under the deprecated apiVersion gvisor.os.extensions.gardener.cloud/v1alpha1.
//
// +k8s:deepcopy-gen=package
// +groupName=gvisor.runtime.extensions.config.gardener.cloud
package v1alpha1

//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.36.3 --go-header-file /dev/null --output-file zz_generated.deepcopy.go .
