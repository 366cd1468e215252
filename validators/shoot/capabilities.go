package shoot

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
)

// CapabilityRequirement is a machine type capability that worker pools of one container runtime type need, e.g.
// Kata needs nested virtualization.
type CapabilityRequirement struct {
	// Name is the capability name, as in the CloudProfile's spec.machineCapabilities[].name.
	Name string
	// Value is the value the machine type must offer for that capability.
	Value string
}

// String returns "name=value".
func (r CapabilityRequirement) String() string { return r.Name + "=" + r.Value }

// ParseCapabilityRequirements parses requirements written as "<runtime type>:<capability>=<value>", e.g.
// "kata:nestedVirtualization=supported", into requirements per container runtime type. knownTypes are the
// container runtime types a requirement may name.
func ParseCapabilityRequirements(specs []string, knownTypes []string) (map[string][]CapabilityRequirement, error) {
	out := map[string][]CapabilityRequirement{}
	for _, spec := range specs {
		runtimeType, requirement, ok := strings.Cut(spec, ":")
		name, value, ok2 := strings.Cut(requirement, "=")
		if !ok || !ok2 || runtimeType == "" || name == "" || value == "" {
			return nil, fmt.Errorf("invalid machine capability requirement %q: want <runtime type>:<capability>=<value>, e.g. kata:nestedVirtualization=supported", spec)
		}
		if !slices.Contains(knownTypes, runtimeType) {
			return nil, fmt.Errorf("invalid machine capability requirement %q: unknown container runtime type %q, known types: %s", spec, runtimeType, strings.Join(knownTypes, ", "))
		}
		out[runtimeType] = append(out[runtimeType], CapabilityRequirement{Name: name, Value: value})
	}
	return out, nil
}

// checkCapabilities checks that the machine type of pool offers every required capability. A machine type the
// CloudProfile does not list is left to Gardener's own Shoot validation, which refuses it.
func checkCapabilities(profile *gardencorev1beta1.CloudProfileSpec, pool gardencorev1beta1.Worker, poolPath *field.Path, runtimeType string, required []CapabilityRequirement) field.ErrorList {
	idx := slices.IndexFunc(profile.MachineTypes, func(mt gardencorev1beta1.MachineType) bool { return mt.Name == pool.Machine.Type })
	if idx < 0 {
		return nil
	}
	fldPath := poolPath.Child("machine", "type")
	var undefined, missing []string
	capabilities := gardencorev1beta1.GetCapabilitiesWithAppliedDefaults(profile.MachineTypes[idx].Capabilities, profile.MachineCapabilities)
	for _, r := range required {
		switch values, defined := capabilities[r.Name]; {
		case !defined:
			undefined = append(undefined, r.Name)
		case !slices.Contains(values, r.Value):
			missing = append(missing, r.String())
		}
	}
	var errs field.ErrorList
	if len(undefined) > 0 {
		errs = append(errs, field.Invalid(fldPath, pool.Machine.Type, fmt.Sprintf(
			"worker pool %q requests container runtime %q, which needs machine capabilities %s, but the Shoot's CloudProfile defines no capability %s (spec.machineCapabilities), so no machine type can be checked; the Gardener operator must add it",
			pool.Name, runtimeType, joinRequirements(required), strings.Join(undefined, ", "))))
	}
	if len(missing) > 0 {
		errs = append(errs, field.Invalid(fldPath, pool.Machine.Type, fmt.Sprintf(
			"worker pool %q requests container runtime %q, which needs machine capabilities %s; machine type %q lacks %s, choose a machine type that offers them",
			pool.Name, runtimeType, joinRequirements(required), pool.Machine.Type, strings.Join(missing, ", "))))
	}
	return errs
}

func joinRequirements(required []CapabilityRequirement) string {
	out := make([]string, 0, len(required))
	for _, r := range required {
		out = append(out, r.String())
	}
	return strings.Join(out, ", ")
}
