// Package certs serves the webhook server's certificates: the Reloader serves the certificate of the server's
// certificate directory and takes up a renewed one once the webhooks' callers trust it (in every run). Where
// Gardener's certificate management does not run (local runs and tests, without --webhook-config-namespace), the
// package also provides the certificates: a self-signed CA kept in the certificate directory, the server
// certificates it issues, and their rotation before they expire.
package certs

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	secretsutils "github.com/gardener/gardener/pkg/utils/secrets"
)

// Files in the certificate directory. The server certificate and key have the names controller-runtime's webhook
// server reads by default.
const (
	CAFile    = "ca.crt"
	CAKeyFile = "ca.key"
	CertFile  = "tls.crt"
	KeyFile   = "tls.key"
)

// CAValidity is how long a CA created by LoadOrCreateAuthority is valid. The CA is not rotated while serving (the
// API servers trust it through the registered CA bundles), so it is long-lived, as Gardener's unmanaged certificates.
const CAValidity = 10 * 365 * 24 * time.Hour

// Authority is a self-signed CA whose certificate and key live in a certificate directory.
type Authority struct {
	ca *secretsutils.Certificate
}

// LoadOrCreateAuthority returns the CA kept in dir, or creates one named name there when dir holds none, or one that
// cannot be read, whose key does not match, or that expires within a day. Keeping it across restarts keeps the CA bundles registered in webhook
// configurations valid.
func LoadOrCreateAuthority(dir, name string) (*Authority, error) {
	certPEM, certErr := os.ReadFile(filepath.Join(dir, CAFile))
	keyPEM, keyErr := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if certErr == nil && keyErr == nil {
		ca, err := secretsutils.LoadCertificate(name, keyPEM, certPEM)
		// A key that does not match the certificate (a crash between writing the two) makes a new CA too.
		if err == nil && ca.Certificate.IsCA && ca.PrivateKey.PublicKey.Equal(ca.Certificate.PublicKey) && time.Until(ca.Certificate.NotAfter) > 24*time.Hour {
			return &Authority{ca: ca}, nil
		}
	} else if err := errors.Join(certErr, keyErr); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the CA in %s: %w", dir, err)
	}

	ca, err := (&secretsutils.CertificateSecretConfig{
		Name:       name,
		CommonName: name,
		CertType:   secretsutils.CACert,
		Validity:   new(CAValidity),
	}).GenerateCertificate()
	if err == nil {
		ca, err = parsed(ca)
	}
	if err != nil {
		return nil, fmt.Errorf("generating the CA %s: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the certificate directory: %w", err)
	}
	// The key first: a CA certificate without its key is not taken up again.
	if err := writeAtomically(dir, CAKeyFile, ca.PrivateKeyPEM); err != nil {
		return nil, err
	}
	if err := writeAtomically(dir, CAFile, ca.CertificatePEM); err != nil {
		return nil, err
	}
	return &Authority{ca: ca}, nil
}

// Bundle returns the CA certificate (PEM), the CA bundle of webhook configurations.
func (a *Authority) Bundle() []byte { return a.ca.CertificatePEM }

// Issue issues a server certificate for hosts (DNS names or IP addresses), valid for validity, and writes it with
// its key into dir as KeyFile and CertFile. Each file is replaced atomically (a new file renamed over the old one),
// so a reader never sees a partly written file; between the two renames the key and certificate do not match,
// which the webhook server's certificate reload refuses, keeping the certificate it serves until the pair matches.
func (a *Authority) Issue(dir string, hosts []string, validity time.Duration) (*x509.Certificate, error) {
	if len(hosts) == 0 {
		return nil, errors.New("a server certificate needs at least one host")
	}
	var (
		dnsNames []string
		ips      []net.IP
	)
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
		} else {
			dnsNames = append(dnsNames, h)
		}
	}
	cert, err := (&secretsutils.CertificateSecretConfig{
		Name:                        "webhook-server",
		CommonName:                  hosts[0],
		DNSNames:                    dnsNames,
		IPAddresses:                 ips,
		CertType:                    secretsutils.ServerCert,
		SigningCA:                   a.ca,
		Validity:                    &validity,
		SkipPublishingCACertificate: true,
	}).GenerateCertificate()
	if err == nil {
		cert, err = parsed(cert)
	}
	if err != nil {
		return nil, fmt.Errorf("generating the server certificate for %v: %w", hosts, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the certificate directory: %w", err)
	}
	if err := writeAtomically(dir, KeyFile, cert.PrivateKeyPEM); err != nil {
		return nil, err
	}
	if err := writeAtomically(dir, CertFile, cert.CertificatePEM); err != nil {
		return nil, err
	}
	return cert.Certificate, nil
}

// Serving returns the server certificate in dir, if it is one this authority signed for exactly hosts; nil
// otherwise (missing, unreadable, for other hosts or from another CA).
func (a *Authority) Serving(dir string, hosts []string) *x509.Certificate {
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		return nil
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil
	}
	cert, err := secretsutils.LoadCertificate("webhook-server", keyPEM, certPEM)
	if err != nil || !cert.PrivateKey.PublicKey.Equal(cert.Certificate.PublicKey) {
		return nil
	}
	if err := cert.Certificate.CheckSignatureFrom(a.ca.Certificate); err != nil {
		return nil
	}
	var names []string
	names = append(names, cert.Certificate.DNSNames...)
	for _, ip := range cert.Certificate.IPAddresses {
		names = append(names, ip.String())
	}
	want := slices.Clone(hosts)
	for i, h := range want {
		if ip := net.ParseIP(h); ip != nil {
			want[i] = ip.String()
		}
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(slices.Compact(names), slices.Compact(want)) {
		return nil
	}
	return cert.Certificate
}

// parsed returns a generated certificate as read back from its PEM encoding: the generator returns its template,
// without the encoded form that signature checks and the serial-preserving comparisons need.
func parsed(cert *secretsutils.Certificate) (*secretsutils.Certificate, error) {
	return secretsutils.LoadCertificate(cert.Name, cert.PrivateKeyPEM, cert.CertificatePEM)
}

// writeAtomically replaces dir/name with data: written to a temporary file in dir, synced, then renamed over it.
func writeAtomically(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename; removed on failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close() //nolint:errcheck // the write error is the one to report
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close() //nolint:errcheck // the sync error is the one to report
		return fmt.Errorf("syncing %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("replacing %s: %w", name, err)
	}
	return nil
}
