//go:build tools

// Package resourcemanager pins gardener-resource-manager to the Gardener module the extension is built with: the
// Makefile builds it from this module (`make control-plane`) for the local landscape and the integration suites.
package resourcemanager

import (
	_ "github.com/gardener/gardener/cmd/gardener-resource-manager"
)
