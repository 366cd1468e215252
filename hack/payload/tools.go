//go:build tools

// Package tools pins the Kata Containers runtime module at the commit of the Kata release the extension ships
// (runtimes/kata.ReleaseCommit): `make payload` builds Kata's containerd shim from it, and `make kata-config-check`
// the checker of the rendered Kata configurations (see build-kata.sh and kataconfig/).
package tools

import (
	_ "github.com/kata-containers/kata-containers/src/runtime/cmd/containerd-shim-kata-v2"
)
