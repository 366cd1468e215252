package landscape

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsmanager "github.com/gardener/gardener/pkg/utils/secrets/manager"
)

// NewestManagedSecret returns the newest secret of Gardener's certificate management named configName (its "name"
// label) in namespace.
func (l *Landscape) NewestManagedSecret(ctx context.Context, namespace, configName string) (*corev1.Secret, error) {
	list := &corev1.SecretList{}
	if err := l.Client.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{
		secretsmanager.LabelKeyName:      configName,
		secretsmanager.LabelKeyManagedBy: secretsmanager.LabelValueSecretsManager,
	}); err != nil {
		return nil, fmt.Errorf("listing the secrets %s in %s: %w", configName, namespace, err)
	}
	if len(list.Items) == 0 {
		return nil, fmt.Errorf("no secret %s in %s", configName, namespace)
	}
	newest := slices.MaxFunc(list.Items, func(a, b corev1.Secret) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	return &newest, nil
}

// RenewManagedCertificateNow makes Gardener's certificate management renew the certificate configName of namespace
// at its next sync, as it does once 80% of a certificate's validity have passed.
func (l *Landscape) RenewManagedCertificateNow(ctx context.Context, namespace, configName string) error {
	secret, err := l.NewestManagedSecret(ctx, namespace, configName)
	if err != nil {
		return err
	}
	patch := client.MergeFrom(secret.DeepCopy())
	metav1.SetMetaDataLabel(&secret.ObjectMeta, secretsmanager.LabelKeyRenewAfterValidityPercentage, "0")
	return l.Client.Patch(ctx, secret, patch)
}
