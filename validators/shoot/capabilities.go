package shoot

import (
	"fmt"
	"slices"
	"strings"

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

// missingCapabilities returns the requirements the named machine type of the CloudProfile does not meet. A machine
// type the CloudProfile does not list is left to Gardener's own Shoot validation, which refuses it.
func missingCapabilities(profile *gardencorev1beta1.CloudProfileSpec, machineType string, required []CapabilityRequirement) []CapabilityRequirement {
	idx := slices.IndexFunc(profile.MachineTypes, func(mt gardencorev1beta1.MachineType) bool { return mt.Name == machineType })
	if idx < 0 {
		return nil
	}
	capabilities := gardencorev1beta1.GetCapabilitiesWithAppliedDefaults(profile.MachineTypes[idx].Capabilities, profile.MachineCapabilities)
	var missing []CapabilityRequirement
	for _, r := range required {
		if !slices.Contains(capabilities[r.Name], r.Value) {
			missing = append(missing, r)
		}
	}
	return missing
}
