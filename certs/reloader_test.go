package certs_test

import (
	"context"
	"crypto/x509"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testclock "k8s.io/utils/clock/testing"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

var _ = Describe("Reloader", func() {
	var (
		dir    string
		oldCA  *certs.Authority
		newCA  *certs.Authority
		clock  *testclock.FakeClock
		bundle []byte
		server *certs.Reloader
		served = func() string {
			GinkgoHelper()
			cert, err := server.GetCertificate(nil)
			Expect(err).NotTo(HaveOccurred())
			return cert.Leaf.SerialNumber.String()
		}
	)

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		var err error
		oldCA, err = certs.LoadOrCreateAuthority(GinkgoT().TempDir(), "old")
		Expect(err).NotTo(HaveOccurred())
		newCA, err = certs.LoadOrCreateAuthority(GinkgoT().TempDir(), "new")
		Expect(err).NotTo(HaveOccurred())
		bundle = oldCA.Bundle()
		clock = testclock.NewFakeClock(time.Now())
		server = &certs.Reloader{Dir: dir, Clock: clock, MaxHold: time.Hour, Trust: func(_ context.Context, cert *x509.Certificate) error {
			return certs.VerifyAll([]certs.NamedBundle{{Name: "the callers' bundle", Bundle: bundle}}, cert, time.Now())
		}}
	})

	// issue writes a server certificate of ca into the directory into and returns its serial number.
	issue := func(ca *certs.Authority, into string) string {
		GinkgoHelper()
		cert, err := ca.Issue(into, []string{"127.0.0.1"}, time.Hour)
		Expect(err).NotTo(HaveOccurred())
		return cert.SerialNumber.String()
	}
	sync := func() {
		GinkgoHelper()
		Expect(server.Sync(context.Background())).To(Succeed())
	}

	It("serves the directory's first certificate at once, whoever signed it", func() {
		first := issue(newCA, dir)
		Expect(served()).To(Equal(first))
		sync()
		Expect(served()).To(Equal(first))
	})

	It("switches to a renewed certificate of a trusted CA at the next sync", func() {
		first := issue(oldCA, dir)
		sync()
		renewed := issue(oldCA, dir)
		Expect(served()).To(Equal(first))
		sync()
		Expect(served()).To(Equal(renewed))
	})

	It("holds back a certificate of a new CA until the callers' bundle carries that CA", func() {
		first := issue(oldCA, dir)
		sync()
		rotated := issue(newCA, dir)

		for range 3 {
			sync()
			Expect(served()).To(Equal(first))
			clock.Step(time.Minute)
		}
		bundle = append(append([]byte{}, oldCA.Bundle()...), newCA.Bundle()...)
		sync()
		Expect(served()).To(Equal(rotated))
	})

	It("serves a held certificate once the hold has lasted MaxHold, trusted or not", func() {
		first := issue(oldCA, dir)
		sync()
		rotated := issue(newCA, dir)
		sync()
		clock.Step(time.Hour - time.Second)
		sync()
		Expect(served()).To(Equal(first))
		clock.Step(time.Second)
		sync()
		Expect(served()).To(Equal(rotated))
	})

	It("keeps serving its certificate while the directory holds a pair being written, and reports it", func() {
		first := issue(oldCA, dir)
		sync()
		other := GinkgoT().TempDir()
		issue(oldCA, other)
		// The new certificate is there, its key not yet.
		Expect(copyFile(other+"/"+certs.CertFile, dir+"/"+certs.CertFile)).To(Succeed())
		Expect(server.Sync(context.Background())).To(MatchError(ContainSubstring("private key does not match public key")))
		Expect(served()).To(Equal(first))
	})
})

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o600)
}

var _ = Describe("WebhookConfigurations", func() {
	It("trusts a certificate once every webhook of the named configurations carries its CA, and names the ones that do not", func() {
		oldCA, err := certs.LoadOrCreateAuthority(GinkgoT().TempDir(), "old")
		Expect(err).NotTo(HaveOccurred())
		newCA, err := certs.LoadOrCreateAuthority(GinkgoT().TempDir(), "new")
		Expect(err).NotTo(HaveOccurred())
		cert, err := newCA.Issue(GinkgoT().TempDir(), []string{"127.0.0.1"}, time.Hour)
		Expect(err).NotTo(HaveOccurred())

		webhook := func(name string, bundle []byte) admissionregistrationv1.MutatingWebhook {
			return admissionregistrationv1.MutatingWebhook{Name: name, ClientConfig: admissionregistrationv1.WebhookClientConfig{CABundle: bundle}}
		}
		config := &admissionregistrationv1.MutatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "component"},
			Webhooks:   []admissionregistrationv1.MutatingWebhook{webhook("a.example.com", newCA.Bundle()), webhook("b.example.com", oldCA.Bundle())},
		}
		c := fakeclient.NewClientBuilder().WithObjects(config).Build()
		trust := certs.WebhookConfigurations(c, "component", &admissionregistrationv1.MutatingWebhookConfiguration{})
		Expect(trust(context.Background(), cert)).To(MatchError(And(
			ContainSubstring("MutatingWebhookConfiguration component webhook b.example.com"),
			Not(ContainSubstring("a.example.com")),
		)))

		config.Webhooks[1].ClientConfig.CABundle = append(append([]byte{}, oldCA.Bundle()...), newCA.Bundle()...)
		Expect(c.Update(context.Background(), config)).To(Succeed())
		Expect(trust(context.Background(), cert)).To(Succeed())
		Expect(certs.WebhookConfigurations(c, "absent", &admissionregistrationv1.MutatingWebhookConfiguration{})(context.Background(), cert)).To(Succeed())
	})
})
