package v1alpha1

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// GVisorConfiguration is the providerConfig of a gVisor container runtime in a Shoot worker pool.
type GVisorConfiguration struct {
	metav1.TypeMeta `json:",inline"`

	// ConfigFlags are runsc flags to set, keyed by flag name (see AllowedFlags). The boolean flags take "true" or
	// "false" (see AllowedFlagValues), panic-signal a signal number (see MinPanicSignal, MaxPanicSignal) or
	// PanicSignalDisabled; the values are strings, so they must be quoted in YAML.
	// +optional
	ConfigFlags map[string]string `json:"configFlags,omitempty"`

	// TestImageTag is accepted for compatibility with gardener-extension-runtime-gvisor, where it chose a test build
	// of that extension's installation image. It has no effect here: the runsc binaries come from this extension's
	// installer image, which the operator pins.
	// +optional
	TestImageTag *string `json:"testImageTag,omitempty"`
}

const (
	// FlagDebug enables runsc debug logging.
	FlagDebug = "debug"
	// FlagNetRaw allows sandboxed containers to use raw sockets (e.g. for ping).
	FlagNetRaw = "net-raw"
	// FlagNvproxy enables runsc's proxy for NVIDIA GPU devices.
	FlagNvproxy = "nvproxy"
	// FlagPanicSignal is a signal number on which runsc panics, dumping the stacks of the sandbox (e.g. "12" for
	// SIGUSR2, to find out why a sandbox hangs).
	FlagPanicSignal = "panic-signal"

	// FlagValueTrue turns a flag on.
	FlagValueTrue = "true"
	// FlagValueFalse turns a flag off.
	FlagValueFalse = "false"

	// MinPanicSignal and MaxPanicSignal bound the signal numbers panic-signal takes: Linux's signals.
	MinPanicSignal, MaxPanicSignal = 1, 64
	// PanicSignalDisabled is the panic-signal that turns the panic off, runsc's default.
	PanicSignalDisabled = -1
)

// AllowedFlags returns the runsc flags a GVisorConfiguration may set, sorted. The caller owns the returned slice.
func AllowedFlags() []string {
	flags := []string{FlagDebug, FlagNetRaw, FlagNvproxy, FlagPanicSignal}
	slices.Sort(flags)
	return flags
}

// AllowedFlagValues returns the values a boolean flag (every flag but panic-signal) in a GVisorConfiguration may
// take. The caller owns the returned slice.
func AllowedFlagValues() []string {
	return []string{FlagValueTrue, FlagValueFalse}
}
