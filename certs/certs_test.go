package certs_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	testclock "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

func TestCerts(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Certs suite")
}

// verify checks that cert is a server certificate for host signed by the CA of bundle.
func verify(bundle []byte, cert *x509.Certificate, host string) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(bundle) {
		return errors.New("bundle holds no certificate")
	}
	_, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

var _ = Describe("Authority", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("creates a CA in the directory and takes the same one up again", func() {
		a, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		Expect(filepath.Join(dir, certs.CAFile)).To(BeAnExistingFile())
		Expect(filepath.Join(dir, certs.CAKeyFile)).To(BeAnExistingFile())

		again, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		Expect(again.Bundle()).To(Equal(a.Bundle()))
	})

	It("replaces a CA it cannot read", func() {
		a, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, certs.CAKeyFile), []byte("garbage"), 0o600)).To(Succeed())

		replaced, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		Expect(replaced.Bundle()).NotTo(Equal(a.Bundle()))
	})

	It("replaces a CA whose key belongs to another certificate", func() {
		a, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		otherDir := GinkgoT().TempDir()
		_, err = certs.LoadOrCreateAuthority(otherDir, "other")
		Expect(err).NotTo(HaveOccurred())
		otherKey, err := os.ReadFile(filepath.Join(otherDir, certs.CAKeyFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, certs.CAKeyFile), otherKey, 0o600)).To(Succeed())

		replaced, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		Expect(replaced.Bundle()).NotTo(Equal(a.Bundle()))
	})

	It("issues server certificates for DNS names and IP addresses that verify against its bundle", func() {
		a, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		cert, err := a.Issue(dir, []string{"webhook.example", "127.0.0.1"}, time.Hour)
		Expect(err).NotTo(HaveOccurred())

		Expect(verify(a.Bundle(), cert, "webhook.example")).To(Succeed())
		Expect(verify(a.Bundle(), cert, "127.0.0.1")).To(Succeed())
		Expect(verify(a.Bundle(), cert, "other.example")).NotTo(Succeed())
		Expect(cert.NotAfter.Sub(cert.NotBefore)).To(BeNumerically("~", time.Hour, 5*time.Minute))
		_, err = tls.LoadX509KeyPair(filepath.Join(dir, certs.CertFile), filepath.Join(dir, certs.KeyFile))
		Expect(err).NotTo(HaveOccurred())
	})

	It("refuses to issue a certificate for no host", func() {
		a, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		_, err = a.Issue(dir, nil, time.Hour)
		Expect(err).To(MatchError(ContainSubstring("at least one host")))
	})

	It("recognizes only its own certificates for exactly the given hosts as serving", func() {
		a, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Serving(dir, []string{"127.0.0.1"})).To(BeNil(), "no certificate yet")

		cert, err := a.Issue(dir, []string{"127.0.0.1"}, time.Hour)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Serving(dir, []string{"127.0.0.1"})).To(Equal(cert))
		Expect(a.Serving(dir, []string{"localhost"})).To(BeNil(), "other hosts")

		other, err := certs.LoadOrCreateAuthority(GinkgoT().TempDir(), "other")
		Expect(err).NotTo(HaveOccurred())
		Expect(other.Serving(dir, []string{"127.0.0.1"})).To(BeNil(), "another CA")
	})
})

var _ = Describe("Rotator", func() {
	var (
		dir     string
		clock   *testclock.FakeClock
		rotator *certs.Rotator
	)
	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		a, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		clock = testclock.NewFakeClock(time.Now())
		rotator = &certs.Rotator{Authority: a, Dir: dir, Hosts: []string{"127.0.0.1"}, Validity: 3 * time.Hour, Clock: clock, Log: logr.Discard()}
	})

	// serial returns the serial number of the certificate in dir; an error while a rotation replaces the files.
	serial := func() (string, error) {
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, certs.CertFile), filepath.Join(dir, certs.KeyFile))
		if err != nil {
			return "", err
		}
		return pair.Leaf.SerialNumber.String(), nil
	}

	It("issues a certificate when there is none, keeps it while fresh and renews it after two thirds of its validity", func() {
		renewAt, err := rotator.Ensure()
		Expect(err).NotTo(HaveOccurred())
		first, err := serial()
		Expect(err).NotTo(HaveOccurred())
		Expect(renewAt.Sub(clock.Now())).To(BeNumerically("~", 2*time.Hour, 5*time.Minute))

		clock.Step(time.Hour)
		Expect(rotator.Ensure()).To(Equal(renewAt))
		Expect(serial()).To(Equal(first))

		clock.Step(time.Hour + 5*time.Minute)
		_, err = rotator.Ensure()
		Expect(err).NotTo(HaveOccurred())
		Expect(serial()).NotTo(Equal(first))
	})

	It("replaces a certificate for other hosts", func() {
		_, err := rotator.Authority.Issue(dir, []string{"localhost"}, 3*time.Hour)
		Expect(err).NotTo(HaveOccurred())
		first, err := serial()
		Expect(err).NotTo(HaveOccurred())
		_, err = rotator.Ensure()
		Expect(err).NotTo(HaveOccurred())
		Expect(serial()).NotTo(Equal(first))
		Expect(rotator.Authority.Serving(dir, []string{"127.0.0.1"})).NotTo(BeNil())
	})

	It("rotates while it runs, when the clock passes the renewal time", func(ctx SpecContext) {
		_, err := rotator.Ensure()
		Expect(err).NotTo(HaveOccurred())
		first, err := serial()
		Expect(err).NotTo(HaveOccurred())

		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- rotator.Start(runCtx) }()
		Eventually(clock.HasWaiters).Should(BeTrue())
		clock.Step(2*time.Hour + time.Minute)
		Eventually(serial).WithTimeout(30 * time.Second).Should(And(Not(BeEmpty()), Not(Equal(first))))
		cancel()
		Eventually(done).Should(Receive(BeNil()))
	})
})

var _ = Describe("A webhook server serving from the certificate directory through its Reloader", func() {
	It("serves every request while its certificate is rotated, and serves the new certificate after each rotation", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		authority, err := certs.LoadOrCreateAuthority(dir, "test")
		Expect(err).NotTo(HaveOccurred())
		_, err = authority.Issue(dir, []string{"127.0.0.1"}, time.Hour)
		Expect(err).NotTo(HaveOccurred())

		port := freePort()
		certificate := &certs.Reloader{Dir: dir, Interval: 100 * time.Millisecond, Trust: func(_ context.Context, cert *x509.Certificate) error {
			return certs.Verifies(authority.Bundle(), cert, time.Now())
		}}
		server := webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: dir, TLSOpts: []func(*tls.Config){certificate.TLSOption}})
		server.Register("/ok", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
		serveCtx, stop := context.WithCancel(ctx)
		served := make(chan error, 2)
		go func() { served <- server.Start(serveCtx) }()
		go func() { served <- certificate.Start(serveCtx) }()
		DeferCleanup(func() { stop(); Eventually(served).Should(Receive()); Eventually(served).Should(Receive()) })

		pool := x509.NewCertPool()
		Expect(pool.AppendCertsFromPEM(authority.Bundle())).To(BeTrue())
		// No keep-alive: every request makes a new TLS handshake, which gets the certificate served at that moment.
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			DisableKeepAlives: true,
		}}
		url := "https://127.0.0.1:" + strconv.Itoa(port) + "/ok"
		Eventually(func() error { _, err := get(client, url); return err }).Should(Succeed())

		var (
			requests, failures atomic.Int64
			mu                 sync.Mutex
			seen               = map[string]bool{}
			firstFailure       error
			load, loadStop     = context.WithCancel(ctx)
			wg                 sync.WaitGroup
		)
		for range 4 {
			wg.Go(func() {
				for load.Err() == nil {
					serial, err := get(client, url)
					requests.Add(1)
					mu.Lock()
					if err != nil {
						failures.Add(1)
						if firstFailure == nil {
							firstFailure = err
						}
					} else {
						seen[serial] = true
					}
					mu.Unlock()
				}
			})
		}
		seenSerial := func(serial string) bool { mu.Lock(); defer mu.Unlock(); return seen[serial] }

		const rotations = 5
		for range rotations {
			cert, err := authority.Issue(dir, []string{"127.0.0.1"}, time.Hour)
			Expect(err).NotTo(HaveOccurred())
			Eventually(seenSerial).WithArguments(cert.SerialNumber.String()).WithTimeout(30 * time.Second).Should(BeTrue())
		}
		loadStop()
		wg.Wait()

		Expect(failures.Load()).To(BeZero(), "first failure: %v", firstFailure)
		Expect(seen).To(HaveLen(rotations + 1))
		GinkgoWriter.Printf("%d requests, %d certificates served, no failure\n", requests.Load(), len(seen))
	})
})

// get requests url and returns the serial number of the certificate the server presented.
func get(client *http.Client, url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		return "", fmt.Errorf("answer %d %q", resp.StatusCode, body)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber.String(), nil
}

func freePort() int {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
