package shootvalidation_test

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

const (
	gvisorAPI = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`
	kataAPI   = `"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"`

	gvisorConfigPath = "spec.provider.workers[0].cri.containerRuntimes[0].providerConfig"
	kataConfigPath   = "spec.provider.workers[1].cri.containerRuntimes[0].providerConfig"

	webhookConfigName = "gardener-extension-admission-runtime-sandbox"
)

var nameCounter int

// newShoot returns the sample Shoot (pool 0: gvisor, pool 1: kata) under a fresh name, with the given
// providerConfigs ("" keeps the sample's).
func newShoot(gvisorConfig, kataConfig string) *gardencorev1beta1.Shoot {
	shoot, err := samples.Shoot()
	Expect(err).NotTo(HaveOccurred())
	nameCounter++
	shoot.Name = fmt.Sprintf("it-%d", nameCounter)
	if gvisorConfig != "" {
		shoot.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(gvisorConfig)}
	}
	if kataConfig != "" {
		shoot.Spec.Provider.Workers[1].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(kataConfig)}
	}
	return shoot
}

// create creates the Shoot and registers its deletion.
func create(shoot *gardencorev1beta1.Shoot) error {
	err := c.Create(ctx, shoot)
	if err == nil {
		DeferCleanup(deleteShoot, shoot)
	}
	return err
}

func deleteShoot(shoot *gardencorev1beta1.Shoot) {
	patch := client.MergeFrom(shoot.DeepCopy())
	metav1.SetMetaDataAnnotation(&shoot.ObjectMeta, "confirmation.gardener.cloud/deletion", "true")
	shoot.Finalizers = nil
	Expect(client.IgnoreNotFound(c.Patch(ctx, shoot, patch))).To(Succeed())
	Expect(client.IgnoreNotFound(c.Delete(ctx, shoot))).To(Succeed())
}

var _ = Describe("Shoot validation through the real Gardener API", func() {
	BeforeEach(func() { warnings.take() })

	It("accepts example/shoot.yaml", func() {
		Expect(create(newShoot("", ""))).To(Succeed())
		Expect(warnings.take()).To(BeEmpty())
	})

	It("accepts pools without providerConfig (defaults apply)", func() {
		shoot := newShoot("", "")
		shoot.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].ProviderConfig = nil
		shoot.Spec.Provider.Workers[1].CRI.ContainerRuntimes[0].ProviderConfig = nil
		Expect(create(shoot)).To(Succeed())
	})

	DescribeTable("refuses a wrong providerConfig with the field path, the bad value and what is allowed",
		func(gvisorConfig, kataConfig string, fragments ...string) {
			err := create(newShoot(gvisorConfig, kataConfig))
			Expect(err).To(HaveOccurred())
			Expect(apierrors.IsInvalid(err) || apierrors.IsForbidden(err) || apierrors.IsBadRequest(err)).To(BeTrue(), err.Error())
			for _, f := range fragments {
				Expect(err.Error()).To(ContainSubstring(f))
			}
		},
		Entry("unknown gVisor flag",
			`{`+gvisorAPI+`,"configFlags":{"foo":"true"}}`, "",
			"admission webhook", gvisorConfigPath+`.configFlags[foo]: Unsupported value: "foo"`, `"debug", "net-raw", "nvproxy"`),
		Entry("gVisor flag value not true/false",
			`{`+gvisorAPI+`,"configFlags":{"net-raw":"yes"}}`, "",
			gvisorConfigPath+`.configFlags[net-raw]: Unsupported value: "yes"`, `"true", "false"`),
		Entry("gVisor flag value not a string",
			`{`+gvisorAPI+`,"configFlags":{"debug":true}}`, "",
			gvisorConfigPath+".configFlags[debug]"),
		Entry("unknown gVisor field",
			`{`+gvisorAPI+`,"configFlag":{"debug":"true"}}`, "",
			gvisorConfigPath+".configFlag", `unknown field "configFlag"`),
		Entry("wrong gVisor apiVersion",
			`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1beta1","kind":"GVisorConfiguration"}`, "",
			gvisorConfigPath+".apiVersion", "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1"),
		Entry("wrong gVisor kind",
			`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"}`, "",
			gvisorConfigPath+".kind", "GVisorConfiguration"),
		Entry("unknown hypervisor",
			"", `{`+kataAPI+`,"hypervisors":["vmware"]}`,
			kataConfigPath+`.hypervisors[0]: Unsupported value: "vmware"`, `"qemu", "clh", "fc"`),
		Entry("duplicate hypervisor",
			"", `{`+kataAPI+`,"hypervisors":["qemu","qemu"]}`,
			kataConfigPath+`.hypervisors[1]: Invalid value: "qemu": listed twice: each hypervisor may appear only once`),
		Entry("empty hypervisor list",
			"", `{`+kataAPI+`,"hypervisors":[]}`,
			kataConfigPath+".hypervisors: Required value"),
		Entry("wrong Kata apiVersion",
			"", `{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"}`,
			kataConfigPath+".apiVersion", "kata.runtime.extensions.config.gardener.cloud/v1alpha1"),
	)

	It("reports every problem of a pool at once", func() {
		err := create(newShoot(`{`+gvisorAPI+`,"configFlags":{"foo":"true","net-raw":"yes","debug":"false"}}`, ""))
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(And(
			ContainSubstring(gvisorConfigPath+".configFlags[foo]"),
			ContainSubstring(gvisorConfigPath+".configFlags[net-raw]"),
			Not(ContainSubstring(".configFlags[debug]")),
		))
	})

	It("reports the problems of both runtime types at once", func() {
		err := create(newShoot(`{`+gvisorAPI+`,"configFlags":{"foo":"true"}}`, `{`+kataAPI+`,"hypervisors":["vmware"]}`))
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(And(
			ContainSubstring(gvisorConfigPath+".configFlags[foo]"),
			ContainSubstring(kataConfigPath+".hypervisors[0]"),
		))
	})

	It("accepts the deprecated gVisor apiVersion with a warning naming the current one", func() {
		Expect(create(newShoot(`{"apiVersion":"gvisor.os.extensions.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"debug":"true"}}`, ""))).To(Succeed())
		Expect(warnings.take()).To(ContainElement(And(
			ContainSubstring(gvisorConfigPath+".apiVersion"),
			ContainSubstring("gvisor.os.extensions.gardener.cloud/v1alpha1 is deprecated"),
			ContainSubstring("use gvisor.runtime.extensions.config.gardener.cloud/v1alpha1"),
		)))
	})

	DescribeTable("accepts every providerConfig gardener-extension-runtime-gvisor accepted and applied",
		func(gvisorConfig string, warningFragments ...string) {
			Expect(create(newShoot(gvisorConfig, ""))).To(Succeed())
			got := warnings.take()
			if len(warningFragments) == 0 {
				Expect(got).To(BeEmpty())
				return
			}
			Expect(got).To(HaveLen(1))
			for _, f := range warningFragments {
				Expect(got[0]).To(ContainSubstring(f))
			}
		},
		Entry("all its flags", `{`+gvisorAPI+`,"configFlags":{"debug":"true","net-raw":"true","nvproxy":"true","panic-signal":"12"}}`),
		Entry("panic-signal turned off", `{`+gvisorAPI+`,"configFlags":{"panic-signal":"-1"}}`),
		Entry("testImageTag, with a warning that it has no effect and why",
			`{`+gvisorAPI+`,"testImageTag":"v0.30.0-test"}`,
			gvisorConfigPath+".testImageTag: has no effect and can be removed", "this extension's installer image, which the operator pins"),
	)

	It("refuses a panic-signal that is no signal number, with the allowed range", func() {
		err := create(newShoot(`{`+gvisorAPI+`,"configFlags":{"panic-signal":"SIGUSR2"}}`, ""))
		Expect(err).To(MatchError(ContainSubstring(gvisorConfigPath + `.configFlags[panic-signal]: Invalid value: "SIGUSR2": must be a signal number from 1 to 64, or -1 to turn the panic off`)))
	})

	It("refuses a huge invalid providerConfig with at most 20 problems, shortened, saying how many more there are", func() {
		flags := make([]string, 0, 300)
		for i := range 300 {
			flags = append(flags, fmt.Sprintf(`"flag-%03d-%s":"true"`, i, strings.Repeat("x", 500)))
		}
		huge := `"a` + strings.Repeat("k", 256<<10) + `":"true"`
		err := create(newShoot(`{`+gvisorAPI+`,"configFlags":{`+huge+`,`+strings.Join(flags, ",")+`}}`, ""))
		Expect(err).To(HaveOccurred())
		status, ok := err.(apierrors.APIStatus)
		Expect(ok).To(BeTrue(), "%T", err)
		Expect(status.Status().Details.Causes).To(HaveLen(21))
		Expect(err.Error()).To(And(
			ContainSubstring(gvisorConfigPath+".configFlags[akkkk"), ContainSubstring("more bytes not shown)"),
			HaveSuffix("281 more problems not shown: fix the ones above and try again to see them"),
		))
		Expect(len(err.Error())).To(BeNumerically("<", 32<<10))
	})

	It("refuses the same runtime type twice in one pool", func() {
		shoot := newShoot("", "")
		pool := &shoot.Spec.Provider.Workers[0]
		pool.CRI.ContainerRuntimes = append(pool.CRI.ContainerRuntimes, pool.CRI.ContainerRuntimes[0])
		err := create(shoot)
		Expect(err).To(HaveOccurred())
		// Gardener's own Shoot validation already refuses duplicates, before any webhook is asked.
		Expect(err.Error()).To(ContainSubstring("spec.provider.workers[0].cri.containerruntimes[1].type: Duplicate value"))
	})

	It("refuses a Kata pool whose machine type lacks the required capability, naming pool, machine type and capability", func() {
		shoot := newShoot("", "")
		shoot.Spec.Provider.Workers[1].Machine.Type = "local-small"
		err := create(shoot)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(And(
			ContainSubstring(`spec.provider.workers[1].machine.type: Invalid value: "local-small"`),
			ContainSubstring(`worker pool "kata"`),
			ContainSubstring("nestedVirtualization=supported"),
		))
	})

	It("accepts a gVisor pool on a machine type without nested virtualization", func() {
		shoot := newShoot("", "")
		shoot.Spec.Provider.Workers = shoot.Spec.Provider.Workers[:1]
		Expect(shoot.Spec.Provider.Workers[0].Machine.Type).To(Equal("local-small"))
		Expect(create(shoot)).To(Succeed())
	})

	Context("a Shoot stored before its providerConfig was refused", Ordered, func() {
		var shoot *gardencorev1beta1.Shoot

		BeforeAll(func() {
			By("taking the webhooks away and storing a Shoot with an unknown hypervisor")
			webhookConfig := &admissionregistrationv1.ValidatingWebhookConfiguration{}
			Expect(c.Get(ctx, client.ObjectKey{Name: webhookConfigName}, webhookConfig)).To(Succeed())
			Expect(c.Delete(ctx, webhookConfig)).To(Succeed())
			restore := webhookConfig.DeepCopy()
			restore.ResourceVersion, restore.UID = "", ""
			DeferCleanup(func() { Expect(client.IgnoreAlreadyExists(c.Create(ctx, restore.DeepCopy()))).To(Succeed()) })

			shoot = newShoot("", `{`+kataAPI+`,"hypervisors":["vmware"]}`)
			Eventually(func() error { return create(shoot.DeepCopy()) }).WithTimeout(time.Minute).Should(Succeed())
			Expect(c.Get(ctx, client.ObjectKeyFromObject(shoot), shoot)).To(Succeed())

			By("restoring the webhooks")
			Expect(c.Create(ctx, restore.DeepCopy())).To(Succeed())
			probe := newShoot("", `{`+kataAPI+`,"hypervisors":["vmware"]}`)
			Eventually(func() error { return c.Create(ctx, probe.DeepCopy(), client.DryRunAll) }).WithTimeout(time.Minute).Should(MatchError(ContainSubstring("admission webhook")))
		})

		It("is not judged again on an update that leaves the container runtimes unchanged", func() {
			patch := client.MergeFrom(shoot.DeepCopy())
			metav1.SetMetaDataLabel(&shoot.ObjectMeta, "team", "sandbox")
			shoot.Spec.Provider.Workers[0].Maximum = 3
			Expect(c.Patch(ctx, shoot, patch)).To(Succeed())
		})

		It("is judged when its container runtimes change", func() {
			patch := client.MergeFrom(shoot.DeepCopy())
			shoot.Spec.Provider.Workers[1].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(`{` + kataAPI + `,"hypervisors":["vmware","qemu"]}`)}
			err := c.Patch(ctx, shoot.DeepCopy(), patch)
			Expect(err).To(MatchError(ContainSubstring(kataConfigPath + `.hypervisors[0]: Unsupported value: "vmware"`)))
		})

		// Gardener forbids spec changes once a Shoot is being deleted, so this shows that the deletion goes through;
		// the webhook's own deletion rule is proven by the unit tests.
		It("is let through while it is being deleted", func() {
			patch := client.MergeFrom(shoot.DeepCopy())
			shoot.Finalizers = append(shoot.Finalizers, "test.runtime-sandbox/hold")
			metav1.SetMetaDataAnnotation(&shoot.ObjectMeta, "confirmation.gardener.cloud/deletion", "true")
			Expect(c.Patch(ctx, shoot, patch)).To(Succeed())
			Expect(c.Delete(ctx, shoot)).To(Succeed())
			Expect(c.Get(ctx, client.ObjectKeyFromObject(shoot), shoot)).To(Succeed())
			Expect(shoot.DeletionTimestamp).NotTo(BeNil())

			patch = client.MergeFrom(shoot.DeepCopy())
			shoot.Finalizers = nil
			Expect(c.Patch(ctx, shoot, patch)).To(Succeed())
		})
	})
})
