package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// addDefaultingFuncs registers the defaulting functions of this API with a scheme.
func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}

// SetDefaults_GVisorConfiguration sets the defaults of a GVisorConfiguration. There is nothing to default: flags
// are kept as given and a nil ConfigFlags map stays nil, which means runsc's own defaults apply.
func SetDefaults_GVisorConfiguration(_ *GVisorConfiguration) {}

// RegisterDefaults registers the defaulting functions of this API with a scheme, so that scheme.Default applies
// them. AddToScheme already calls it.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&GVisorConfiguration{}, func(obj any) { SetObjectDefaults_GVisorConfiguration(obj.(*GVisorConfiguration)) })
	return nil
}

// SetObjectDefaults_GVisorConfiguration sets all defaults of a GVisorConfiguration.
func SetObjectDefaults_GVisorConfiguration(in *GVisorConfiguration) {
	SetDefaults_GVisorConfiguration(in)
}
