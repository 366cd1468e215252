package pod_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	. "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
)

func pod(annotations map[string]string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: annotations}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

var (
	full      = Offer{Classes: []string{"gvisor", "kata-qemu", "kata-fc"}}
	kataOnly  = Offer{Classes: []string{"kata-clh", "kata-qemu"}}
	nothing   = Offer{}
	withClass = func(c string) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Spec.RuntimeClassName = &c } }
)

var _ = Describe("DefaultAnnotated", func() {
	DescribeTable("puts the pod into the class it asks for",
		func(p *corev1.Pod, offer Offer, wantClass, wantSelector string) {
			Expect(DefaultAnnotated(p, offer)).To(Succeed())
			Expect(p.Spec.RuntimeClassName).To(PointTo(Equal(wantClass)))
			Expect(p.Spec.NodeSelector).To(HaveKeyWithValue(wantSelector, "true"))
		},
		Entry("class name", pod(map[string]string{apipod.AnnotationSandbox: "kata-fc"}), full, "kata-fc", "containerruntime.worker.gardener.cloud/kata"),
		Entry("type gvisor", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}), full, "gvisor", "containerruntime.worker.gardener.cloud/gvisor"),
		Entry("type kata: the first Kata class", pod(map[string]string{apipod.AnnotationSandbox: "kata"}), kataOnly, "kata-clh", "containerruntime.worker.gardener.cloud/kata"),
		Entry("untrusted workload: gvisor when offered", pod(map[string]string{apipod.AnnotationUntrustedWorkload: "true"}), full, "gvisor", "containerruntime.worker.gardener.cloud/gvisor"),
		Entry("CRI-O untrusted: the first class without gvisor", pod(map[string]string{apipod.AnnotationTrustedSandbox: "false"}), kataOnly, "kata-clh", "containerruntime.worker.gardener.cloud/kata"),
		Entry("untrusted workload that names an offered sandbox class itself", pod(map[string]string{apipod.AnnotationUntrustedWorkload: "true"}, withClass("kata-qemu")), full, "kata-qemu", "containerruntime.worker.gardener.cloud/kata"),
		Entry("the same runtimeClassName already set", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}, withClass("gvisor")), full, "gvisor", "containerruntime.worker.gardener.cloud/gvisor"),
	)

	It("keeps other node selectors", func() {
		p := pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}, func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"zone": "a"} })
		Expect(DefaultAnnotated(p, full)).To(Succeed())
		Expect(p.Spec.NodeSelector).To(Equal(map[string]string{"zone": "a", "containerruntime.worker.gardener.cloud/gvisor": "true"}))
	})

	DescribeTable("leaves pods that ask for nothing unchanged",
		func(p *corev1.Pod) {
			before := p.DeepCopy()
			Expect(DefaultAnnotated(p, full)).To(Succeed())
			Expect(p).To(Equal(before))
		},
		Entry("no annotations", pod(nil)),
		Entry("empty sandbox annotation", pod(map[string]string{apipod.AnnotationSandbox: ""})),
		Entry("trusted workload", pod(map[string]string{apipod.AnnotationUntrustedWorkload: "false", apipod.AnnotationTrustedSandbox: "true"})),
	)

	DescribeTable("refuses with the reason and what to change",
		func(p *corev1.Pod, offer Offer, reason, fragment string) {
			err := DefaultAnnotated(p, offer)
			var refusal *apipod.Refusal
			Expect(err).To(BeAssignableToTypeOf(refusal))
			Expect(err.(*apipod.Refusal).Reason).To(Equal(reason))
			Expect(err).To(MatchError(ContainSubstring(fragment)))
		},
		Entry("unknown name", pod(map[string]string{apipod.AnnotationSandbox: "vmware"}), full, "unknown", `unknown sandbox "vmware"; known: gvisor, kata-qemu, kata-clh, kata-fc (or a runtime type: gvisor, kata); offered here: gvisor, kata-qemu, kata-fc`),
		Entry("class not offered", pod(map[string]string{apipod.AnnotationSandbox: "kata-clh"}), full, "not-offered", `offered runtime classes: gvisor, kata-qemu, kata-fc`),
		Entry("type not offered", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}), kataOnly, "not-offered", `no worker pool of this cluster offers gvisor`),
		Entry("default sandbox with nothing offered", pod(map[string]string{apipod.AnnotationUntrustedWorkload: "true"}), nothing, "not-offered", "no worker pool of this cluster offers one"),
		Entry("another runtimeClassName", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}, withClass("runc")), full, "conflict", `remove spec.runtimeClassName or change the annotation runtime.gardener.cloud/sandbox`),
		Entry("untrusted workload with a runc class", pod(map[string]string{apipod.AnnotationUntrustedWorkload: "true"}, withClass("runc")), full, "conflict", `annotation io.kubernetes.cri.untrusted-workload=true asks for runtime class "gvisor", but the pod sets spec.runtimeClassName "runc"`),
		Entry("contradicting node selector", pod(map[string]string{apipod.AnnotationSandbox: "kata-qemu"}, func(p *corev1.Pod) {
			p.Spec.NodeSelector = map[string]string{"containerruntime.worker.gardener.cloud/kata": "no"}
		}), full, "conflict", `sets containerruntime.worker.gardener.cloud/kata="no": remove that node selector`),
	)
})

var _ = Describe("DefaultFromNamespace", func() {
	It("applies the namespace's class", func() {
		p := pod(nil)
		Expect(DefaultFromNamespace(p, "kata-fc", full)).To(Succeed())
		Expect(p.Spec.RuntimeClassName).To(PointTo(Equal("kata-fc")))
	})

	DescribeTable("does not override the pod's own choice",
		func(p *corev1.Pod) {
			before := p.DeepCopy()
			Expect(DefaultFromNamespace(p, "kata-fc", full)).To(Succeed())
			Expect(p).To(Equal(before))
		},
		Entry("annotation", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"})),
		Entry("kata-deploy annotation", pod(map[string]string{apipod.AnnotationUntrustedWorkload: "true"})),
		Entry("explicit runtimeClassName", pod(nil, withClass("runc"))),
	)

	It("refuses a class the shoot does not offer, naming the namespace label", func() {
		Expect(DefaultFromNamespace(pod(nil), "kata-clh", full)).To(MatchError(ContainSubstring("namespace label runtime.gardener.cloud/sandbox=kata-clh names runtime class \"kata-clh\", but no worker pool of this cluster offers it; offered runtime classes: gvisor, kata-qemu, kata-fc; fix the namespace label")))
	})
})

var _ = Describe("Offer", func() {
	It("prefers gvisor as the default sandbox", func() {
		class, ok := full.DefaultClass()
		Expect(ok).To(BeTrue())
		Expect(class).To(Equal("gvisor"))
		class, ok = kataOnly.DefaultClass()
		Expect(ok).To(BeTrue())
		Expect(class).To(Equal("kata-clh"))
		_, ok = nothing.DefaultClass()
		Expect(ok).To(BeFalse())
		Expect(nothing.String()).To(Equal("none"))
	})
})
