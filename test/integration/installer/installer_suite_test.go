package installer_test

import (
	"context"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

func TestInstaller(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Node installer integration suite")
}

var (
	ctx     = context.Background()
	testEnv *envtest.Environment
	cfg     *rest.Config
	c       client.Client
)

var _ = BeforeSuite(func() {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		Fail("KUBEBUILDER_ASSETS must name the directory of etcd and kube-apiserver, e.g. /work/main/.cache/bin (the Makefile exports it)")
	}
	By("starting etcd and kube-apiserver")
	testEnv = &envtest.Environment{BinaryAssetsDirectory: assets}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(testEnv.Stop()).To(Succeed()) })

	c, err = client.New(cfg, client.Options{})
	Expect(err).NotTo(HaveOccurred())
})
