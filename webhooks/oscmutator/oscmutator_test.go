package oscmutator_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
	. "github.com/gardener/gardener-extension-runtime-sandbox/webhooks/oscmutator"
)

var _ = Describe("Mutator", func() {
	var (
		ctx     = context.Background()
		scheme  *runtime.Scheme
		mutator *Mutator
	)

	BeforeEach(func() {
		scheme = runtime.NewScheme()
		Expect(extensionsv1alpha1.AddToScheme(scheme)).To(Succeed())
		shoot, err := landscape.SampleShoot()
		Expect(err).NotTo(HaveOccurred())
		cluster, err := landscape.ClusterFor(landscape.SampleShootNamespace, shoot)
		Expect(err).NotTo(HaveOccurred())
		mutator = &Mutator{Runtime: gvisor.New(), Reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(cluster).Build()}
	})

	It("adds the handler to an OSC of a gVisor pool, reading the Cluster", func() {
		o := landscape.SampleOSC("osc", "gvisor", "gvisor")
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
		Expect(o.Spec.CRIConfig.Containerd.Plugins).To(HaveLen(1))
	})

	It("leaves an OSC being deleted alone", func() {
		o := landscape.SampleOSC("osc", "gvisor", "gvisor")
		o.DeletionTimestamp = &metav1.Time{}
		before := o.DeepCopy()
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
		Expect(o).To(Equal(before))
	})

	It("does not read a Cluster for an OSC it does not mutate", func() {
		o := landscape.SampleOSC("osc", "kata", "kata")
		o.Namespace = "no-cluster-here"
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
	})

	It("fails with context when the Cluster is missing", func() {
		o := landscape.SampleOSC("osc", "gvisor", "gvisor")
		o.Namespace = "no-cluster-here"
		Expect(mutator.Mutate(ctx, o, nil)).To(MatchError(ContainSubstring("reading the Cluster of OperatingSystemConfig no-cluster-here/osc")))
	})

	It("refuses objects that are not OSCs", func() {
		Expect(mutator.Mutate(ctx, &corev1.Pod{}, nil)).To(MatchError(ContainSubstring("want an OperatingSystemConfig")))
	})

	It("is registered for OSCs labelled for its runtime", func() {
		Expect(Name("gvisor")).To(Equal("osc-gvisor"))
		Expect(Path("kata")).To(Equal("/webhooks/mutate/osc/kata"))
	})
})
