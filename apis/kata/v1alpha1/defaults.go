package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// addDefaultingFuncs registers the defaulting functions of this API with a scheme.
func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}

// SetDefaults_KataConfiguration sets the defaults of a KataConfiguration: absent (nil) Hypervisors become
// DefaultHypervisors. An explicitly empty, non-nil list is kept as it is, so that validation can refuse it.
func SetDefaults_KataConfiguration(obj *KataConfiguration) {
	if obj.Hypervisors == nil {
		obj.Hypervisors = DefaultHypervisors()
	}
}

// RegisterDefaults registers the defaulting functions of this API with a scheme, so that scheme.Default applies
// them. AddToScheme already calls it.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&KataConfiguration{}, func(obj any) { SetObjectDefaults_KataConfiguration(obj.(*KataConfiguration)) })
	return nil
}

// SetObjectDefaults_KataConfiguration sets all defaults of a KataConfiguration.
func SetObjectDefaults_KataConfiguration(in *KataConfiguration) {
	SetDefaults_KataConfiguration(in)
}
