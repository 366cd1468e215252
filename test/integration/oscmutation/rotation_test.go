package oscmutation_test

import (
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
	seedapp "github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-runtime-sandbox/app"
)

var _ = Describe("Rotating the seed component's serving certificate", func() {
	It("drops no OperatingSystemConfig the kube-apiserver sends to the webhook while the certificate is rotated", func() {
		ns := shootNamespace(`{`+gvisorAPI+`,"configFlags":{"net-raw":"true"}}`, "")
		createEventually(oscIn(ns, "warm-up", "gvisor"))

		authority, err := certs.LoadOrCreateAuthority(seed.CertDir(), extensionswebhook.PrefixedName(seedapp.Name, false))
		Expect(err).NotTo(HaveOccurred())
		Expect(authority.Serving(seed.CertDir(), []string{"127.0.0.1"})).NotTo(BeNil(), "the component serves a certificate of the CA in its directory")

		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			failures []error
			created  int
			stop     = make(chan struct{})
		)
		for worker := range 2 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					o := oscIn(ns, fmt.Sprintf("rotation-%d-%d", worker, i), "gvisor")
					err := land.Client.Create(ctx, o)
					mu.Lock()
					if err != nil {
						failures = append(failures, err)
					} else if plugin(o, handlerPath("runsc")...) == nil {
						failures = append(failures, fmt.Errorf("OSC %s was stored without the runsc handler", o.Name))
					} else {
						created++
					}
					mu.Unlock()
				}
			})
		}

		for range 3 {
			cert, err := authority.Issue(seed.CertDir(), []string{"127.0.0.1"}, time.Hour)
			Expect(err).NotTo(HaveOccurred())
			Eventually(seed.ServedSerial).WithTimeout(30 * time.Second).Should(Equal(cert.SerialNumber.String()))
		}
		close(stop)
		wg.Wait()

		Expect(failures).To(BeEmpty())
		Expect(created).To(BeNumerically(">", 0))
		GinkgoWriter.Printf("%d OSCs mutated through 3 rotations\n", created)
	})
})
