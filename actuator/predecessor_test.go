package actuator_test

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/gardener/gardener/extensions/pkg/controller/containerruntime"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	. "github.com/gardener/gardener-extension-runtime-sandbox/actuator"
)

var _ = Describe("Taking over from gardener-extension-runtime-gvisor", func() {
	const (
		shared       = "extension-runtime-gvisor"
		installation = "extension-runtime-gvisor-installation-g"
		grmFinalizer = "resources.gardener.cloud/gardener-resource-manager"
	)

	var (
		ctx = context.Background()
		log = logr.Discard()
		c   client.Client
		a   containerruntime.Actuator
	)

	// deployIncumbent creates a ManagedResource as gardener-extension-runtime-gvisor did, with a
	// gardener-resource-manager finalizer, so that its deletion can be watched.
	deployIncumbent := func(name string) {
		GinkgoHelper()
		Expect(managedresources.CreateForShoot(ctx, c, namespace, name, "extension-runtime-gvisor", false,
			map[string][]byte{"config.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: containerd-gvisor-g\n  namespace: kube-system\n")})).To(Succeed())
		mr := &resourcesv1alpha1.ManagedResource{}
		Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, mr)).To(Succeed())
		mr.Finalizers = []string{grmFinalizer}
		Expect(c.Update(ctx, mr)).To(Succeed())
	}
	get := func(name string) (*resourcesv1alpha1.ManagedResource, error) {
		mr := &resourcesv1alpha1.ManagedResource{}
		return mr, c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, mr)
	}
	// releaseFinalizer plays gardener-resource-manager, which removes its finalizer once it has deleted the objects
	// (or, with keepObjects, right away).
	releaseFinalizer := func(name string) {
		GinkgoHelper()
		mr, err := get(name)
		Expect(err).NotTo(HaveOccurred())
		mr.Finalizers = nil
		Expect(c.Update(ctx, mr)).To(Succeed())
	}

	BeforeEach(func() {
		c = fakeclient.NewClientBuilder().WithScheme(newScheme()).Build()
		a = New(c, Config{InstallerImage: image, DeleteTimeout: time.Second})
		deployIncumbent(shared)
		deployIncumbent(installation)
	})

	It("removes the pool's installation before deploying the installer, and releases the shared one keeping RuntimeClass gvisor", func() {
		cr := containerRuntime("gvisor", "g", "")
		cluster := clusterOf(worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"}))

		By("waiting while gardener-resource-manager deletes the predecessor's installation DaemonSet")
		Expect(a.Reconcile(ctx, log, cr, cluster)).To(MatchError(ContainSubstring("waiting for the predecessor's ManagedResource " + installation)))
		_, err := get(ManagedResourceName(cr.Name))
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the installer must not be deployed before the predecessor's installation is gone")
		mr, err := get(installation)
		Expect(err).NotTo(HaveOccurred())
		Expect(mr.DeletionTimestamp).NotTo(BeNil())
		Expect(mr.Spec.KeepObjects).NotTo(Equal(new(true)), "its DaemonSet and ConfigMap must go")

		By("releasing the shared one with keepObjects, so that RuntimeClass gvisor stays for this extension to take over")
		mr, err = get(shared)
		Expect(err).NotTo(HaveOccurred())
		Expect(mr.DeletionTimestamp).NotTo(BeNil())
		Expect(mr.Spec.KeepObjects).To(Equal(new(true)))

		By("deploying once they are gone")
		releaseFinalizer(installation)
		releaseFinalizer(shared)
		Expect(a.Reconcile(ctx, log, cr, cluster)).To(Succeed())
		for _, name := range []string{installation, shared} {
			_, err := get(name)
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), name)
		}
		_, err = get(ManagedResourceName(cr.Name))
		Expect(err).NotTo(HaveOccurred())
		Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("gvisor"))

		By("removing their secrets too")
		secrets := &corev1.SecretList{}
		Expect(c.List(ctx, secrets, client.InNamespace(namespace))).To(Succeed())
		for _, s := range secrets.Items {
			Expect(s.Name).NotTo(ContainSubstring("extension-runtime-gvisor"))
		}
	})

	It("leaves the installation of another pool alone", func() {
		Expect(a.Reconcile(ctx, log, containerRuntime("gvisor", "other", ""), nil)).To(Succeed())
		mr, err := get(installation)
		Expect(err).NotTo(HaveOccurred())
		Expect(mr.DeletionTimestamp).To(BeNil())
	})

	It("does nothing for a Kata pool of the same name", func() {
		Expect(a.Reconcile(ctx, log, containerRuntime("kata", "g", ""), nil)).To(Succeed())
		for _, name := range []string{installation, shared} {
			mr, err := get(name)
			Expect(err).NotTo(HaveOccurred())
			Expect(mr.DeletionTimestamp).To(BeNil(), name)
		}
	})
})
