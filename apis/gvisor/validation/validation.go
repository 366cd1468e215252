// Package validation validates the gVisor providerConfig API.
package validation

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
)

// ValidateGVisorConfiguration validates a GVisorConfiguration at fldPath: every flag must be one of
// v1alpha1.AllowedFlags and have one of v1alpha1.AllowedFlagValues. It reports all problems, ordered by flag name;
// an unknown flag gets one error, whatever its value.
func ValidateGVisorConfiguration(cfg *v1alpha1.GVisorConfiguration, fldPath *field.Path) field.ErrorList {
	if cfg == nil {
		return nil
	}
	var (
		allErrs       field.ErrorList
		flagsPath     = fldPath.Child("configFlags")
		allowedFlags  = v1alpha1.AllowedFlags()
		allowedValues = v1alpha1.AllowedFlagValues()
	)
	for _, key := range slices.Sorted(maps.Keys(cfg.ConfigFlags)) {
		path := flagsPath.Key(key)
		if !slices.Contains(allowedFlags, key) {
			// The value of an unknown flag does not matter.
			allErrs = append(allErrs, field.NotSupported(path, key, allowedFlags))
			continue
		}
		if value := cfg.ConfigFlags[key]; !slices.Contains(allowedValues, value) {
			allErrs = append(allErrs, field.NotSupported(path, value, allowedValues))
		}
	}
	return allErrs
}
