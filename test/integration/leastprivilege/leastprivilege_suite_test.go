package leastprivilege_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestLeastPrivilege(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Least privilege integration suite")
}

var ctx = context.Background()
