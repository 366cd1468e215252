package oscmutation_test

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1beta1helper "github.com/gardener/gardener/pkg/api/core/v1beta1/helper"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

var _ = Describe("The ContainerRuntime controller of the seed component", func() {
	It("reconciles a gVisor ContainerRuntime to Succeeded with its ManagedResources, and removes them on delete", func() {
		cr := gvisorContainerRuntime("gvisor-pool")
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
			ContainSubstring("url: "+seed.URL+"/webhooks/pod/v1.36/gvisor=gvisor,kata-qemu=kata,kata-fc=kata/annotated"),
			ContainSubstring("caBundle: "),
		))

		By("deleting it")
		Expect(land.Client.Delete(ctx, cr)).To(Succeed())
		waitUntilGone(cr)
		for _, name := range []string{actuator.ManagedResourceName(cr.Name), actuator.ShootManagedResourceName} {
			err := land.Client.Get(ctx, client.ObjectKey{Namespace: cr.Namespace, Name: name}, &resourcesv1alpha1.ManagedResource{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), name)
		}
	})

	It("reconciles the sample Shoot's ContainerRuntimes, which make run-local deploys, and removes everything with the last", func() {
		crs, err := land.DeployContainerRuntimes(ctx, time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(crs).To(HaveLen(2))
		DeferCleanup(func() {
			for _, cr := range crs {
				Expect(client.IgnoreNotFound(land.Client.Delete(ctx, cr))).To(Succeed())
			}
		})

		for _, cr := range crs {
			objs, err := managedresources.GetObjects(ctx, land.Client, cr.Namespace, actuator.ManagedResourceName(cr.Name))
			Expect(err).NotTo(HaveOccurred())
			var daemonSets []*appsv1.DaemonSet
			for _, obj := range objs {
				if ds, ok := obj.(*appsv1.DaemonSet); ok {
					daemonSets = append(daemonSets, ds)
				}
			}
			Expect(daemonSets).To(HaveLen(1), cr.Name)
			Expect(daemonSets[0].Name).To(Equal(actuator.InstallerName(cr.Spec.WorkerPool.Name, cr.Spec.Type)))
			Expect(daemonSets[0].Spec.Template.Spec.NodeSelector).To(Equal(map[string]string{"worker.gardener.cloud/pool": cr.Spec.WorkerPool.Name}))
			Expect(daemonSets[0].Spec.Template.Spec.Containers[0].Args).To(ContainElement("--source=/installer/bin/" + cr.Spec.Type))
		}

		shoot, err := samples.Shoot()
		Expect(err).NotTo(HaveOccurred())
		var want []string
		for _, rc := range runtimes.OfferedClasses(shoot) {
			want = append(want, rc.Name)
		}
		objs, err := managedresources.GetObjects(ctx, land.Client, samples.ShootNamespace, actuator.ShootManagedResourceName)
		Expect(err).NotTo(HaveOccurred())
		var got []string
		for _, obj := range objs {
			if rc, ok := obj.(*nodev1.RuntimeClass); ok {
				got = append(got, rc.Name)
			}
		}
		Expect(got).To(ConsistOf(want))

		By("deleting them")
		for _, cr := range crs {
			Expect(land.Client.Delete(ctx, cr)).To(Succeed())
		}
		for _, cr := range crs {
			waitUntilGone(cr)
			err := land.Client.Get(ctx, client.ObjectKey{Namespace: cr.Namespace, Name: actuator.ManagedResourceName(cr.Name)}, &resourcesv1alpha1.ManagedResource{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), cr.Name)
		}
		err = land.Client.Get(ctx, client.ObjectKey{Namespace: samples.ShootNamespace, Name: actuator.ShootManagedResourceName}, &resourcesv1alpha1.ManagedResource{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue())
	})

	It("fails a ContainerRuntime with an invalid providerConfig with Gardener's configuration-problem code", func() {
		cr := &extensionsv1alpha1.ContainerRuntime{
			ObjectMeta: metav1.ObjectMeta{Name: "kata-invalid", Namespace: samples.ShootNamespace},
			Spec: extensionsv1alpha1.ContainerRuntimeSpec{
				DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: "kata", ProviderConfig: rawJSON(`{` + kataAPI + `,"hypervisors":["vmware"]}`)},
				BinaryPath:  "/var/bin/containerruntimes",
				WorkerPool:  extensionsv1alpha1.ContainerRuntimeWorkerPool{Name: "kata", Selector: metav1.LabelSelector{MatchLabels: map[string]string{"worker.gardener.cloud/pool": "kata"}}},
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

var _ = Describe("The health checks of the seed component", func() {
	It("report a ContainerRuntime as its ManagedResources and installer DaemonSet really are: healthy with no node to run on, unhealthy while a node of the pool lacks a ready installer", func() {
		cr := gvisorContainerRuntime("gvisor-health")
		createUntilCleanup(cr)

		condition := func(g Gomega) gardencorev1beta1.Condition {
			g.Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(cr), cr)).To(Succeed())
			c := v1beta1helper.GetCondition(cr.Status.Conditions, gardencorev1beta1.ShootSystemComponentsHealthy)
			g.Expect(c).NotTo(BeNil(), "no SystemComponentsHealthy condition yet")
			return *c
		}
		waitUntilSucceeded(cr)

		By("gardener-resource-manager applies the ManagedResources; the installer DaemonSet has no node to run on")
		daemonSet := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: actuator.InstallerNamespace, Name: actuator.InstallerName("gvisor", "gvisor")}}
		Eventually(func(g Gomega) {
			g.Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(daemonSet), daemonSet)).To(Succeed())
			g.Expect(daemonSet.Annotations).To(HaveKeyWithValue("resources.gardener.cloud/origin", ContainSubstring(actuator.ManagedResourceName(cr.Name))))
			g.Expect(daemonSet.Status.ObservedGeneration).To(Equal(daemonSet.Generation))
			g.Expect(daemonSet.Status.DesiredNumberScheduled).To(BeZero())
			c := condition(g)
			g.Expect(c.Status).To(Equal(gardencorev1beta1.ConditionTrue), c.Message)
		}).WithTimeout(time.Minute).Should(Succeed())

		// The landscape has no scheduler and no kubelet: the installer pod stays pending, as on a node that cannot run it.
		By("adding a node of the pool: the DaemonSet controller creates an installer pod for it, which never runs")
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "gvisor-health-node", Labels: map[string]string{"worker.gardener.cloud/pool": "gvisor"}}}
		Expect(land.Client.Create(ctx, node)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(land.Client.Delete(ctx, node))).To(Succeed()) })
		Eventually(func(g Gomega) {
			c := condition(g)
			g.Expect(c.Status).To(Equal(gardencorev1beta1.ConditionFalse))
			g.Expect(c.Message).To(ContainSubstring(`installer of worker pool "gvisor" not ready on every node`))
		}).WithTimeout(time.Minute).Should(Succeed())
	})
})

// gvisorContainerRuntime returns a ContainerRuntime of type gvisor for the sample Shoot's pool gvisor, as gardenlet
// creates it.
func gvisorContainerRuntime(name string) *extensionsv1alpha1.ContainerRuntime {
	return &extensionsv1alpha1.ContainerRuntime{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: samples.ShootNamespace},
		Spec: extensionsv1alpha1.ContainerRuntimeSpec{
			DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: "gvisor"},
			BinaryPath:  landscape.BinaryPath,
			WorkerPool: extensionsv1alpha1.ContainerRuntimeWorkerPool{
				Name:     "gvisor",
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{"worker.gardener.cloud/pool": "gvisor"}},
			},
		},
	}
}

// createUntilCleanup creates the ContainerRuntime and, at the spec's cleanup, deletes it and waits until it is gone.
func createUntilCleanup(cr *extensionsv1alpha1.ContainerRuntime) {
	GinkgoHelper()
	Expect(land.Client.Create(ctx, cr)).To(Succeed())
	DeferCleanup(func() {
		Expect(client.IgnoreNotFound(land.Client.Delete(ctx, cr))).To(Succeed())
		waitUntilGone(cr)
	})
}

// waitUntilGone waits until the deleted ContainerRuntime is gone, i.e. its ManagedResources are, as long as the
// actuator waits for them and a little longer; a failure says what still holds it: its last operation and error, its ManagedResources' conditions and the objects
// gardener-resource-manager still deletes.
func waitUntilGone(cr *extensionsv1alpha1.ContainerRuntime) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		current := &extensionsv1alpha1.ContainerRuntime{}
		err := land.Client.Get(ctx, client.ObjectKeyFromObject(cr), current)
		if apierrors.IsNotFound(err) {
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		var held []string
		if op := current.Status.LastOperation; op != nil {
			held = append(held, fmt.Sprintf("last operation %s %s: %s", op.Type, op.State, op.Description))
		}
		if e := current.Status.LastError; e != nil {
			held = append(held, "last error: "+e.Description)
		}
		for _, name := range []string{actuator.ManagedResourceName(cr.Name), actuator.ShootManagedResourceName} {
			mr := &resourcesv1alpha1.ManagedResource{}
			if err := land.Client.Get(ctx, client.ObjectKey{Namespace: cr.Namespace, Name: name}, mr); err == nil {
				for _, c := range mr.Status.Conditions {
					held = append(held, fmt.Sprintf("ManagedResource %s (deleting: %t) %s=%s: %s", name, mr.DeletionTimestamp != nil, c.Type, c.Status, c.Message))
				}
			}
		}
		g.Expect(current.Name).To(BeEmpty(), "ContainerRuntime %s is still there: %s", cr.Name, strings.Join(held, "; "))
	}).WithTimeout(actuator.DefaultDeleteTimeout + 10*time.Second).Should(Succeed())
}

// waitUntilSucceeded waits until the ContainerRuntime's last operation succeeded: its ManagedResources exist.
func waitUntilSucceeded(cr *extensionsv1alpha1.ContainerRuntime) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		g.Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(cr), cr)).To(Succeed())
		g.Expect(cr.Status.LastOperation).NotTo(BeNil())
		g.Expect(cr.Status.LastOperation.State).To(Equal(gardencorev1beta1.LastOperationStateSucceeded), cr.Status.LastOperation.Description)
	}).WithTimeout(time.Minute).Should(Succeed())
}

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

var _ = Describe("The shoot webhook CA refresh of the seed component", func() {
	It("gives every shoot's pod webhook configurations the new CA bundle when the seed webhook configuration's changes", func() {
		cr := gvisorContainerRuntime("gvisor-ca")
		createUntilCleanup(cr)
		waitUntilSucceeded(cr)

		By("adding a second CA to the seed webhook configuration's bundle, as a CA rotation does")
		seedConfig := &admissionregistrationv1.MutatingWebhookConfiguration{}
		Expect(land.Client.Get(ctx, client.ObjectKey{Name: "gardener-extension-runtime-sandbox"}, seedConfig)).To(Succeed())
		original := seedConfig.DeepCopy()
		extra, err := certs.LoadOrCreateAuthority(GinkgoT().TempDir(), "rotated-ca")
		Expect(err).NotTo(HaveOccurred())
		rotated := append(append([]byte{}, seedConfig.Webhooks[0].ClientConfig.CABundle...), extra.Bundle()...)
		for i := range seedConfig.Webhooks {
			seedConfig.Webhooks[i].ClientConfig.CABundle = rotated
		}
		Expect(land.Client.Patch(ctx, seedConfig, client.MergeFrom(original))).To(Succeed())
		DeferCleanup(func() {
			current := &admissionregistrationv1.MutatingWebhookConfiguration{}
			Expect(land.Client.Get(ctx, client.ObjectKey{Name: original.Name}, current)).To(Succeed())
			restored := current.DeepCopy()
			restored.Webhooks = original.Webhooks
			Expect(land.Client.Patch(ctx, restored, client.MergeFrom(current))).To(Succeed())
		})

		Eventually(func(g Gomega) {
			objs, err := managedresources.GetObjects(ctx, land.Client, cr.Namespace, actuator.ShootManagedResourceName)
			g.Expect(err).NotTo(HaveOccurred())
			var bundles [][]byte
			for _, obj := range objs {
				for _, b := range certs.BundlesOf(obj) {
					bundles = append(bundles, b.Bundle)
				}
			}
			g.Expect(bundles).NotTo(BeEmpty())
			g.Expect(bundles).To(HaveEach(Equal(rotated)))
		}).WithTimeout(time.Minute).Should(Succeed())
	})
})
