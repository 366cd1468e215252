package oscmutator_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/metrics"
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
		shoot, err := samples.Shoot()
		Expect(err).NotTo(HaveOccurred())
		cluster, err := samples.ClusterFor(samples.ShootNamespace, shoot)
		Expect(err).NotTo(HaveOccurred())
		mutator = &Mutator{Runtimes: runtimes.All(), Reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(cluster).Build()}
	})

	It("adds the handler to an OSC of a gVisor pool, reading the Cluster", func() {
		o := samples.OSC("osc", "gvisor")
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
		Expect(o.Spec.CRIConfig.Containerd.Plugins).To(HaveLen(1))
	})

	It("adds the Kata handlers to an OSC of a Kata pool", func() {
		o := samples.OSC("osc", "kata")
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
		// kata-qemu and kata-fc; the devmapper snapshotter's table is a file, not a plugin entry.
		Expect(o.Spec.CRIConfig.Containerd.Plugins).To(HaveEach(HaveField("Path", ContainElement(HavePrefix("kata-")))))
		Expect(o.Spec.CRIConfig.Containerd.Plugins).To(HaveLen(2))
	})

	It("leaves the OSC of a pool without sandbox runtimes, and of a pool the Shoot does not have, unchanged", func() {
		for _, pool := range []string{"plain", "gone"} {
			o := samples.OSC("osc", pool)
			before := o.DeepCopy()
			Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
			Expect(o).To(Equal(before))
		}
	})

	DescribeTable("fails naming the namespace when the Cluster carries no Shoot",
		func(shoot string) {
			cluster := &extensionsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}
			if shoot != "" {
				cluster.Spec.Shoot.Raw = []byte(shoot)
			}
			reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cluster).Build()
			o := samples.OSC("osc", "gvisor")
			o.Namespace = "empty"
			Expect((&Mutator{Runtimes: runtimes.All(), Reader: reader}).Mutate(ctx, o, nil)).To(MatchError(ContainSubstring("the Cluster empty carries no Shoot")))
		},
		Entry("no spec.shoot", ""),
		Entry("an empty spec.shoot, as the API server stores one", "{}"),
	)

	It("leaves an OSC being deleted alone", func() {
		o := samples.OSC("osc", "gvisor")
		o.DeletionTimestamp = &metav1.Time{}
		before := o.DeepCopy()
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
		Expect(o).To(Equal(before))
	})

	It("does not read a Cluster for an OSC it does not mutate", func() {
		o := samples.OSC("osc", "kata")
		o.Spec.Purpose = extensionsv1alpha1.OperatingSystemConfigPurposeProvision
		o.Namespace = "no-cluster-here"
		Expect(mutator.Mutate(ctx, o, nil)).To(Succeed())
	})

	It("fails with context when the Cluster is missing", func() {
		o := samples.OSC("osc", "gvisor")
		o.Namespace = "no-cluster-here"
		Expect(mutator.Mutate(ctx, o, nil)).To(MatchError(ContainSubstring("reading the Cluster of OperatingSystemConfig no-cluster-here/osc")))
	})

	It("refuses objects that are not OSCs", func() {
		Expect(mutator.Mutate(ctx, &corev1.Pod{}, nil)).To(MatchError(ContainSubstring("want an OperatingSystemConfig")))
	})
})

var _ = Describe("Mutator metrics", func() {
	type series struct{ runtime, outcome, reason string }
	var (
		ctx     = context.Background()
		mutator *Mutator
		// every series the OSC mutator may count, and some it must not, so that a test sees a count in the wrong one
		all []series
	)

	counts := func() map[series]float64 {
		out := map[series]float64{}
		for _, s := range all {
			out[s] = testutil.ToFloat64(metrics.AdmissionRequests.WithLabelValues(Name, s.runtime, s.outcome, s.reason))
		}
		return out
	}

	BeforeEach(func() {
		scheme := runtime.NewScheme()
		Expect(extensionsv1alpha1.AddToScheme(scheme)).To(Succeed())
		shoot, err := samples.Shoot()
		Expect(err).NotTo(HaveOccurred())
		// A pool that lists Kata before gVisor, and a runtime type of no sandbox, and a pool whose gVisor
		// providerConfig is invalid.
		shoot.Spec.Provider.Workers = append(shoot.Spec.Provider.Workers,
			gardencorev1beta1.Worker{Name: "both", CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{
				{Type: "kata"}, {Type: "other"}, {Type: "gvisor"},
			}}},
			gardencorev1beta1.Worker{Name: "broken", CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{
				{Type: "gvisor", ProviderConfig: &runtime.RawExtension{Raw: []byte(`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"foo":"true","debug":true}}`)}},
			}}},
		)
		cluster, err := samples.ClusterFor(samples.ShootNamespace, shoot)
		Expect(err).NotTo(HaveOccurred())
		empty := &extensionsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}
		mutator = &Mutator{Runtimes: runtimes.All(), Reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(cluster, empty).Build()}

		all = nil
		for _, rt := range []string{"none", "gvisor", "kata", "gvisor+kata", "kata+gvisor", "gvisor+kata+other", "other"} {
			all = append(all, series{rt, "mutated", ""}, series{rt, "unchanged", ""})
			for _, reason := range []string{"bad-request", "cluster", "invalid", "error"} {
				all = append(all, series{rt, "refused", reason})
			}
		}
	})

	DescribeTable("counts each request once, with its runtime, outcome and reason",
		func(object func(*Mutator) client.Object, wantErr bool, want series) {
			obj := object(mutator)
			before := counts()
			if wantErr {
				Expect(mutator.Mutate(ctx, obj, nil)).NotTo(Succeed())
			} else {
				Expect(mutator.Mutate(ctx, obj, nil)).To(Succeed())
			}
			after := counts()
			for _, s := range all {
				delta := 0.0
				if s == want {
					delta = 1
				}
				Expect(after[s]-before[s]).To(Equal(delta), "series %+v", s)
			}
		},
		Entry("a gVisor pool's OSC is mutated", func(*Mutator) client.Object { return samples.OSC("osc", "gvisor") }, false,
			series{"gvisor", "mutated", ""}),
		Entry("a mutated OSC is unchanged", func(m *Mutator) client.Object {
			o := samples.OSC("osc", "gvisor")
			Expect(m.Mutate(context.Background(), o, nil)).To(Succeed())
			return o
		}, false, series{"gvisor", "unchanged", ""}),
		Entry("a Kata pool's OSC is mutated", func(*Mutator) client.Object { return samples.OSC("osc", "kata") }, false,
			series{"kata", "mutated", ""}),
		Entry("a pool with both runtimes names them in the extension's order, without other types", func(*Mutator) client.Object {
			return samples.OSC("osc", "both")
		}, false, series{"gvisor+kata", "mutated", ""}),
		Entry("a plain pool's OSC is unchanged", func(*Mutator) client.Object { return samples.OSC("osc", "plain") }, false,
			series{"none", "unchanged", ""}),
		Entry("an OSC being deleted is unchanged", func(*Mutator) client.Object {
			o := samples.OSC("osc", "gvisor")
			o.DeletionTimestamp = &metav1.Time{}
			return o
		}, false, series{"none", "unchanged", ""}),
		Entry("an OSC without Cluster is refused", func(*Mutator) client.Object {
			o := samples.OSC("osc", "gvisor")
			o.Namespace = "no-cluster-here"
			return o
		}, true, series{"none", "refused", "cluster"}),
		Entry("an OSC whose Cluster carries no Shoot is refused", func(*Mutator) client.Object {
			o := samples.OSC("osc", "gvisor")
			o.Namespace = "empty"
			return o
		}, true, series{"none", "refused", "cluster"}),
		Entry("an OSC of a pool with an invalid providerConfig is refused", func(*Mutator) client.Object {
			return samples.OSC("osc", "broken")
		}, true, series{"gvisor", "refused", "invalid"}),
		Entry("an OSC without containerd configuration is refused", func(*Mutator) client.Object {
			o := samples.OSC("osc", "kata")
			o.Spec.CRIConfig = nil
			return o
		}, true, series{"kata", "refused", "invalid"}),
		Entry("an object that is no OSC is a bad request", func(*Mutator) client.Object { return &corev1.Pod{} }, true,
			series{"none", "refused", "bad-request"}),
	)
})
