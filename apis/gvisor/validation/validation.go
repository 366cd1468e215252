// Package validation validates the gVisor providerConfig API.
package validation

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
)

// PanicSignalDetail says what panic-signal takes.
var PanicSignalDetail = fmt.Sprintf("must be a signal number from %d to %d, or %d to turn the panic off (e.g. \"12\" for SIGUSR2)",
	v1alpha1.MinPanicSignal, v1alpha1.MaxPanicSignal, v1alpha1.PanicSignalDisabled)

// ValidateGVisorConfiguration validates a GVisorConfiguration at fldPath: every flag must be one of
// v1alpha1.AllowedFlags; panic-signal must be a signal number (see PanicSignalDetail), every other flag one of
// v1alpha1.AllowedFlagValues. It reports all problems, ordered by flag name; an unknown flag gets one error,
// whatever its value.
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
		value := cfg.ConfigFlags[key]
		switch {
		case key == v1alpha1.FlagPanicSignal:
			if !validPanicSignal(value) {
				allErrs = append(allErrs, field.Invalid(path, value, PanicSignalDetail))
			}
		case !slices.Contains(allowedValues, value):
			allErrs = append(allErrs, field.NotSupported(path, value, allowedValues))
		}
	}
	return allErrs
}

// validPanicSignal tells whether value is a signal number or the value that turns the panic off, written as runsc
// reads it: runsc parses its flags with Go's flag package, which would read e.g. "012" as octal.
func validPanicSignal(value string) bool {
	n, err := strconv.Atoi(value)
	return err == nil && strconv.Itoa(n) == value &&
		(n == v1alpha1.PanicSignalDisabled || n >= v1alpha1.MinPanicSignal && n <= v1alpha1.MaxPanicSignal)
}
