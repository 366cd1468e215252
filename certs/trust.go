package certs

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WebhookConfigurations trusts a certificate once every webhook of the webhook configurations named name, of the
// given kinds (e.g. an empty MutatingWebhookConfiguration), carries a CA bundle that verifies it; a configuration
// that does not exist asks for nothing. Pass only the kinds the component registers: it may read no others.
func WebhookConfigurations(reader client.Reader, name string, kinds ...client.Object) Trust {
	return func(ctx context.Context, cert *x509.Certificate) error {
		var bundles []NamedBundle
		for _, kind := range kinds {
			config := kind.DeepCopyObject().(client.Object)
			if err := reader.Get(ctx, client.ObjectKey{Name: name}, config); apierrors.IsNotFound(err) {
				continue
			} else if err != nil {
				return fmt.Errorf("reading webhook configuration %s: %w", name, err)
			}
			bundles = append(bundles, BundlesOf(config)...)
		}
		return VerifyAll(bundles, cert, time.Now())
	}
}

// BundlesOf returns the CA bundles of the webhooks of a Mutating- or ValidatingWebhookConfiguration, none for other
// objects.
func BundlesOf(obj client.Object) []NamedBundle {
	var bundles []NamedBundle
	switch config := obj.(type) {
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		for _, w := range config.Webhooks {
			bundles = append(bundles, NamedBundle{Name: "MutatingWebhookConfiguration " + config.Name + " webhook " + w.Name, Bundle: w.ClientConfig.CABundle})
		}
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		for _, w := range config.Webhooks {
			bundles = append(bundles, NamedBundle{Name: "ValidatingWebhookConfiguration " + config.Name + " webhook " + w.Name, Bundle: w.ClientConfig.CABundle})
		}
	}
	return bundles
}

// NamedBundle is a CA bundle (PEM) and what carries it, for messages.
type NamedBundle struct {
	Name   string
	Bundle []byte
}

// VerifyAll returns an error naming every bundle that does not verify cert.
func VerifyAll(bundles []NamedBundle, cert *x509.Certificate, now time.Time) error {
	var errs []error
	for _, b := range bundles {
		if err := Verifies(b.Bundle, cert, now); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.Name, err))
		}
	}
	return errors.Join(errs...)
}

// TrustAll trusts a certificate once every one of trusts does.
func TrustAll(trusts ...Trust) Trust {
	return func(ctx context.Context, cert *x509.Certificate) error {
		var errs []error
		for _, t := range trusts {
			if err := t(ctx, cert); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}
