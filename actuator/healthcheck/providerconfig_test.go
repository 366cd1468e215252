package healthcheck_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/gardener/gardener/extensions/pkg/controller/healthcheck"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	. "github.com/gardener/gardener-extension-runtime-sandbox/actuator/healthcheck"
)

var _ = Describe("ProviderConfig", func() {
	const gvisorAPI = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`

	// check runs the check for a gVisor ContainerRuntime of pool "a" with providerConfig, in a namespace whose
	// Cluster (if withCluster) has that pool as the second one.
	check := func(providerConfig string, withCluster bool) *healthcheck.SingleCheckResult {
		GinkgoHelper()
		cr := &extensionsv1alpha1.ContainerRuntime{
			ObjectMeta: metav1.ObjectMeta{Name: request.Name, Namespace: namespace},
			Spec: extensionsv1alpha1.ContainerRuntimeSpec{
				DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: "gvisor", ProviderConfig: &runtime.RawExtension{Raw: []byte(providerConfig)}},
				WorkerPool:  extensionsv1alpha1.ContainerRuntimeWorkerPool{Name: "a"},
			},
		}
		objs := []client.Object{cr}
		if withCluster {
			shoot := &gardencorev1beta1.Shoot{
				TypeMeta: metav1.TypeMeta{APIVersion: "core.gardener.cloud/v1beta1", Kind: "Shoot"},
				Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{
					{Name: "plain"},
					{Name: "a", CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{
						{Type: "gvisor", ProviderConfig: cr.Spec.ProviderConfig},
					}}},
				}}},
			}
			raw, err := json.Marshal(shoot)
			Expect(err).NotTo(HaveOccurred())
			objs = append(objs, &extensionsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: namespace}, Spec: extensionsv1alpha1.ClusterSpec{Shoot: runtime.RawExtension{Raw: raw}}})
		}
		hc := &ProviderConfig{}
		hc.InjectSourceClient(fake.NewClientBuilder().WithScheme(seedScheme()).WithObjects(objs...).Build())
		result, err := hc.Check(ctx, request)
		Expect(err).NotTo(HaveOccurred())
		return result
	}

	DescribeTable("is healthy when the seed side ignores nothing",
		func(providerConfig string) {
			Expect(check(providerConfig, true).Status).To(Equal(gardencorev1beta1.ConditionTrue))
		},
		Entry("a valid configuration", `{`+gvisorAPI+`,"configFlags":{"net-raw":"true","panic-signal":"12"}}`),
		Entry("no configuration", `null`),
		Entry("one with nothing to apply, which fails the reconcile instead", `{`+gvisorAPI+`,"configFlags":{"debug":true}}`),
	)

	It("names each ignored setting with its path in the Shoot, as a configuration problem", func() {
		result := check(`{`+gvisorAPI+`,"configFlags":{"net-raw":"true","foo":"bar","debug":"yes"},"extra":1}`, true)
		Expect(result.Status).To(Equal(gardencorev1beta1.ConditionFalse))
		Expect(result.Codes).To(ConsistOf(gardencorev1beta1.ErrorConfigurationProblem))
		Expect(result.Detail).To(And(
			ContainSubstring(`the gvisor providerConfig of worker pool "a" was stored before this extension checked it`),
			ContainSubstring(`spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.configFlags[debug]: Unsupported value: "yes": supported values: "true", "false"`),
			ContainSubstring(`spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.configFlags[foo]: Unsupported value: "foo"`),
			ContainSubstring(`spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.extra: Forbidden: unknown field "extra"`),
			ContainSubstring("correct or remove them in the Shoot"),
			Not(ContainSubstring("configFlags[net-raw]")),
		))
	})

	It("names the ContainerRuntime's field when the Cluster does not tell the pool's", func() {
		result := check(`{`+gvisorAPI+`,"configFlags":{"foo":"bar"}}`, false)
		Expect(result.Status).To(Equal(gardencorev1beta1.ConditionFalse))
		Expect(result.Detail).To(ContainSubstring(`spec.providerConfig.configFlags[foo]: Unsupported value: "foo"`))
	})
})
