package osc_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestOSC(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "OperatingSystemConfig mutation suite")
}
