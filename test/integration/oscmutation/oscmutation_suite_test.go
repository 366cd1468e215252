package oscmutation_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/integration/setup"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

func TestOSCMutation(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Seed component integration suite: OperatingSystemConfig mutation and the ContainerRuntime controller")
}

var (
	ctx  = context.Background()
	land *landscape.Landscape
	seed *landscape.Component
)

var _ = BeforeSuite(func() {
	land = setup.Landscape(ctx)
	seed = setup.Seed(ctx, land)
})
