package app

import (
	"context"
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/validators/shoot"
)

// clientOnly is a manager that only hands out its (nil) client: the Shoot webhooks ask for nothing else when they
// are built.
type clientOnly struct{ manager.Manager }

func (clientOnly) GetClient() client.Client { return nil }

// webhooksWith builds the Shoot webhooks as the command does with the given flags.
func webhooksWith(args ...string) map[string]*extensionswebhook.Webhook {
	GinkgoHelper()
	switches := webhookSwitches(func() map[string][]shoot.CapabilityRequirement { return nil })
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	switches.AddFlags(fs)
	Expect(fs.Parse(args)).To(Succeed())
	Expect(switches.Complete()).To(Succeed())
	webhooks, err := switches.Completed().WebhooksFactory(clientOnly{})
	Expect(err).NotTo(HaveOccurred())
	out := map[string]*extensionswebhook.Webhook{}
	for _, wh := range webhooks {
		out[wh.Name] = wh
	}
	return out
}

// shootWithPools is a Shoot with a valid gVisor pool and a Kata pool asking for an unknown hypervisor.
func shootWithPools() []byte {
	GinkgoHelper()
	pool := func(name, runtimeType, providerConfig string) gardencorev1beta1.Worker {
		cr := gardencorev1beta1.ContainerRuntime{Type: runtimeType}
		if providerConfig != "" {
			cr.ProviderConfig = &runtime.RawExtension{Raw: []byte(providerConfig)}
		}
		return gardencorev1beta1.Worker{Name: name, Machine: gardencorev1beta1.Machine{Type: "m"},
			CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{cr}}}
	}
	s := &gardencorev1beta1.Shoot{
		TypeMeta:   metav1.TypeMeta{APIVersion: "core.gardener.cloud/v1beta1", Kind: "Shoot"},
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "garden-local"},
		Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{
			pool("g", "gvisor", ""),
			pool("k", "kata", `{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["vmware"]}`),
		}}},
	}
	out, err := json.Marshal(s)
	Expect(err).NotTo(HaveOccurred())
	return out
}

func handle(wh *extensionswebhook.Webhook, obj []byte) admission.Response {
	return wh.Webhook.Handler.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Kind: metav1.GroupVersionKind{Group: "core.gardener.cloud", Version: "v1beta1", Kind: "Shoot"},
		Operation: admissionv1.Create, Name: "s", Namespace: "garden-local", Object: runtime.RawExtension{Raw: obj},
	}})
}

var _ = Describe("Shoot webhooks", func() {
	It("judge the pools of every runtime in each webhook, to report all problems at once", func() {
		webhooks := webhooksWith()
		Expect(webhooks).To(HaveKey("shoot-gvisor"))
		resp := handle(webhooks["shoot-gvisor"], shootWithPools())
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Message).To(ContainSubstring("spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.hypervisors[0]"))
	})

	It("apply the rules of a disabled runtime's webhook in no webhook", func() {
		webhooks := webhooksWith("--disable-webhooks=shoot-kata")
		Expect(webhooks).To(HaveKey("shoot-gvisor"))
		Expect(webhooks).NotTo(HaveKey("shoot-kata"))
		resp := handle(webhooks["shoot-gvisor"], shootWithPools())
		Expect(resp.Allowed).To(BeTrue(), "%v", resp.Result)
	})
})
