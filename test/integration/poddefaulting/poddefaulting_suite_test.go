package poddefaulting_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

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
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))

	By("starting etcd, kube-apiserver and gardener-apiserver")
	var err error
	land, err = landscape.Start(ctx, landscape.Options{})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(land.Stop()).To(Succeed()) })

	By("starting the seed component and deploying the sample Shoot's pod webhook configurations and RuntimeClasses")
	Expect(land.BootstrapSeed(ctx)).To(Succeed())
	seed, err := land.StartSeed(ctx)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(seed.Stop()).To(Succeed()) })
	Expect(land.BootstrapShoot(ctx, seed)).To(Succeed())
})
