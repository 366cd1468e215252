package podpolicy

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestPodPolicy(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Pod admission policies suite")
}
