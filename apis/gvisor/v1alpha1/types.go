package v1alpha1

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// GVisorConfiguration is the providerConfig of a gVisor container runtime in a Shoot worker pool.
type GVisorConfiguration struct {
	metav1.TypeMeta `json:",inline"`

	// ConfigFlags are runsc flags to set, keyed by flag name (see AllowedFlags). Each value is "true" or "false"
	// (see AllowedFlagValues); the values are strings, so they must be quoted in YAML.
	// +optional
	ConfigFlags map[string]string `json:"configFlags,omitempty"`
}

const (
	// FlagDebug enables runsc debug logging.
	FlagDebug = "debug"
	// FlagNetRaw allows sandboxed containers to use raw sockets (e.g. for ping).
	FlagNetRaw = "net-raw"
	// FlagNvproxy enables runsc's proxy for NVIDIA GPU devices.
	FlagNvproxy = "nvproxy"

	// FlagValueTrue turns a flag on.
	FlagValueTrue = "true"
	// FlagValueFalse turns a flag off.
	FlagValueFalse = "false"
)

// AllowedFlags returns the runsc flags a GVisorConfiguration may set, sorted. The caller owns the returned slice.
func AllowedFlags() []string {
	flags := []string{FlagDebug, FlagNetRaw, FlagNvproxy}
	slices.Sort(flags)
	return flags
}

// AllowedFlagValues returns the values a flag in a GVisorConfiguration may take. The caller owns the returned
// slice.
func AllowedFlagValues() []string {
	return []string{FlagValueTrue, FlagValueFalse}
}
