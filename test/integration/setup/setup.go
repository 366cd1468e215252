// Package setup starts the parts of the local landscape an integration suite needs, from its BeforeSuite, and
// registers their shutdown with Ginkgo.
package setup

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

// Landscape starts etcd, kube-apiserver and gardener-apiserver with the extension CRDs.
func Landscape(ctx context.Context) *landscape.Landscape {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))

	By("starting etcd, kube-apiserver and gardener-apiserver")
	land, err := landscape.Start(ctx, landscape.Options{})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(land.Stop()).To(Succeed()) })
	return land
}

// Seed creates the sample Shoot's seed namespace and Cluster and starts the seed component.
func Seed(ctx context.Context, land *landscape.Landscape) *landscape.Component {
	By("creating the sample Shoot's namespace and Cluster, and starting the seed component")
	Expect(land.BootstrapSeed(ctx)).To(Succeed())
	seed, err := land.StartSeed(ctx)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(seed.Stop()).To(Succeed()) })
	return seed
}

// Admission creates the sample Shoot's prerequisites in the garden and starts the admission component with the
// local landscape's flags.
func Admission(ctx context.Context, land *landscape.Landscape) *landscape.Component {
	Expect(land.Bootstrap(ctx)).To(Succeed())
	By("starting the admission component with its webhooks registered over TLS")
	admission, err := land.StartAdmission(ctx, landscape.LocalAdmissionArgs()...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(admission.Stop()).To(Succeed()) })
	return admission
}
