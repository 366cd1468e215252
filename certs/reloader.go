package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// Defaults of a Reloader.
const (
	// DefaultInterval is how often the certificate directory is read and a held certificate's trust checked.
	DefaultInterval = 2 * time.Second
	// DefaultMaxHold is how long a new certificate is held back at most while some caller does not trust it yet.
	DefaultMaxHold = 10 * time.Minute
)

// Trust reports, with an error naming what does not trust it yet, whether every API server that calls the webhooks
// trusts cert.
type Trust func(ctx context.Context, cert *x509.Certificate) error

// Reloader serves the certificate of a directory (CertFile and KeyFile) through GetCertificate and switches to a
// new one there only once the API servers that call the webhooks trust it. It is a controller-runtime Runnable that
// runs on every replica: each serves.
//
// Whoever renews the certificate (Gardener's certificate management in a cluster, the Rotator in local runs) writes
// it into the directory. Served at once, as controller-runtime's certificate watcher serves it, a certificate of a
// rotated CA is refused by every API server whose webhook configuration does not carry the new CA yet: the seed's
// for a moment, each shoot's until gardener-resource-manager has applied the refreshed pod webhook configurations,
// and pods that ask for a sandbox are refused meanwhile (the webhooks fail closed). The Reloader keeps serving the
// previous certificate until Trust verifies the new one, or until MaxHold has passed (the previous CA stays in the
// bundles long after a rotation: a day with Gardener's certificate management, the CA's lifetime in local runs).
type Reloader struct {
	// Dir is the webhook server's certificate directory.
	Dir string
	// Trust checks a new certificate; nil trusts every certificate.
	Trust Trust
	// Interval is how often Dir is read; DefaultInterval when zero.
	Interval time.Duration
	// MaxHold is how long a new certificate is held back at most; DefaultMaxHold when zero.
	MaxHold time.Duration
	// Clock tells the time; the real clock when nil.
	Clock clock.Clock
	// Log receives a line per switch and per held certificate.
	Log logr.Logger

	served atomic.Pointer[tls.Certificate]
	// mu serialises loads: the first TLS handshakes and Start may load at the same time.
	mu sync.Mutex
	// pending is the certificate held back, and since when.
	pending      []byte
	pendingSince time.Time
}

// GetCertificate returns the served certificate, for tls.Config.GetCertificate. Before the first switch it serves
// what the directory holds.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if cert := r.served.Load(); cert != nil {
		return cert, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cert := r.served.Load(); cert != nil {
		return cert, nil
	}
	cert, err := r.read()
	if err != nil {
		return nil, err
	}
	r.served.Store(cert)
	return cert, nil
}

// TLSOption makes a tls.Config serve the Reloader's certificate (a controller-runtime webhook server TLS option: with
// it, the server does not start its own certificate watcher).
func (r *Reloader) TLSOption(c *tls.Config) { c.GetCertificate = r.GetCertificate }

// Start reads the directory every Interval until ctx is done and switches to a new certificate once trusted.
func (r *Reloader) Start(ctx context.Context) error {
	ticker := time.NewTicker(r.interval())
	defer ticker.Stop()
	for {
		if err := r.Sync(ctx); err != nil {
			r.Log.Error(err, "Checking the webhook server certificate failed, serving the current one")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// NeedLeaderElection tells the manager to run the Reloader on every replica.
func (r *Reloader) NeedLeaderElection() bool { return false }

// Sync reads the directory once and switches to its certificate if it is new and trusted, or held back for
// MaxHold.
func (r *Reloader) Sync(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next, err := r.read()
	if err != nil {
		return err
	}
	current := r.served.Load()
	if current != nil && bytes.Equal(current.Certificate[0], next.Certificate[0]) {
		r.pending = nil
		return nil
	}
	if current == nil {
		r.served.Store(next)
		return nil
	}

	now := r.clock().Now()
	log := r.Log.WithValues("serial", next.Leaf.SerialNumber.String(), "issuer", next.Leaf.Issuer.String())
	trustErr := r.check(ctx, next.Leaf)
	if !bytes.Equal(r.pending, next.Certificate[0]) {
		r.pending, r.pendingSince = next.Certificate[0], now
		if trustErr != nil {
			log.Info("Holding back the new webhook server certificate until every caller trusts its CA", "maxHold", r.maxHold().String(), "untrusted", trustErr.Error())
		}
	}
	switch {
	case trustErr == nil:
		log.Info("Serving the new webhook server certificate: every caller trusts its CA")
	case now.Sub(r.pendingSince) >= r.maxHold():
		log.Info("Serving the new webhook server certificate although not every caller trusts its CA yet", "heldFor", now.Sub(r.pendingSince).String(), "untrusted", trustErr.Error())
	default:
		return nil
	}
	r.served.Store(next)
	r.pending = nil
	return nil
}

// checkTimeout bounds a trust check: an API server that does not answer holds the certificate back, never the
// Reloader.
const checkTimeout = 30 * time.Second

// check runs Trust, or trusts when there is none.
func (r *Reloader) check(ctx context.Context, cert *x509.Certificate) error {
	if r.Trust == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	return r.Trust(ctx, cert)
}

// read loads the key pair of the directory. A pair caught while it is being written (certificate and key do not
// match, or a file is cut short) is an error: the next read takes it up.
func (r *Reloader) read() (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(filepath.Join(r.Dir, CertFile))
	if err != nil {
		return nil, fmt.Errorf("reading the webhook server certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(r.Dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("reading the webhook server key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading the webhook server certificate of %s: %w", r.Dir, err)
	}
	if cert.Leaf == nil {
		return nil, errors.New("the webhook server certificate has no leaf")
	}
	return &cert, nil
}

func (r *Reloader) clock() clock.Clock {
	if r.Clock == nil {
		return clock.RealClock{}
	}
	return r.Clock
}

func (r *Reloader) interval() time.Duration {
	if r.Interval <= 0 {
		return DefaultInterval
	}
	return r.Interval
}

func (r *Reloader) maxHold() time.Duration {
	if r.MaxHold <= 0 {
		return DefaultMaxHold
	}
	return r.MaxHold
}

// Verifies reports whether a CA bundle (PEM) verifies cert as a server certificate, with an error saying why not.
func Verifies(bundle []byte, cert *x509.Certificate, now time.Time) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(bundle) {
		return errors.New("the CA bundle holds no certificate")
	}
	_, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}
