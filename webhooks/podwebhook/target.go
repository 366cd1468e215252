package podwebhook

import (
	"fmt"
	"slices"
	"strings"

	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// PathPrefix is where the pod webhooks are served. The rest of the path says what the calling shoot offers and
// which entry of its webhook configuration calls: <offered classes, comma-separated>/<mode>[/<class>]. So the
// webhook needs no client for the shoot: what it must know travels in the shoot's webhook configuration.
const PathPrefix = "/webhooks/pod/"

// Modes of the pod webhook entries.
const (
	// ModeAnnotated defaults pods that ask for a sandbox by annotation.
	ModeAnnotated = "annotated"
	// ModeNamespace defaults the pods of namespaces labelled runtime.gardener.cloud/sandbox=<class>.
	ModeNamespace = "namespace"
	// ModeEnforce refuses pods outside <class> in namespaces labelled runtime.gardener.cloud/sandbox-enforce=<class>.
	ModeEnforce = "enforce"
	// ModeNamespaceUnknown refuses pods without their own choice in namespaces whose runtime.gardener.cloud/sandbox
	// label names no known class, so that a typo does not silently mean no sandbox.
	ModeNamespaceUnknown = "namespace-unknown"
	// ModeEnforceUnknown refuses every pod in namespaces whose runtime.gardener.cloud/sandbox-enforce label names no
	// known class, so that a typo does not silently mean no enforcement.
	ModeEnforceUnknown = "enforce-unknown"
)

// noClasses stands for an empty offer in a path: an empty path segment would be cleaned away by the HTTP mux.
const noClasses = "none"

// Target is what one request's path says.
type Target struct {
	// Offer is what the calling shoot offers.
	Offer mutatorpod.Offer
	// Mode is the entry's mode.
	Mode string
	// Class is the namespace's class for ModeNamespace and ModeEnforce.
	Class string
}

// Path returns the serving path of t.
func (t Target) Path() string {
	classes := strings.Join(t.Offer.Classes, ",")
	if classes == "" {
		classes = noClasses
	}
	p := PathPrefix + classes + "/" + t.Mode
	if t.Class != "" {
		p += "/" + t.Class
	}
	return p
}

// ParseTarget reads a request path. Every class must be one this extension knows.
func ParseTarget(path string) (Target, error) {
	rest, ok := strings.CutPrefix(path, PathPrefix)
	if !ok {
		return Target{}, fmt.Errorf("path %q is not below %s", path, PathPrefix)
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Target{}, fmt.Errorf("path %q: want %s<classes>/<mode>[/<class>]", path, PathPrefix)
	}
	t := Target{Mode: parts[1]}
	if parts[0] != noClasses {
		t.Offer.Classes = strings.Split(parts[0], ",")
	}
	known := runtimes.ClassNames()
	for _, c := range t.Offer.Classes {
		if !slices.Contains(known, c) {
			return Target{}, fmt.Errorf("path %q offers the unknown runtime class %q", path, c)
		}
	}
	switch {
	case (t.Mode == ModeAnnotated || t.Mode == ModeNamespaceUnknown || t.Mode == ModeEnforceUnknown) && len(parts) == 2:
	case (t.Mode == ModeNamespace || t.Mode == ModeEnforce) && len(parts) == 3 && slices.Contains(known, parts[2]):
		t.Class = parts[2]
	default:
		return Target{}, fmt.Errorf("path %q: unknown mode or class, want %s, %s or %s, or %s or %s with a known class",
			path, ModeAnnotated, ModeNamespaceUnknown, ModeEnforceUnknown, ModeNamespace, ModeEnforce)
	}
	return t, nil
}
