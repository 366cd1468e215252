package actuator_test

import (
	"context"
	"encoding/json"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	. "github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

// clusterResource returns the Cluster resource of namespace carrying the Shoot of cluster.
func clusterResource(cluster *extensionscontroller.Cluster) *extensionsv1alpha1.Cluster {
	GinkgoHelper()
	shoot := cluster.Shoot.DeepCopy()
	shoot.SetGroupVersionKind(gardencorev1beta1.SchemeGroupVersion.WithKind("Shoot"))
	raw, err := json.Marshal(shoot)
	Expect(err).NotTo(HaveOccurred())
	return &extensionsv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: namespace},
		Spec:       extensionsv1alpha1.ClusterSpec{Shoot: runtime.RawExtension{Raw: raw}},
	}
}

// webhookCABundles returns the CA bundles of the pod webhook configurations in the shared ManagedResource.
func webhookCABundles(ctx context.Context, c client.Client) []string {
	GinkgoHelper()
	var out []string
	for _, obj := range objectsOf(ctx, c, ShootManagedResourceName) {
		for _, b := range certs.BundlesOf(obj) {
			out = append(out, string(b.Bundle))
		}
	}
	return out
}

var _ = Describe("The shared ManagedResource", func() {
	var (
		ctx      = context.Background()
		log      = logr.Discard()
		c        client.Client
		caBundle string
		cfg      Config
		cluster  *extensionscontroller.Cluster
	)

	BeforeEach(func() {
		cluster = clusterOf(
			worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"}),
			worker("k", gardencorev1beta1.ContainerRuntime{Type: "kata"}),
		)
		c = fakeclient.NewClientBuilder().WithScheme(newScheme()).WithObjects(clusterResource(cluster)).Build()
		caBundle = "first CA"
		cfg = Config{
			InstallerImage: image,
			DeleteTimeout:  3 * time.Second,
			ShootClient: func(context.Context, string) (client.Client, error) {
				return fakeclient.NewClientBuilder().Build(), nil
			},
			PodWebhookClientConfig: func(context.Context) (func(string) admissionregistrationv1.WebhookClientConfig, error) {
				bundle := []byte(caBundle)
				return func(path string) admissionregistrationv1.WebhookClientConfig {
					return admissionregistrationv1.WebhookClientConfig{URL: new("https://seed.example" + path), CABundle: bundle}
				}, nil
			},
		}
	})

	It("follows the CA bundle when the shoot webhooks are refreshed", func() {
		a := New(c, cfg)
		Expect(a.Reconcile(ctx, log, containerRuntime("gvisor", "g", ""), cluster)).To(Succeed())
		Expect(webhookCABundles(ctx, c)).To(HaveEach("first CA"))

		caBundle = "second CA"
		Expect(RefreshShootWebhooks(ctx, c, cfg)).To(Succeed())
		bundles := webhookCABundles(ctx, c)
		Expect(bundles).NotTo(BeEmpty())
		Expect(bundles).To(HaveEach("second CA"))
		Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("gvisor", "kata-clh", "kata-qemu"))
	})

	It("drops the classes of a removed pool when another ContainerRuntime remains", func() {
		a := New(c, cfg)
		gvisorCR, kataCR := containerRuntime("gvisor", "g", ""), containerRuntime("kata", "k", "")
		for _, cr := range []*extensionsv1alpha1.ContainerRuntime{gvisorCR, kataCR} {
			Expect(c.Create(ctx, cr)).To(Succeed())
			Expect(a.Reconcile(ctx, log, cr, cluster)).To(Succeed())
		}
		Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("gvisor", "kata-clh", "kata-qemu"))

		withoutKata := clusterOf(worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"}))
		Expect(a.Delete(ctx, log, kataCR, withoutKata)).To(Succeed())
		Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("gvisor"))
	})
})
