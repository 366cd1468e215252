package main

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestKataPayload(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kata-payload suite")
}
