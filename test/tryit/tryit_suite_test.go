package tryit_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestTryIt(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "README walkthrough suite")
}
