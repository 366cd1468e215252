package oscmutation_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1beta1helper "github.com/gardener/gardener/pkg/api/core/v1beta1/helper"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

var _ = Describe("A landscape switching from gardener-extension-runtime-gvisor", func() {
	// legacyConfig is what gardener-extension-runtime-gvisor accepted and this extension's admission refuses: an
	// unknown flag, a value it did not apply and an unknown field, which it ignored, besides valid flags.
	const legacyConfig = `{` + gvisorAPI + `,"configFlags":{"net-raw":"true","panic-signal":"12","host-uds":"all","nvproxy":"yes"},"testImageTag":"v0.1","extra":1}`

	// switchedNamespace creates a seed namespace whose Cluster carries the sample Shoot with gvisorConfig as stored,
	// with the shoot access secret the health checks use, and returns its name.
	switchedNamespace := func(gvisorConfig string) string {
		GinkgoHelper()
		ns := shootNamespace(gvisorConfig, "")
		access := &corev1.Secret{}
		Expect(land.Client.Get(ctx, client.ObjectKey{Namespace: samples.ShootNamespace, Name: v1beta1constants.SecretNameGardener}, access)).To(Succeed())
		Expect(land.Client.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: access.Name},
			Data:       access.Data,
		})).To(Succeed())
		return ns
	}
	containerRuntimeIn := func(namespace, providerConfig string) *extensionsv1alpha1.ContainerRuntime {
		cr := gvisorContainerRuntime("gvisor")
		cr.Namespace = namespace
		if providerConfig != "" {
			cr.Spec.ProviderConfig = rawJSON(providerConfig)
		}
		return cr
	}

	It("applies a stored configuration without what the incumbent ignored, keeps reconciling and reports each ignored field on the ContainerRuntime", func() {
		ns := switchedNamespace(legacyConfig)

		By("mutating the pool's OSC with the valid flags only")
		o := oscIn(ns, "gvisor-switched", "gvisor")
		createEventually(o)
		Expect(fileContent(o, "/etc/containerd/runsc.toml")).To(Equal("[runsc_config]\nnet-raw = 'true'\npanic-signal = '12'\n"))

		By("reconciling the pool's ContainerRuntime to Succeeded")
		cr := containerRuntimeIn(ns, legacyConfig)
		createUntilCleanup(cr)
		waitUntilSucceeded(cr)
		Expect(managedResourceContent(ns, actuator.ShootManagedResourceName)).To(ContainSubstring("handler: runsc"))

		By("reporting each ignored field with its path in the Shoot, as a configuration problem, in a condition Gardener shows on the Shoot")
		Eventually(func(g Gomega) {
			g.Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(cr), cr)).To(Succeed())
			c := v1beta1helper.GetCondition(cr.Status.Conditions, gardencorev1beta1.ShootSystemComponentsHealthy)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(gardencorev1beta1.ConditionFalse))
			g.Expect(c.Codes).To(ContainElement(gardencorev1beta1.ErrorConfigurationProblem))
			g.Expect(c.Message).To(And(
				ContainSubstring(`the gvisor providerConfig of worker pool "gvisor" was stored before this extension checked it`),
				ContainSubstring(`spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[host-uds]: Unsupported value: "host-uds"`),
				ContainSubstring(`spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[nvproxy]: Unsupported value: "yes"`),
				ContainSubstring(`spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.extra: Forbidden: unknown field "extra"`),
				ContainSubstring("correct or remove them in the Shoot"),
			))
		}).WithTimeout(time.Minute).Should(Succeed())
	})

	It("removes the incumbent's ManagedResources of the pool on its first reconcile", func() {
		ns := switchedNamespace("")
		incumbent := []string{"extension-runtime-gvisor", "extension-runtime-gvisor-installation-gvisor", "extension-runtime-gvisor-installation-other"}
		// As the incumbent deploys them: the RuntimeClass in the first, each pool's installation in its own. Every
		// shoot namespace of the suite plays the same shoot (this API server): the installations are objects of their
		// own, so that no other ManagedResource re-creates what the deletion removes.
		for i, name := range incumbent {
			object := "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: gvisor\nhandler: runsc\n"
			if i > 0 {
				object = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + ns + "-" + name + "\n  namespace: kube-system\n"
			}
			Expect(managedresources.CreateForShoot(ctx, land.Client, ns, name, "extension-runtime-gvisor", false,
				map[string][]byte{"config.yaml": []byte(object)})).To(Succeed())
		}

		cr := containerRuntimeIn(ns, "")
		createUntilCleanup(cr)
		waitUntilSucceeded(cr)
		for _, name := range incumbent[:2] {
			err := land.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &resourcesv1alpha1.ManagedResource{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), name)
		}
		Expect(land.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: incumbent[2]}, &resourcesv1alpha1.ManagedResource{})).To(Succeed(),
			"another pool's installation is that pool's to remove")
		Expect(managedResourceContent(ns, actuator.ManagedResourceName(cr.Name))).To(ContainSubstring("kind: DaemonSet"))
	})
})
