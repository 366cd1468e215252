// Package runtimes lists the sandbox runtimes this extension serves. It is the single place the webhooks ask
// which container runtime types exist; everything specific to one runtime lives in its own sub-package.
package runtimes

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// Runtime is what the webhooks need to know about one sandbox runtime.
type Runtime interface {
	// Type is the container runtime type a Shoot worker pool names in cri.containerRuntimes[].type.
	Type() string
	// ValidateProviderConfig strictly decodes and validates the providerConfig of one container runtime entry.
	// A nil or empty providerConfig is valid (defaults apply). fldPath is the path of the providerConfig field.
	// It returns admission warnings (e.g. for deprecated forms) and all problems found.
	ValidateProviderConfig(providerConfig *runtime.RawExtension, fldPath *field.Path) (warnings []string, errs field.ErrorList)
	// NodeConfig returns what the nodes of a worker pool with this providerConfig need: containerd plugin entries,
	// files and systemd units. An invalid providerConfig is an error naming fldPath.
	NodeConfig(providerConfig *runtime.RawExtension, fldPath *field.Path) (*node.Config, error)
}

// All returns every sandbox runtime this extension serves, in a stable order.
func All() []Runtime {
	return []Runtime{gvisor.New(), kata.New()}
}

// Types returns the container runtime types of All.
func Types() []string {
	all := All()
	types := make([]string, 0, len(all))
	for _, r := range all {
		types = append(types, r.Type())
	}
	return types
}
