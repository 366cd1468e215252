package main

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestGenerateExtension(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Generate Extension suite")
}
