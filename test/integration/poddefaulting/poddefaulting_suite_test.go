package poddefaulting_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/integration/setup"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

func TestPodDefaulting(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Pod defaulting integration suite")
}

var (
	ctx  = context.Background()
	land *landscape.Landscape
)

var _ = BeforeSuite(func() {
	land = setup.Landscape(ctx)
	seed := setup.Seed(ctx, land)
	By("deploying the sample Shoot's pod webhook configurations and RuntimeClasses")
	Expect(land.BootstrapShoot(ctx, seed)).To(Succeed())
})
