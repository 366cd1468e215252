package oscmutation_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

var _ = Describe("The ContainerRuntime controller of the seed component", func() {
	It("reconciles a gVisor ContainerRuntime to Succeeded with its ManagedResources, and removes them on delete", func() {
		cr := &extensionsv1alpha1.ContainerRuntime{
			ObjectMeta: metav1.ObjectMeta{Name: "gvisor-pool", Namespace: landscape.SampleShootNamespace},
			Spec: extensionsv1alpha1.ContainerRuntimeSpec{
				DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: "gvisor"},
				BinaryPath:  "/var/bin/containerruntimes",
				WorkerPool: extensionsv1alpha1.ContainerRuntimeWorkerPool{
					Name:     "gvisor",
					Selector: metav1.LabelSelector{MatchLabels: map[string]string{"worker.gardener.cloud/pool": "gvisor"}},
				},
			},
		}
		Expect(land.Client.Create(ctx, cr)).To(Succeed())

		Eventually(func(g Gomega) {
			g.Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(cr), cr)).To(Succeed())
			g.Expect(cr.Status.LastOperation).NotTo(BeNil())
			g.Expect(cr.Status.LastOperation.State).To(Equal(gardencorev1beta1.LastOperationStateSucceeded), cr.Status.LastOperation.Description)
		}).WithTimeout(time.Minute).Should(Succeed())

		Expect(managedResourceContent(cr.Namespace, actuator.ManagedResourceName(cr.Name))).To(And(
			ContainSubstring("kind: DaemonSet"), ContainSubstring("image: "+landscape.LocalInstallerImage)))
		Expect(managedResourceContent(cr.Namespace, actuator.ShootManagedResourceName)).To(And(
			ContainSubstring("kind: RuntimeClass"),
			ContainSubstring("handler: runsc"),
			ContainSubstring("kind: MutatingWebhookConfiguration"),
			ContainSubstring("kind: ValidatingWebhookConfiguration"),
			ContainSubstring("url: "+seed.URL+"/webhooks/pod/gvisor,kata-qemu,kata-fc/annotated"),
			ContainSubstring("caBundle: "),
		))

		By("deleting it")
		Expect(land.Client.Delete(ctx, cr)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(land.Client.Get(ctx, client.ObjectKeyFromObject(cr), cr))
		}).WithTimeout(time.Minute).Should(BeTrue())
		for _, name := range []string{actuator.ManagedResourceName(cr.Name), actuator.ShootManagedResourceName} {
			err := land.Client.Get(ctx, client.ObjectKey{Namespace: cr.Namespace, Name: name}, &resourcesv1alpha1.ManagedResource{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), name)
		}
	})

	It("fails a ContainerRuntime with an invalid providerConfig with Gardener's configuration-problem code", func() {
		cr := &extensionsv1alpha1.ContainerRuntime{
			ObjectMeta: metav1.ObjectMeta{Name: "kata-invalid", Namespace: landscape.SampleShootNamespace},
			Spec: extensionsv1alpha1.ContainerRuntimeSpec{
				DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: "kata", ProviderConfig: rawJSON(`{` + kataAPI + `,"hypervisors":["vmware"]}`)},
				BinaryPath:  "/var/bin/containerruntimes",
				WorkerPool:  extensionsv1alpha1.ContainerRuntimeWorkerPool{Name: "kata"},
			},
		}
		Expect(land.Client.Create(ctx, cr)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(land.Client.Delete(ctx, cr))).To(Succeed()) })

		Eventually(func(g Gomega) {
			g.Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(cr), cr)).To(Succeed())
			g.Expect(cr.Status.LastError).NotTo(BeNil())
			g.Expect(cr.Status.LastError.Codes).To(ContainElement(gardencorev1beta1.ErrorConfigurationProblem))
			g.Expect(cr.Status.LastError.Description).To(ContainSubstring(`spec.providerConfig.hypervisors[0]: Unsupported value: "vmware"`))
		}).WithTimeout(time.Minute).Should(Succeed())
	})
})

func rawJSON(s string) *runtime.RawExtension { return &runtime.RawExtension{Raw: []byte(s)} }

// managedResourceContent returns the objects of a ManagedResource, encoded as YAML and concatenated.
func managedResourceContent(namespace, name string) string {
	GinkgoHelper()
	objs, err := managedresources.GetObjects(ctx, land.Client, namespace, name)
	Expect(err).NotTo(HaveOccurred())
	var out strings.Builder
	for _, obj := range objs {
		data, err := yaml.Marshal(obj)
		Expect(err).NotTo(HaveOccurred())
		out.Write(data)
		out.WriteString("---\n")
	}
	return out.String()
}
