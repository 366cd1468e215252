package nodetruth_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestNodeTruth(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Node Truth Suite")
}
