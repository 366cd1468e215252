package shootvalidation_test

import (
	"context"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/integration/setup"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

func TestShootValidation(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Shoot validation integration suite")
}

var (
	ctx  = context.Background()
	land *landscape.Landscape
	// c is an admin client whose warnings are recorded in warnings.
	c        client.Client
	warnings = &warningRecorder{}
)

var _ = BeforeSuite(func() {
	land = setup.Landscape(ctx)
	setup.Admission(ctx, land)

	cfg := rest.CopyConfig(land.Config)
	cfg.WarningHandler = warnings
	var err error
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
