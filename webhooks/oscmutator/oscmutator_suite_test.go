package oscmutator_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestOSCMutator(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "OSC mutator webhook suite")
}
