package certs

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// retryInterval is how long the Rotator waits after a failed rotation before it tries again.
const retryInterval = time.Minute

// Rotator keeps the server certificate in a directory fresh: it issues one from its Authority when the directory
// holds none for its hosts, and a new one once two thirds of the current one's validity have passed. It is a
// controller-runtime Runnable that runs on every replica (each serves webhooks from its own directory); the Reloader
// picks the new certificate up while serving.
type Rotator struct {
	// Authority signs the server certificates.
	Authority *Authority
	// Dir is the webhook server's certificate directory.
	Dir string
	// Hosts are the DNS names and IP addresses the certificates are for.
	Hosts []string
	// Validity is how long each server certificate is valid.
	Validity time.Duration
	// Clock tells the time; the real clock when nil.
	Clock clock.Clock
	// Log receives a line per rotation.
	Log logr.Logger
}

// Ensure issues a server certificate unless the directory holds one for the hosts from the authority that is not
// yet due for renewal, and returns when the certificate in the directory is due.
func (r *Rotator) Ensure() (time.Time, error) {
	if cert := r.Authority.Serving(r.Dir, r.Hosts); cert != nil {
		if renewAt := renewalTime(cert.NotBefore, cert.NotAfter); r.clock().Now().Before(renewAt) {
			return renewAt, nil
		}
	}
	cert, err := r.Authority.Issue(r.Dir, r.Hosts, r.Validity)
	if err != nil {
		return time.Time{}, fmt.Errorf("rotating the server certificate in %s: %w", r.Dir, err)
	}
	r.Log.Info("Issued webhook server certificate", "hosts", r.Hosts, "serial", cert.SerialNumber.String(), "notAfter", cert.NotAfter)
	return renewalTime(cert.NotBefore, cert.NotAfter), nil
}

// Start rotates the server certificate whenever it is due, until ctx is done. A failed rotation is retried; the
// current certificate is served meanwhile.
func (r *Rotator) Start(ctx context.Context) error {
	for {
		wait := retryInterval
		if renewAt, err := r.Ensure(); err != nil {
			r.Log.Error(err, "Rotation failed, retrying", "in", retryInterval)
		} else {
			wait = renewAt.Sub(r.clock().Now())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.clock().After(wait):
		}
	}
}

// NeedLeaderElection tells controller-runtime's manager to run the Rotator on every replica.
func (r *Rotator) NeedLeaderElection() bool { return false }

func (r *Rotator) clock() clock.Clock {
	if r.Clock == nil {
		return clock.RealClock{}
	}
	return r.Clock
}

// renewalTime is when two thirds of a certificate's validity have passed.
func renewalTime(notBefore, notAfter time.Time) time.Time {
	return notBefore.Add(notAfter.Sub(notBefore) * 2 / 3)
}
