package nodetruth_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

func TestNodeTruth(t *testing.T) {
	RegisterFailHandler(Fail)
	// gardener-node-agent's reconciler logs through controller-runtime; shown with a failing spec.
	logf.SetLogger(GinkgoLogr)
	RunSpecs(t, "Node Truth Suite")
}
