package actuator_test

import (
	"context"
	"crypto/x509"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/go-logr/logr"

	. "github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

var _ = Describe("ShootWebhooksTrust", func() {
	var (
		ctx           = context.Background()
		c             client.Client
		cfg           Config
		oldCA, newCA  *certs.Authority
		caBundle      []byte
		rotated       *x509.Certificate
		markApplied   func()
		trustsRotated = func() error { return ShootWebhooksTrust(c)(ctx, rotated) }
	)

	BeforeEach(func() {
		var err error
		oldCA, err = certs.LoadOrCreateAuthority(GinkgoT().TempDir(), "old")
		Expect(err).NotTo(HaveOccurred())
		newCA, err = certs.LoadOrCreateAuthority(GinkgoT().TempDir(), "new")
		Expect(err).NotTo(HaveOccurred())
		rotated, err = newCA.Issue(GinkgoT().TempDir(), []string{"127.0.0.1"}, time.Hour)
		Expect(err).NotTo(HaveOccurred())
		caBundle = oldCA.Bundle()

		cluster := clusterOf(worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"}))
		c = fakeclient.NewClientBuilder().WithScheme(newScheme()).WithObjects(clusterResource(cluster)).
			WithStatusSubresource(&resourcesv1alpha1.ManagedResource{}).Build()
		cfg = Config{
			InstallerImage: image,
			PodWebhookClientConfig: func(context.Context) (func(string) admissionregistrationv1.WebhookClientConfig, error) {
				bundle := caBundle
				return func(path string) admissionregistrationv1.WebhookClientConfig {
					return admissionregistrationv1.WebhookClientConfig{URL: new("https://seed.example" + path), CABundle: bundle}
				}, nil
			},
		}
		Expect(New(c, cfg).Reconcile(ctx, logr.Discard(), containerRuntime("gvisor", "g", ""), cluster)).To(Succeed())
		markApplied = func() {
			GinkgoHelper()
			mr := &resourcesv1alpha1.ManagedResource{}
			Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ShootManagedResourceName}, mr)).To(Succeed())
			mr.Status.ObservedGeneration = mr.Generation
			mr.Status.Conditions = []gardencorev1beta1.Condition{{Type: resourcesv1alpha1.ResourcesApplied, Status: gardencorev1beta1.ConditionTrue}}
			Expect(c.Status().Update(ctx, mr)).To(Succeed())
		}
		markApplied()
	})

	It("refuses a certificate of a CA the shoot's pod webhooks do not carry, naming the shoot", func() {
		Expect(trustsRotated()).To(MatchError(And(ContainSubstring("shoot "+namespace), ContainSubstring("certificate signed by unknown authority"))))
	})

	It("refuses it while gardener-resource-manager has not applied the ManagedResource that carries the new CA", func() {
		caBundle = append(append([]byte{}, oldCA.Bundle()...), newCA.Bundle()...)
		Expect(RefreshShootWebhooks(ctx, c, cfg)).To(Succeed())
		// The API server counts the ManagedResource's new spec in its generation; the fake client does not.
		mr := &resourcesv1alpha1.ManagedResource{}
		Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ShootManagedResourceName}, mr)).To(Succeed())
		mr.Generation++
		Expect(c.Update(ctx, mr)).To(Succeed())
		Expect(trustsRotated()).To(MatchError(ContainSubstring("is not applied at its current generation yet")))

		markApplied()
		Expect(trustsRotated()).To(Succeed())
	})
})
