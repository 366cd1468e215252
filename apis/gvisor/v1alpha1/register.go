package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	// GroupName is the API group of the gVisor providerConfig.
	GroupName = "gvisor.runtime.extensions.config.gardener.cloud"
	// DeprecatedGroupName is the API group an older README documented for the gVisor providerConfig. Documents
	// using it still decode into GVisorConfiguration, but callers should warn about it.
	DeprecatedGroupName = "gvisor.os.extensions.gardener.cloud"
	// Kind is the kind of GVisorConfiguration.
	Kind = "GVisorConfiguration"
)

var (
	// SchemeGroupVersion is the group version of this API.
	SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}
	// DeprecatedSchemeGroupVersion is the deprecated group version under which GVisorConfiguration is also
	// registered.
	DeprecatedSchemeGroupVersion = schema.GroupVersion{Group: DeprecatedGroupName, Version: "v1alpha1"}

	// SchemeBuilder collects the functions that add this API to a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes, addDefaultingFuncs)
	// AddToScheme adds this API, under both SchemeGroupVersion and DeprecatedSchemeGroupVersion, and its defaulting
	// functions to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers GVisorConfiguration under the current group version first, so that it is the
// preferred one, and under the deprecated group version second.
func addKnownTypes(scheme *runtime.Scheme) error {
	for _, gv := range []schema.GroupVersion{SchemeGroupVersion, DeprecatedSchemeGroupVersion} {
		scheme.AddKnownTypes(gv, &GVisorConfiguration{})
	}
	return nil
}
