package gvisor_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestGVisor(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "gVisor runtime suite")
}
