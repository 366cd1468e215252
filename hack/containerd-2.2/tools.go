//go:build tools

// Package tools pins the containerd 2.2 release that test/nodetruth loads the rendered configuration with and
// runs as a process: `make containerd-2.2` builds its containerd and ctr into .cache/bin.
package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
)
