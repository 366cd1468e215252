package actuator_test

import (
	"context"
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
)

const (
	image   = "example.org/runtime-sandbox-installer:v1"
	kataAPI = `"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"`
)

func rawJSON(v any) runtime.RawExtension {
	GinkgoHelper()
	raw, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	return runtime.RawExtension{Raw: raw}
}

func containerRuntime(namespace, runtimeType, pool, providerConfig string) *extensionsv1alpha1.ContainerRuntime {
	cr := &extensionsv1alpha1.ContainerRuntime{
		ObjectMeta: metav1.ObjectMeta{Name: runtimeType + "-" + pool, Namespace: namespace},
		Spec: extensionsv1alpha1.ContainerRuntimeSpec{
			DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: runtimeType},
			BinaryPath:  "/var/bin/containerruntimes",
			WorkerPool: extensionsv1alpha1.ContainerRuntimeWorkerPool{
				Name:     pool,
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{"worker.gardener.cloud/pool": pool}},
			},
		},
	}
	if providerConfig != "" {
		cr.Spec.ProviderConfig = &runtime.RawExtension{Raw: []byte(providerConfig)}
	}
	return cr
}

var _ = Describe("ContainerRuntime actuator against a real API server", func() {
	It("deploys the installer and RuntimeClasses through ManagedResources and removes them, and the ready labels of the pool's nodes, on deletion", func() {
		log := logf.Log.WithName("actuator")
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "shoot--dev--"}}
		Expect(c.Create(ctx, ns)).To(Succeed())
		DeferCleanup(func() { Expect(c.Delete(ctx, ns)).To(Succeed()) })

		kataConfig := `{` + kataAPI + `,"hypervisors":["qemu","fc"]}`
		shoot := &gardencorev1beta1.Shoot{
			TypeMeta:   metav1.TypeMeta{APIVersion: gardencorev1beta1.SchemeGroupVersion.String(), Kind: "Shoot"},
			ObjectMeta: metav1.ObjectMeta{Name: "sandbox", Namespace: "garden-dev"},
			Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{
				{Name: "g", CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{{Type: "gvisor"}}}},
				{Name: "k", CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{{Type: "kata", ProviderConfig: &runtime.RawExtension{Raw: []byte(kataConfig)}}}}},
			}}},
		}
		cluster := &extensionsv1alpha1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Name: ns.Name},
			Spec: extensionsv1alpha1.ClusterSpec{
				CloudProfile: rawJSON(map[string]string{"apiVersion": "core.gardener.cloud/v1beta1", "kind": "CloudProfile"}),
				Seed:         new(rawJSON(map[string]string{"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Seed"})),
				Shoot:        rawJSON(shoot),
			},
		}
		Expect(c.Create(ctx, cluster)).To(Succeed())
		DeferCleanup(func() { Expect(c.Delete(ctx, cluster)).To(Succeed()) })

		gvisorCR := containerRuntime(ns.Name, "gvisor", "g", "")
		kataCR := containerRuntime(ns.Name, "kata", "k", kataConfig)
		for _, cr := range []*extensionsv1alpha1.ContainerRuntime{gvisorCR, kataCR} {
			Expect(c.Create(ctx, cr)).To(Succeed())
		}

		By("creating the pools' nodes, labelled ready by their installers")
		nodes := map[string]*corev1.Node{}
		for name, labels := range map[string]map[string]string{
			"g": {"worker.gardener.cloud/pool": "g", "runtime.gardener.cloud/gvisor-ready": "true"},
			"k": {"worker.gardener.cloud/pool": "k", "runtime.gardener.cloud/kata-ready": "true", "katacontainers.io/kata-runtime": "true"},
		} {
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-", Labels: labels}}
			Expect(c.Create(ctx, node)).To(Succeed())
			DeferCleanup(func() { Expect(client.IgnoreNotFound(c.Delete(ctx, node))).To(Succeed()) })
			nodes[name] = node
		}
		nodeLabels := func(pool string) map[string]string {
			GinkgoHelper()
			node := &corev1.Node{}
			Expect(c.Get(ctx, client.ObjectKeyFromObject(nodes[pool]), node)).To(Succeed())
			return node.Labels
		}

		// The same API server plays seed and shoot.
		a := actuator.New(c, actuator.Config{InstallerImage: image, ShootClient: func(context.Context, string) (client.Client, error) { return c, nil }})
		decoded, err := extensionscontroller.GetCluster(ctx, c, ns.Name)
		Expect(err).NotTo(HaveOccurred())
		Expect(decoded.Shoot.Spec.Provider.Workers).To(HaveLen(2))

		By("reconciling both ContainerRuntimes")
		for _, cr := range []*extensionsv1alpha1.ContainerRuntime{gvisorCR, kataCR} {
			Expect(a.Reconcile(ctx, log, cr, decoded)).To(Succeed())
		}

		for _, tc := range []struct{ cr, runtimeType, daemonSet string }{
			{"gvisor-g", "gvisor", "runtime-sandbox-installer-g-gvisor"},
			{"kata-k", "kata", "runtime-sandbox-installer-k-kata"},
		} {
			mr := &resourcesv1alpha1.ManagedResource{}
			Expect(c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "extension-runtime-sandbox-" + tc.cr}, mr)).To(Succeed())
			Expect(mr.Labels).To(HaveKeyWithValue("origin", "runtime-sandbox"))
			Expect(mr.Spec.SecretRefs).To(HaveLen(1))
			secret := &corev1.Secret{}
			Expect(c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: mr.Spec.SecretRefs[0].Name}, secret)).To(Succeed())

			objs, err := managedresources.GetObjects(ctx, c, ns.Name, mr.Name)
			Expect(err).NotTo(HaveOccurred())
			var kinds []string
			for _, o := range objs {
				switch o := o.(type) {
				case *appsv1.DaemonSet:
					Expect(o.Name).To(Equal(tc.daemonSet))
					Expect(o.Namespace).To(Equal("kube-system"))
					Expect(o.Spec.Template.Spec.Containers[0].Image).To(Equal(image))
					Expect(o.Spec.Template.Spec.Containers[0].Args).To(ContainElement("--runtime-type=" + tc.runtimeType))
					kinds = append(kinds, "DaemonSet")
				case *corev1.ServiceAccount:
					kinds = append(kinds, "ServiceAccount")
				case *rbacv1.ClusterRole:
					kinds = append(kinds, "ClusterRole")
				case *rbacv1.ClusterRoleBinding:
					kinds = append(kinds, "ClusterRoleBinding")
				case *admissionregistrationv1.ValidatingAdmissionPolicy:
					kinds = append(kinds, "ValidatingAdmissionPolicy")
				case *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
					kinds = append(kinds, "ValidatingAdmissionPolicyBinding")
				default:
					kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind)
				}
			}
			Expect(kinds).To(ConsistOf("DaemonSet", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"))
		}

		objs, err := managedresources.GetObjects(ctx, c, ns.Name, actuator.ShootManagedResourceName)
		Expect(err).NotTo(HaveOccurred())
		var classes []string
		for _, o := range objs {
			rc, ok := o.(*nodev1.RuntimeClass)
			Expect(ok).To(BeTrue(), "%T in the RuntimeClasses ManagedResource", o)
			classes = append(classes, rc.Name)
		}
		// GetObjects returns the objects in the order of the ManagedResource secret's map keys.
		Expect(classes).To(ConsistOf("gvisor", "kata-fc", "kata-qemu"))

		gone := func(name string) {
			GinkgoHelper()
			err := c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: name}, &resourcesv1alpha1.ManagedResource{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), "ManagedResource %s: %v", name, err)
		}
		present := func(name string) {
			GinkgoHelper()
			Expect(c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: name}, &resourcesv1alpha1.ManagedResource{})).To(Succeed())
		}

		By("deleting the gvisor ContainerRuntime: the shared RuntimeClasses stay for the kata pool")
		Expect(a.Delete(ctx, log, gvisorCR, decoded)).To(Succeed())
		Expect(c.Delete(ctx, gvisorCR)).To(Succeed())
		gone("extension-runtime-sandbox-gvisor-g")
		present("extension-runtime-sandbox-kata-k")
		present(actuator.ShootManagedResourceName)
		Expect(nodeLabels("g")).To(Equal(map[string]string{"worker.gardener.cloud/pool": "g"}), "the gvisor pool's ready label goes with the runtime")
		Expect(nodeLabels("k")).To(HaveKeyWithValue("runtime.gardener.cloud/kata-ready", "true"))

		By("deleting the last ContainerRuntime: everything is gone, secrets included")
		Expect(a.Delete(ctx, log, kataCR, decoded)).To(Succeed())
		Expect(c.Delete(ctx, kataCR)).To(Succeed())
		gone("extension-runtime-sandbox-kata-k")
		gone(actuator.ShootManagedResourceName)
		Expect(nodeLabels("k")).To(Equal(map[string]string{"worker.gardener.cloud/pool": "k"}), "both of Kata's labels go")
		secrets := &corev1.SecretList{}
		Expect(c.List(ctx, secrets, client.InNamespace(ns.Name))).To(Succeed())
		Expect(secrets.Items).To(BeEmpty())
	})
})
