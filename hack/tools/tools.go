//go:build tools

// Package tools pins the Go modules the Makefile builds the test control plane from.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
