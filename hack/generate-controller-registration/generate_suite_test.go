package main

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestGenerateControllerRegistration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Generate ControllerRegistration suite")
}
