package pod_test

import (
	"maps"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	. "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

func pod(annotations map[string]string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: annotations}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

// pool returns what a worker pool offers.
func pool(name string, classes ...string) runtimes.PoolClasses {
	p := runtimes.PoolClasses{Pool: name}
	for _, c := range classes {
		p.Classes = append(p.Classes, nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: c}})
	}
	return p
}

var (
	full      = OfferOf(pool("g", "gvisor"), pool("k", "kata-qemu", "kata-fc"))
	kataOnly  = OfferOf(pool("k", "kata-clh", "kata-qemu"))
	nothing   = Offer{}
	withClass = func(c string) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Spec.RuntimeClassName = &c } }
	selecting = func(labels map[string]string) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Spec.NodeSelector = maps.Clone(labels) }
	}
	kataDeploy = map[string]string{apipod.AnnotationUntrustedWorkload: "true", apipod.AnnotationTrustedSandbox: "false"}
	kataLabel  = map[string]string{"katacontainers.io/kata-runtime": "true"}
	affinity   = func(reqs ...corev1.NodeSelectorRequirement) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: reqs}},
			}}}
		}
	}
)

var _ = Describe("OfferOf", func() {
	It("lists the classes in pool order, without duplicates, with the pools of each", func() {
		offer := OfferOf(pool("a", "gvisor"), pool("b", "kata-qemu", "gvisor"))
		Expect(offer.Classes).To(Equal([]string{"gvisor", "kata-qemu"}))
		Expect(offer.Pools).To(Equal(map[string][]string{"gvisor": {"a", "b"}, "kata-qemu": {"b"}}))
		Expect(offer.String()).To(Equal("gvisor, kata-qemu"))
		Expect(nothing.String()).To(Equal("none"))
	})
})

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
		Entry("kata-deploy's sample: its annotations and its node selector get the first Kata class, never gvisor",
			pod(kataDeploy, selecting(kataLabel)), full, "kata-qemu", "containerruntime.worker.gardener.cloud/kata"),
		Entry("kata-deploy's node selector as a required node affinity",
			pod(kataDeploy, affinity(corev1.NodeSelectorRequirement{Key: "katacontainers.io/kata-runtime", Operator: corev1.NodeSelectorOpIn, Values: []string{"true"}})), full, "kata-qemu", "containerruntime.worker.gardener.cloud/kata"),
		Entry("type kata with kata-deploy's node selector", pod(map[string]string{apipod.AnnotationSandbox: "kata"}, selecting(kataLabel)), full, "kata-qemu", "containerruntime.worker.gardener.cloud/kata"),
		Entry("the default sandbox on the pool the pod selects", pod(kataDeploy, selecting(map[string]string{"worker.gardener.cloud/pool": "k"})), full, "kata-qemu", "containerruntime.worker.gardener.cloud/kata"),
		Entry("a class whose pool the pod selects by affinity, among other terms", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}, func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
				{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "worker.gardener.cloud/pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"k"}}}},
				{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "worker.gardener.cloud/pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"g"}}}},
			}}}}
		}), full, "gvisor", "containerruntime.worker.gardener.cloud/gvisor"),
		Entry("a selector on a label of the users' own is not judged", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}, selecting(map[string]string{"zone": "a"})), full, "gvisor", "containerruntime.worker.gardener.cloud/gvisor"),
		Entry("a path without pools still checks the runtime's labels", pod(kataDeploy, selecting(kataLabel)), Offer{Classes: []string{"gvisor", "kata-qemu"}}, "kata-qemu", "containerruntime.worker.gardener.cloud/kata"),
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
		Entry("trusted workload", pod(map[string]string{apipod.AnnotationUntrustedWorkload: "false", apipod.AnnotationTrustedSandbox: "true"})),
		Entry("other annotations", pod(map[string]string{"example.org/runtime.gardener.cloud/sandbox": "x", "team": "a"})),
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
		Entry("contradicting node selector", pod(map[string]string{apipod.AnnotationSandbox: "kata-qemu"}, selecting(map[string]string{"containerruntime.worker.gardener.cloud/kata": "no"})),
			full, "conflict", `annotation runtime.gardener.cloud/sandbox=kata-qemu asks for runtime class "kata-qemu", but the pod's spec.nodeSelector containerruntime.worker.gardener.cloud/kata=no matches no node that runs it (worker pools k), so the pod would stay Pending: remove that selector, or change the annotation runtime.gardener.cloud/sandbox`),
		Entry("gvisor with kata-deploy's node selector", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}, selecting(kataLabel)),
			full, "conflict", `the pod's spec.nodeSelector katacontainers.io/kata-runtime=true matches no node that runs it (worker pools g)`),
		Entry("a pool that does not offer the class", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}, selecting(map[string]string{"worker.gardener.cloud/pool": "k"})),
			full, "conflict", `spec.nodeSelector worker.gardener.cloud/pool=k matches no node that runs it (worker pools g)`),
		Entry("another runtime's ready label", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}, selecting(map[string]string{"runtime.gardener.cloud/kata-ready": "true"})),
			full, "conflict", `spec.nodeSelector runtime.gardener.cloud/kata-ready=true matches no node`),
		Entry("a required node affinity no pool meets", pod(map[string]string{apipod.AnnotationSandbox: "gvisor"}, affinity(corev1.NodeSelectorRequirement{Key: "worker.gardener.cloud/pool", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"g"}})),
			full, "conflict", `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0] requirement worker.gardener.cloud/pool NotIn [g] matches no node that runs it`),
		Entry("the default sandbox on nodes no sandbox pool has", pod(kataDeploy, selecting(map[string]string{"worker.gardener.cloud/pool": "plain"})),
			full, "conflict", `asks for the cluster's default sandbox, but the pod's spec.nodeSelector worker.gardener.cloud/pool=plain matches no node of the worker pools that offer gvisor, kata-qemu, kata-fc (worker pools g, k)`),
	)

	DescribeTable("refuses annotations that look like a request for a sandbox but are none, repeating them",
		func(annotations map[string]string, fragment string) {
			err := DefaultAnnotated(pod(annotations), full)
			Expect(err).To(MatchError(ContainSubstring(fragment)))
			Expect(err.(*apipod.Refusal).Reason).To(Equal("invalid"))
		},
		Entry("a misspelt key", map[string]string{"runtime.gardener.cloud/sandbx": "gvisor"},
			`the pod's annotation runtime.gardener.cloud/sandbx="gvisor" is not one this cluster's sandboxes know: the only annotation under runtime.gardener.cloud/ is runtime.gardener.cloud/sandbox (a runtime class or type); fix the key`),
		Entry("an empty sandbox", map[string]string{apipod.AnnotationSandbox: ""},
			`the pod's annotation runtime.gardener.cloud/sandbox is empty: name a runtime class (gvisor, kata-qemu, kata-clh, kata-fc) or a runtime type (gvisor, kata), or remove the annotation`),
		Entry("kata-deploy's annotation capitalised", map[string]string{apipod.AnnotationUntrustedWorkload: "True"},
			`the pod's annotation io.kubernetes.cri.untrusted-workload="True" is neither "true" (run the pod in the default sandbox) nor "false" (no sandbox)`),
		Entry("kata-deploy's annotation as yes", map[string]string{apipod.AnnotationUntrustedWorkload: "yes"}, `io.kubernetes.cri.untrusted-workload="yes"`),
		Entry("kata-deploy's annotation with whitespace", map[string]string{apipod.AnnotationUntrustedWorkload: " true"}, `io.kubernetes.cri.untrusted-workload=" true"`),
		Entry("CRI-O's annotation as 0", map[string]string{apipod.AnnotationTrustedSandbox: "0"},
			`the pod's annotation io.kubernetes.cri-o.TrustedSandbox="0" is neither "false" (run the pod in the default sandbox) nor "true" (no sandbox)`),
	)
})

var _ = Describe("DefaultFromNamespace", func() {
	DescribeTable("applies the namespace's class or type",
		func(name string, p *corev1.Pod, want string) {
			Expect(DefaultFromNamespace(p, name, full)).To(Succeed())
			Expect(p.Spec.RuntimeClassName).To(PointTo(Equal(want)))
		},
		Entry("a class", "kata-fc", pod(nil), "kata-fc"),
		Entry("a type: its first offered class", "kata", pod(nil), "kata-qemu"),
		Entry("a default of gvisor yields to kata-deploy's node selector", "gvisor", pod(nil, selecting(kataLabel)), "kata-qemu"),
	)

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
		Expect(DefaultFromNamespace(pod(nil), "kata-clh", full)).To(MatchError(ContainSubstring("namespace label runtime.gardener.cloud/sandbox=kata-clh asks for runtime class \"kata-clh\", but no worker pool of this cluster offers it; offered runtime classes: gvisor, kata-qemu, kata-fc; fix the namespace label")))
	})

	It("refuses a pod whose node selectors no sandbox pool meets", func() {
		Expect(DefaultFromNamespace(pod(nil, selecting(map[string]string{"worker.gardener.cloud/pool": "plain"})), "gvisor", full)).To(MatchError(ContainSubstring(
			"namespace label runtime.gardener.cloud/sandbox=gvisor asks for runtime class \"gvisor\", but the pod's spec.nodeSelector worker.gardener.cloud/pool=plain matches no node of the worker pools that offer gvisor, kata-qemu, kata-fc (worker pools g, k)")))
	})
})
