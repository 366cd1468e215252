package poddefaulting_test

import (
	"context"
	"testing"
	"time"

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
	By("creating the sample Shoot's ContainerRuntimes: gardener-resource-manager applies their RuntimeClasses and pod webhook configurations")
	_, err := land.DeployContainerRuntimes(ctx, time.Minute)
	Expect(err).NotTo(HaveOccurred())
	Expect(land.WaitForShoot(ctx, seed)).To(Succeed())
})
