//go:build tools

// Package tools pins the Kata Containers runtime module that `make payload` builds Kata's containerd shim from,
// for the Kata part of the installer payload (see build-kata-shim.sh).
package tools

import (
	_ "github.com/kata-containers/kata-containers/src/runtime/cmd/containerd-shim-kata-v2"
)
