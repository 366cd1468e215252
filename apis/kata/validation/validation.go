// Package validation validates the Kata providerConfig API.
package validation

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
)

// DuplicateDetail says what is wrong with a hypervisor that is listed twice.
const DuplicateDetail = "listed twice: each hypervisor may appear only once"

// ValidateKataConfiguration validates a KataConfiguration at fldPath before defaults are applied: hypervisors, when
// given, must not be empty, each must be one of v1alpha1.AllHypervisors, and none may repeat. It reports all
// problems, in list order.
func ValidateKataConfiguration(cfg *v1alpha1.KataConfiguration, fldPath *field.Path) field.ErrorList {
	if cfg == nil || cfg.Hypervisors == nil {
		return nil
	}
	hypervisorsPath := fldPath.Child("hypervisors")
	if len(cfg.Hypervisors) == 0 {
		return field.ErrorList{field.Required(hypervisorsPath,
			"must not be empty when given; omit the field for the default "+defaultHypervisors())}
	}

	var (
		allErrs   field.ErrorList
		supported = v1alpha1.AllHypervisors()
		seen      = make(map[v1alpha1.Hypervisor]bool, len(cfg.Hypervisors))
	)
	for i, h := range cfg.Hypervisors {
		path := hypervisorsPath.Index(i)
		switch {
		case !slices.Contains(supported, h):
			allErrs = append(allErrs, field.NotSupported(path, string(h), supported))
		case seen[h]:
			allErrs = append(allErrs, field.Invalid(path, string(h), DuplicateDetail))
		}
		seen[h] = true
	}
	return allErrs
}

// defaultHypervisors renders v1alpha1.DefaultHypervisors like fmt does, e.g. "[qemu clh]".
func defaultHypervisors() string {
	return fmt.Sprint(v1alpha1.DefaultHypervisors())
}
