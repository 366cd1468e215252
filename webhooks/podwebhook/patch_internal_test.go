package podwebhook

import (
	"encoding/json"

	jsonpatchapply "github.com/evanphx/json-patch/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var _ = Describe("patchOf", func() {
	base := func() *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
		}
	}

	DescribeTable("gives a patch that turns the original into the mutated pod",
		func(original *corev1.Pod, mutate func(*corev1.Pod), wantOps int) {
			pod := original.DeepCopy()
			mutate(pod)
			ops, err := patchOf(original, pod)
			Expect(err).NotTo(HaveOccurred())
			Expect(ops).To(HaveLen(wantOps))

			patchJSON, err := json.Marshal(ops)
			Expect(err).NotTo(HaveOccurred())
			patch, err := jsonpatchapply.DecodePatch(patchJSON)
			Expect(err).NotTo(HaveOccurred())
			before, err := json.Marshal(original)
			Expect(err).NotTo(HaveOccurred())
			patched, err := patch.Apply(before)
			Expect(err).NotTo(HaveOccurred())
			got := &corev1.Pod{}
			Expect(json.Unmarshal(patched, got)).To(Succeed())
			Expect(got).To(Equal(pod))
		},
		Entry("class and a new node selector", base(), func(p *corev1.Pod) {
			p.Spec.RuntimeClassName = new("gvisor")
			p.Spec.NodeSelector = map[string]string{"containerruntime.worker.gardener.cloud/gvisor": "true"}
		}, 2),
		Entry("class and a key added to the pod's node selector", func() *corev1.Pod {
			p := base()
			p.Spec.NodeSelector = map[string]string{"disk": "ssd", "a~b": "c"}
			return p
		}(), func(p *corev1.Pod) {
			p.Spec.RuntimeClassName = new("kata-qemu")
			p.Spec.NodeSelector["containerruntime.worker.gardener.cloud/kata"] = "true"
		}, 2),
		Entry("the node selector's key already there, the class replaced", func() *corev1.Pod {
			p := base()
			p.Spec.RuntimeClassName = new("runc")
			p.Spec.NodeSelector = map[string]string{"containerruntime.worker.gardener.cloud/gvisor": "true"}
			return p
		}(), func(p *corev1.Pod) {
			p.Spec.RuntimeClassName = new("gvisor")
		}, 1),
		Entry("any other change: the generic diff", base(), func(p *corev1.Pod) {
			p.Spec.RuntimeClassName = new("gvisor")
			p.Labels = map[string]string{"x": "y"}
		}, 2),
		Entry("a node selector key dropped: the generic diff", func() *corev1.Pod {
			p := base()
			p.Spec.NodeSelector = map[string]string{"disk": "ssd"}
			return p
		}(), func(p *corev1.Pod) {
			p.Spec.RuntimeClassName = new("gvisor")
			p.Spec.NodeSelector = map[string]string{"other": "x"}
		}, 3),
	)
})
