package badinput_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/integration/setup"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

func TestBadInput(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Bad-input corpus integration suite")
}

var (
	ctx  = context.Background()
	land *landscape.Landscape
	// seed is the seed component, whose webhook server the webhook cases call directly.
	seed *landscape.Component
)

var _ = BeforeSuite(func() {
	land = setup.Landscape(ctx)
	setup.Admission(ctx, land)
	seed = setup.Seed(ctx, land)
	By("creating the sample Shoot's ContainerRuntimes: gardener-resource-manager applies the pod webhook configurations")
	_, err := land.DeployContainerRuntimes(ctx, time.Minute)
	Expect(err).NotTo(HaveOccurred())
	Expect(land.WaitForShoot(ctx, seed)).To(Succeed())
})
