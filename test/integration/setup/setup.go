// Package setup starts the parts of the local landscape an integration suite needs, from its BeforeSuite, and
// registers their shutdown with Ginkgo.
package setup

import (
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

// Landscape starts etcd, kube-apiserver and gardener-apiserver with the extension CRDs.
func Landscape(ctx context.Context) *landscape.Landscape {
	logf.SetLogger(zap.New(zap.WriteTo(ginkgo.GinkgoWriter), zap.UseDevMode(true)))

	ginkgo.By("starting etcd, kube-apiserver and gardener-apiserver")
	land, err := landscape.Start(ctx, landscape.Options{})
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(func() { gomega.Expect(land.Stop()).To(gomega.Succeed()) })
	return land
}

// Seed creates the sample Shoot's seed namespace and Cluster, starts gardener-resource-manager and kube-controllers
// (the DaemonSet controller and garbage collector), which apply the ManagedResources into the shoot and keep their
// objects' status, and starts the seed component, with health checks every 2 seconds so that the suites see their
// conditions change quickly.
func Seed(ctx context.Context, land *landscape.Landscape) *landscape.Component {
	ShootControllers(ctx, land)
	ginkgo.By("starting the seed component")
	seed, err := land.StartSeed(ctx, "--healthcheck-sync-period=2s")
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(func() { gomega.Expect(seed.Stop()).To(gomega.Succeed()) })
	return seed
}

// ShootControllers creates the sample Shoot's namespace and Cluster, and starts gardener-resource-manager and
// kube-controllers (the DaemonSet controller and garbage collector), which apply the ManagedResources into the shoot
// and keep their objects' status.
func ShootControllers(ctx context.Context, land *landscape.Landscape) {
	ginkgo.By("creating the sample Shoot's namespace and Cluster, and starting gardener-resource-manager and kube-controllers")
	gomega.Expect(land.BootstrapSeed(ctx)).To(gomega.Succeed())
	shoot, err := land.StartShootControllers(ctx, landscape.ShootControllersOptions{Output: ginkgo.GinkgoWriter, HealthSyncPeriod: 15 * time.Second})
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(func() { gomega.Expect(shoot.Stop()).To(gomega.Succeed()) })
}

// Admission creates the sample Shoot's prerequisites in the garden and starts the admission component with the
// local landscape's flags.
func Admission(ctx context.Context, land *landscape.Landscape) *landscape.Component {
	gomega.Expect(land.Bootstrap(ctx)).To(gomega.Succeed())
	ginkgo.By("starting the admission component with its webhooks registered over TLS")
	admission, err := land.StartAdmission(ctx, landscape.LocalAdmissionArgs()...)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(func() { gomega.Expect(admission.Stop()).To(gomega.Succeed()) })
	return admission
}
