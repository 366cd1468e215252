package shootvalidation_test

import (
	"context"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

func TestShootValidation(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Shoot validation integration suite")
}

var (
	ctx       = context.Background()
	land      *landscape.Landscape
	admission *landscape.Component
	// c is an admin client whose warnings are recorded in warnings.
	c        client.Client
	warnings = &warningRecorder{}
)

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))

	By("starting etcd, kube-apiserver and gardener-apiserver")
	var err error
	land, err = landscape.Start(ctx, landscape.Options{})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(land.Stop()).To(Succeed()) })

	Expect(land.Bootstrap(ctx)).To(Succeed())

	By("starting the admission component with its webhooks registered over TLS")
	admission, err = land.StartAdmission(ctx, landscape.LocalAdmissionArgs()...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(admission.Stop()).To(Succeed()) })

	cfg := rest.CopyConfig(land.Config)
	cfg.WarningHandler = warnings
	c, err = client.New(cfg, client.Options{Scheme: land.Client.Scheme()})
	Expect(err).NotTo(HaveOccurred())
})

// warningRecorder records the warnings the API server returns.
type warningRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

// take returns the recorded warnings and forgets them.
func (w *warningRecorder) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.seen
	w.seen = nil
	return out
}
