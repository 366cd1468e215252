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

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
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
		mutator = &Mutator{Runtimes: runtimes.All(), Reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(cluster).Build()}
	})

	It("adds the handler to an OSC of a gVisor pool, reading the Cluster", func() {
		o := landscape.SampleOSC("osc", "gvisor")
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
		Expect(o.Spec.CRIConfig.Containerd.Plugins).To(HaveLen(1))
	})

	It("adds the Kata handlers to an OSC of a Kata pool", func() {
		o := landscape.SampleOSC("osc", "kata")
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
		Expect(o.Spec.CRIConfig.Containerd.Plugins).To(HaveLen(3))
	})

	It("leaves the OSC of a pool without sandbox runtimes, and of a pool the Shoot does not have, unchanged", func() {
		for _, pool := range []string{"plain", "gone"} {
			o := landscape.SampleOSC("osc", pool)
			before := o.DeepCopy()
			Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
			Expect(o).To(Equal(before))
		}
	})

	It("fails when the Cluster carries no Shoot", func() {
		reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&extensionsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}).Build()
		o := landscape.SampleOSC("osc", "gvisor")
		o.Namespace = "empty"
		Expect((&Mutator{Runtimes: runtimes.All(), Reader: reader}).Mutate(ctx, o, nil)).To(HaveOccurred())
	})

	It("leaves an OSC being deleted alone", func() {
		o := landscape.SampleOSC("osc", "gvisor")
		o.DeletionTimestamp = &metav1.Time{}
		before := o.DeepCopy()
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
		Expect(o).To(Equal(before))
	})

	It("does not read a Cluster for an OSC it does not mutate", func() {
		o := landscape.SampleOSC("osc", "kata")
		o.Spec.Purpose = extensionsv1alpha1.OperatingSystemConfigPurposeProvision
		o.Namespace = "no-cluster-here"
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
	})

	It("fails with context when the Cluster is missing", func() {
		o := landscape.SampleOSC("osc", "gvisor")
		o.Namespace = "no-cluster-here"
		Expect(mutator.Mutate(ctx, o, nil)).To(MatchError(ContainSubstring("reading the Cluster of OperatingSystemConfig no-cluster-here/osc")))
	})

	It("refuses objects that are not OSCs", func() {
		Expect(mutator.Mutate(ctx, &corev1.Pod{}, nil)).To(MatchError(ContainSubstring("want an OperatingSystemConfig")))
	})

})
