package faults_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gardener/gardener/pkg/utils/managedresources"
	secretsutils "github.com/gardener/gardener/pkg/utils/secrets"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

// certificatesNamespace is where the seed component keeps its webhook certificates in this spec, as in a seed.
const certificatesNamespace = "extension-runtime-sandbox-certs"

// Gardener's certificate management's names of the seed component's server certificate and CA.
const (
	serverCertificate = "runtime-sandbox-webhook-server"
	caCertificate     = "ca-runtime-sandbox-webhook"
)

// handshakeWithCallersBundles opens a new TLS connection to the seed component for each webhook configuration
// that calls it, verified with the CA bundle that configuration carries now: the seed's OSC webhook and the shoot's
// pod webhooks (applied there by gardener-resource-manager). An API server that opens a connection at that moment
// sees the same.
func handshakeWithCallersBundles() error {
	var configs []client.Object
	for _, name := range []string{"gardener-extension-runtime-sandbox", podwebhook.ConfigName} {
		config := &admissionregistrationv1.MutatingWebhookConfiguration{}
		if err := land.Client.Get(ctx, client.ObjectKey{Name: name}, config); err != nil {
			return err
		}
		configs = append(configs, config)
	}
	var errs []error
	for _, config := range configs {
		for _, b := range certs.BundlesOf(config) {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(b.Bundle) {
				errs = append(errs, fmt.Errorf("%s: no CA bundle", b.Name))
				continue
			}
			conn, err := tls.Dial("tcp", strings.TrimPrefix(seed.URL, "https://"), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", b.Name, err))
				continue
			}
			_ = conn.Close()
		}
	}
	return errors.Join(errs...)
}

// shootBundlesCarry reports whether every pod webhook of the shoot's ManagedResource carries the CA caPEM.
func shootBundlesCarry(g Gomega, caPEM []byte) {
	objs, err := managedresources.GetObjects(ctx, land.Client, samples.ShootNamespace, actuator.ShootManagedResourceName)
	g.Expect(err).NotTo(HaveOccurred())
	var bundles []certs.NamedBundle
	for _, obj := range objs {
		bundles = append(bundles, certs.BundlesOf(obj)...)
	}
	g.Expect(bundles).NotTo(BeEmpty())
	for _, b := range bundles {
		g.Expect(bytes.Contains(b.Bundle, caPEM)).To(BeTrue(), b.Name)
	}
}

var _ = Describe("Gardener's certificate management of the seed component", Ordered, func() {
	BeforeAll(func() {
		Expect(land.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: certificatesNamespace}})).To(Succeed())
		By("restarting the seed component with its certificates managed in " + certificatesNamespace + ", renewed at most a second after they are due")
		stopSeed()
		startSeed("--webhook-config-namespace="+certificatesNamespace, "--webhook-certificate-sync-period=1s")
		Expect(land.WaitForShoot(ctx, seed)).To(Succeed())

		DeferCleanup(func() {
			if shootControllers == nil {
				startShootControllers()
			}
			By("restarting the seed component with local certificates, as the other specs run it")
			stopSeed()
			startSeed()
			Expect(land.WaitForShoot(ctx, seed)).To(Succeed())
		})
	})

	It("drops no OSC, no pod and no new connection while the server certificate is renewed and the CA rotated under load", func() {
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			failures []string
			requests = map[string]int{}
			stop     = make(chan struct{})
			stopped  = func() bool {
				select {
				case <-stop:
					return true
				default:
					return false
				}
			}
			record = func(kind string, err error) {
				mu.Lock()
				defer mu.Unlock()
				requests[kind]++
				if err != nil {
					failures = append(failures, kind+": "+err.Error())
				}
			}
			count = func() int {
				mu.Lock()
				defer mu.Unlock()
				n := 0
				for _, c := range requests {
					n += c
				}
				return n
			}
		)
		wg.Go(func() {
			for i := 0; !stopped(); i++ {
				osc := samples.OSC(fmt.Sprintf("rotation-%d", i), "gvisor")
				err := land.Client.Create(ctx, osc, client.DryRunAll)
				if err == nil && !strings.Contains(fmt.Sprint(osc.Spec.CRIConfig.Containerd.Plugins), "runsc") {
					err = fmt.Errorf("OSC %s came back without the runsc handler", osc.Name)
				}
				record("OSC creates", err)
			}
		})
		wg.Go(func() {
			for !stopped() {
				pod := newPod("gvisor")
				err := land.Client.Create(ctx, pod, client.DryRunAll)
				if err == nil && (pod.Spec.RuntimeClassName == nil || *pod.Spec.RuntimeClassName != "gvisor") {
					err = fmt.Errorf("pod %s came back without runtimeClassName gvisor", pod.Name)
				}
				record("pod creates", err)
			}
		})
		wg.Go(func() {
			// A new connection every 10 ms, as an API server opens them now and then.
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					record("new connections", handshakeWithCallersBundles())
				}
			}
		})
		loadStopped := false
		stopLoad := func() {
			if !loadStopped {
				loadStopped = true
				close(stop)
				wg.Wait()
			}
		}
		DeferCleanup(stopLoad)

		first, err := seed.ServedCertificate()
		Expect(err).NotTo(HaveOccurred())

		By("renewing the server certificate: the component serves the new one, of the same CA")
		Expect(land.RenewManagedCertificateNow(ctx, certificatesNamespace, serverCertificate)).To(Succeed())
		Eventually(func(g Gomega) {
			cert, err := seed.ServedCertificate()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cert.SerialNumber).NotTo(Equal(first.SerialNumber))
			g.Expect(cert.AuthorityKeyId).To(Equal(first.AuthorityKeyId))
		}).WithTimeout(time.Minute).Should(Succeed())

		By("rotating the CA while gardener-resource-manager is down: the shoot's ManagedResource gets the new CA, which the shoot does not carry yet")
		stopShootControllers()
		oldCA, err := land.NewestManagedSecret(ctx, certificatesNamespace, caCertificate)
		Expect(err).NotTo(HaveOccurred())
		Expect(land.RenewManagedCertificateNow(ctx, certificatesNamespace, caCertificate)).To(Succeed())
		var newCA *corev1.Secret
		Eventually(func(g Gomega) {
			var err error
			newCA, err = land.NewestManagedSecret(ctx, certificatesNamespace, caCertificate)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(newCA.Name).NotTo(Equal(oldCA.Name))
			shootBundlesCarry(g, newCA.Data[secretsutils.DataKeyCertificateCA])
		}).WithTimeout(time.Minute).Should(Succeed())

		By("the component keeps serving the certificate of the old CA meanwhile")
		Consistently(func(g Gomega) {
			cert, err := seed.ServedCertificate()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(certs.Verifies(oldCA.Data[secretsutils.DataKeyCertificateCA], cert, time.Now())).To(Succeed())
		}).WithTimeout(5 * time.Second).Should(Succeed())

		By("starting gardener-resource-manager: once it has applied the new CA, the component serves the certificate of the new CA")
		startShootControllers()
		Eventually(func(g Gomega) {
			cert, err := seed.ServedCertificate()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(certs.Verifies(newCA.Data[secretsutils.DataKeyCertificateCA], cert, time.Now())).To(Succeed())
		}).WithTimeout(2 * time.Minute).Should(Succeed())

		// Load goes on after the switch: what was held back must work everywhere once served.
		Eventually(count).WithTimeout(time.Minute).Should(BeNumerically(">", count()+30))
		stopLoad()
		Expect(failures).To(BeEmpty())
		AddReportEntry("Requests through a server certificate renewal and a CA rotation", fmt.Sprintf("%v, %d failed", requests, len(failures)))
	})
})
