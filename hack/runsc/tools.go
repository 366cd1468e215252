//go:build tools

// Package tools pins the gVisor module that `make` builds runsc from, for runsc flags newer than the Debian
// package (nvproxy) and for the installer payload.
package tools

import (
	_ "gvisor.dev/gvisor/runsc"
)
