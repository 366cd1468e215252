//go:build tools

// Package tools pins the gVisor module that `make` builds runsc from, for runsc flags newer than the Debian
// package (nvproxy), and runsc with its containerd shim for the gVisor part of the installer payload. One pin
// for both, so the runsc the tests run is the runsc the installer image ships.
package tools

import (
	_ "gvisor.dev/gvisor/runsc"
	_ "gvisor.dev/gvisor/shim"
)
