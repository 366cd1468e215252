package podwebhook

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
	psaapi "k8s.io/pod-security-admission/api"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// PathPrefix is where the pod webhooks are served. The rest of the path says what the calling shoot is and offers,
// and which entry of its webhook configuration calls: <Kubernetes version>/<offered classes, comma-separated>/
// <mode>[/<class>[/<level>]]. So the webhook needs no client for the shoot: what it must know travels in the
// shoot's webhook configuration.
const PathPrefix = "/webhooks/pod/"

// Modes of the pod webhook entries.
const (
	// ModeAnnotated defaults pods that ask for a sandbox by annotation.
	ModeAnnotated = "annotated"
	// ModeNamespace defaults the pods of namespaces labelled runtime.gardener.cloud/sandbox=<class>.
	ModeNamespace = "namespace"
	// ModeEnforce refuses pods outside <class>, or that break the Pod Security Standards at <level>, in namespaces
	// labelled runtime.gardener.cloud/sandbox-enforce=<class>.
	ModeEnforce = "enforce"
	// ModeNamespaceUnknown refuses pods without their own choice in namespaces whose runtime.gardener.cloud/sandbox
	// label names no known class, so that a typo does not silently mean no sandbox.
	ModeNamespaceUnknown = "namespace-unknown"
	// ModeEnforceUnknown refuses every pod in namespaces whose runtime.gardener.cloud/sandbox-enforce label names no
	// known class, so that a typo does not silently mean no enforcement.
	ModeEnforceUnknown = "enforce-unknown"
	// ModeEnforceLevelUnknown refuses every pod in enforced namespaces whose
	// runtime.gardener.cloud/sandbox-enforce-level label names no level, so that a typo does not silently mean the
	// default level.
	ModeEnforceLevelUnknown = "enforce-level-unknown"
)

// noClasses stands for an empty offer in a path: an empty path segment would be cleaned away by the HTTP mux.
const noClasses = "none"

// Target is what one request's path says.
type Target struct {
	// Version is the Kubernetes version of the calling shoot, whose Pod Security Standards apply.
	Version psaapi.Version
	// Offer is what the calling shoot offers.
	Offer mutatorpod.Offer
	// Mode is the entry's mode.
	Mode string
	// Class is the namespace's class, or runtime type, for ModeNamespace and ModeEnforce.
	Class string
	// Level is the Pod Security Standards level of ModeEnforce.
	Level apipod.Level
}

// Path returns the serving path of t. The offer is written as <class>=<pool>+<pool>,<class>=<pool>..., in the
// offer's order.
func (t Target) Path() string {
	items := make([]string, 0, len(t.Offer.Classes))
	for _, class := range t.Offer.Classes {
		item := class
		if pools := t.Offer.Pools[class]; len(pools) > 0 {
			item += "=" + strings.Join(pools, "+")
		}
		items = append(items, item)
	}
	classes := strings.Join(items, ",")
	if classes == "" {
		classes = noClasses
	}
	p := PathPrefix + t.Version.String() + "/" + classes + "/" + t.Mode
	if t.Class != "" {
		p += "/" + t.Class
	}
	if t.Level != "" {
		p += "/" + string(t.Level)
	}
	return p
}

// versionSegment is the Kubernetes version segment of a path, as the Pod Security Standards name versions.
var versionSegment = regexp.MustCompile(`^(latest|v1\.[0-9]+)$`)

// VersionOf returns the Pod Security Standards version of a shoot's Kubernetes version (e.g. "1.36.3" is v1.36),
// or the latest version when it is empty or cannot be read.
func VersionOf(kubernetesVersion string) psaapi.Version {
	v, err := version.ParseGeneric(kubernetesVersion)
	if err != nil {
		return psaapi.LatestVersion()
	}
	return psaapi.MajorMinorVersion(int(v.Major()), int(v.Minor()))
}

// ParseTarget reads a request path. Every class must be one this extension knows.
func ParseTarget(path string) (Target, error) {
	rest, ok := strings.CutPrefix(path, PathPrefix)
	if !ok {
		return Target{}, fmt.Errorf("path %q is not below %s", path, PathPrefix)
	}
	parts := strings.Split(rest, "/")
	t := Target{Version: psaapi.LatestVersion()}
	// Paths deployed by versions of this extension before the Kubernetes version travelled have no version
	// segment; they are served with the latest Pod Security Standards until the shoot's configuration is rewritten.
	if versionSegment.MatchString(parts[0]) {
		v, err := psaapi.ParseVersion(parts[0])
		if err != nil {
			return Target{}, fmt.Errorf("path %q: version %q: %w", path, parts[0], err)
		}
		t.Version, parts = v, parts[1:]
	}
	if len(parts) < 2 || len(parts) > 4 {
		return Target{}, fmt.Errorf("path %q: want %s<version>/<classes>/<mode>[/<class>[/<level>]]", path, PathPrefix)
	}
	t.Mode = parts[1]
	known := runtimes.ClassNames()
	if parts[0] != noClasses {
		// Paths built before the pools travelled name the classes only.
		for _, item := range strings.Split(parts[0], ",") {
			class, pools, hasPools := strings.Cut(item, "=")
			if !slices.Contains(known, class) {
				return Target{}, fmt.Errorf("path %q offers the unknown runtime class %q", path, class)
			}
			t.Offer.Classes = append(t.Offer.Classes, class)
			if hasPools {
				if t.Offer.Pools == nil {
					t.Offer.Pools = map[string][]string{}
				}
				t.Offer.Pools[class] = strings.Split(pools, "+")
			}
		}
	}
	// A namespace label may name a class or a runtime type.
	names := runtimes.Names()
	switch {
	case (t.Mode == ModeAnnotated || t.Mode == ModeNamespaceUnknown || t.Mode == ModeEnforceUnknown || t.Mode == ModeEnforceLevelUnknown) && len(parts) == 2:
	case t.Mode == ModeNamespace && len(parts) == 3 && slices.Contains(names, parts[2]):
		t.Class = parts[2]
	case t.Mode == ModeEnforce && len(parts) >= 3 && slices.Contains(names, parts[2]):
		t.Class, t.Level = parts[2], apipod.LevelBaseline
		if len(parts) == 4 {
			if !slices.Contains(apipod.Levels(), parts[3]) {
				return Target{}, fmt.Errorf("path %q: unknown level %q, want one of %s", path, parts[3], strings.Join(apipod.Levels(), ", "))
			}
			t.Level = apipod.Level(parts[3])
		}
	default:
		return Target{}, fmt.Errorf("path %q: unknown mode or class, want %s, %s, %s or %s, or %s or %s with a known class",
			path, ModeAnnotated, ModeNamespaceUnknown, ModeEnforceUnknown, ModeEnforceLevelUnknown, ModeNamespace, ModeEnforce)
	}
	return t, nil
}
