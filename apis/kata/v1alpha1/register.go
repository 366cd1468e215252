package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	// GroupName is the API group of the Kata providerConfig.
	GroupName = "kata.runtime.extensions.config.gardener.cloud"
	// Kind is the kind of KataConfiguration.
	Kind = "KataConfiguration"
)

var (
	// SchemeGroupVersion is the group version of this API.
	SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

	// SchemeBuilder collects the functions that add this API to a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes, addDefaultingFuncs)
	// AddToScheme adds this API and its defaulting functions to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers KataConfiguration under SchemeGroupVersion.
func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(SchemeGroupVersion, &KataConfiguration{})
	return nil
}
