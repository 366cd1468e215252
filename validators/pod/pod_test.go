package pod_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	. "github.com/gardener/gardener-extension-runtime-sandbox/validators/pod"
)

var _ = Describe("Enforce", func() {
	withClass := func(c string) *corev1.Pod { return &corev1.Pod{Spec: corev1.PodSpec{RuntimeClassName: &c}} }

	DescribeTable("admits only pods in the namespace's class",
		func(p *corev1.Pod, fragment string) {
			err := Enforce(p, "team", "gvisor")
			if fragment == "" {
				Expect(err).NotTo(HaveOccurred())
				return
			}
			Expect(err).To(MatchError(ContainSubstring(fragment)))
			Expect(err.(*mutatorpod.Refusal).Reason).To(Equal("enforced"))
		},
		Entry("in the class", withClass("gvisor"), ""),
		Entry("no runtimeClassName", &corev1.Pod{}, `namespace team requires runtime class "gvisor" (label runtime.gardener.cloud/sandbox-enforce), but the pod has no spec.runtimeClassName: annotate the pod with runtime.gardener.cloud/sandbox: gvisor, or label the namespace runtime.gardener.cloud/sandbox=gvisor`),
		Entry("another class", withClass("kata-qemu"), `but the pod has spec.runtimeClassName "kata-qemu"`),
	)
})
