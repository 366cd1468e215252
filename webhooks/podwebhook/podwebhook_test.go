package podwebhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	. "github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

var offer = mutatorpod.Offer{Classes: []string{"gvisor", "kata-qemu"}}

var _ = Describe("Target", func() {
	DescribeTable("round-trips through the path",
		func(t Target) {
			parsed, err := ParseTarget(t.Path())
			Expect(err).NotTo(HaveOccurred())
			Expect(parsed).To(Equal(t))
		},
		Entry("annotated", Target{Offer: offer, Mode: ModeAnnotated}),
		Entry("namespace", Target{Offer: offer, Mode: ModeNamespace, Class: "kata-qemu"}),
		Entry("enforce", Target{Offer: offer, Mode: ModeEnforce, Class: "gvisor"}),
		Entry("a shoot that offers nothing", Target{Mode: ModeAnnotated}),
		Entry("namespace-unknown", Target{Offer: offer, Mode: ModeNamespaceUnknown}),
		Entry("enforce-unknown", Target{Offer: offer, Mode: ModeEnforceUnknown}),
	)

	DescribeTable("refuses paths it did not build",
		func(path, fragment string) {
			_, err := ParseTarget(path)
			Expect(err).To(MatchError(ContainSubstring(fragment)))
		},
		Entry("another prefix", "/webhooks/other/gvisor/annotated", "is not below /webhooks/pod/"),
		Entry("unknown offered class", "/webhooks/pod/gvisor,vmware/annotated", `offers the unknown runtime class "vmware"`),
		Entry("unknown mode", "/webhooks/pod/gvisor/default", "unknown mode or class"),
		Entry("namespace mode without class", "/webhooks/pod/gvisor/namespace", "unknown mode or class"),
		Entry("unknown class", "/webhooks/pod/gvisor/enforce/runc", "unknown mode or class"),
		Entry("too many parts", "/webhooks/pod/gvisor/enforce/gvisor/x", "want /webhooks/pod/<classes>/<mode>[/<class>]"),
	)
})

// review sends an AdmissionReview for obj to path and returns the response.
func review(path string, op admissionv1.Operation, kind metav1.GroupVersionKind, obj []byte) *admissionv1.AdmissionResponse {
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  &admissionv1.AdmissionRequest{UID: "1", Kind: kind, Operation: op, Namespace: "team", Object: runtime.RawExtension{Raw: obj}},
	})
	Expect(err).NotTo(HaveOccurred())
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	NewHandler().ServeHTTP(rec, req)
	Expect(rec.Code).To(Equal(http.StatusOK))
	out := admissionv1.AdmissionReview{}
	Expect(json.Unmarshal(rec.Body.Bytes(), &out)).To(Succeed())
	return out.Response
}

var podKind = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}

func podJSON(annotations map[string]string) []byte {
	out, err := json.Marshal(&corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team", Annotations: annotations},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
	})
	Expect(err).NotTo(HaveOccurred())
	return out
}

var _ = Describe("Handler", func() {
	annotated := Target{Offer: offer, Mode: ModeAnnotated}.Path()

	It("patches an annotated pod with runtimeClassName and node selector only", func() {
		resp := review(annotated, admissionv1.Create, podKind, podJSON(map[string]string{mutatorpod.AnnotationSandbox: "kata"}))
		Expect(resp.Allowed).To(BeTrue())
		var patch []map[string]any
		Expect(json.Unmarshal(resp.Patch, &patch)).To(Succeed())
		Expect(patch).To(ConsistOf(
			And(HaveKeyWithValue("op", "add"), HaveKeyWithValue("path", "/spec/runtimeClassName"), HaveKeyWithValue("value", "kata-qemu")),
			And(HaveKeyWithValue("op", "add"), HaveKeyWithValue("path", "/spec/nodeSelector"), HaveKeyWithValue("value", map[string]any{"containerruntime.worker.gardener.cloud/kata": "true"})),
		))
	})

	It("answers a pod that asks for nothing without a patch", func() {
		resp := review(annotated, admissionv1.Create, podKind, podJSON(nil))
		Expect(resp.Allowed).To(BeTrue())
		Expect(resp.Patch).To(BeEmpty())
	})

	It("refuses a conflict with 403 and the message", func() {
		resp := review(annotated, admissionv1.Create, podKind, podJSON(map[string]string{mutatorpod.AnnotationSandbox: "kata-fc"}))
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Code).To(BeNumerically("==", http.StatusForbidden))
		Expect(resp.Result.Message).To(ContainSubstring(`offered runtime classes: gvisor, kata-qemu`))
	})

	DescribeTable("serves every mode",
		func(t Target, annotations map[string]string, setClass string, allowed bool, fragment string) {
			raw := podJSON(annotations)
			if setClass != "" {
				var p corev1.Pod
				Expect(json.Unmarshal(raw, &p)).To(Succeed())
				p.Spec.RuntimeClassName = &setClass
				raw, _ = json.Marshal(p)
			}
			resp := review(t.Path(), admissionv1.Create, podKind, raw)
			Expect(resp.Allowed).To(Equal(allowed))
			if fragment != "" {
				Expect(resp.Result.Message).To(ContainSubstring(fragment))
			}
		},
		Entry("namespace default", Target{Offer: offer, Mode: ModeNamespace, Class: "kata-qemu"}, nil, "", true, ""),
		Entry("namespace default not offered", Target{Offer: offer, Mode: ModeNamespace, Class: "kata-fc"}, nil, "", false, "fix the namespace label"),
		Entry("enforced, in the class", Target{Offer: offer, Mode: ModeEnforce, Class: "gvisor"}, nil, "gvisor", true, ""),
		Entry("enforced, outside", Target{Offer: offer, Mode: ModeEnforce, Class: "gvisor"}, nil, "", false, `namespace team requires runtime class "gvisor"`),
		Entry("namespace label with an unknown value", Target{Offer: offer, Mode: ModeNamespaceUnknown}, nil, "", false, "the label runtime.gardener.cloud/sandbox of namespace team names no known runtime class"),
		Entry("enforcement label with an unknown value", Target{Offer: offer, Mode: ModeEnforceUnknown}, nil, "gvisor", false, "so no pod can comply"),
		Entry("a shoot that offers nothing", Target{Mode: ModeAnnotated}, map[string]string{mutatorpod.AnnotationUntrustedWorkload: "true"}, "", false, "no worker pool of this cluster offers one"),
	)

	It("lets UPDATE through", func() {
		Expect(review(annotated, admissionv1.Update, podKind, podJSON(map[string]string{mutatorpod.AnnotationSandbox: "vmware"})).Allowed).To(BeTrue())
	})

	DescribeTable("answers a malformed request with 400 and never panics",
		func(path string, kind metav1.GroupVersionKind, obj []byte) {
			resp := review(path, admissionv1.Create, kind, obj)
			Expect(resp.Allowed).To(BeFalse())
			Expect(resp.Result.Code).To(BeNumerically("==", http.StatusBadRequest))
		},
		Entry("unknown path", "/webhooks/pod/nope", podKind, podJSON(nil)),
		Entry("no object", annotated, podKind, nil),
		Entry("JSON that is not an object", annotated, podKind, []byte(`"a pod"`)),
		Entry("JSON of a wrong shape", annotated, podKind, []byte(`{"spec":{"containers":"many"}}`)),
		Entry("another kind", annotated, metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, podJSON(nil)),
	)
})

var _ = Describe("Handler on a body that is not an AdmissionReview", func() {
	It("answers with 400", func() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, Target{Offer: offer, Mode: ModeAnnotated}.Path(), bytes.NewReader([]byte("{not json")))
		req.Header.Set("Content-Type", "application/json")
		NewHandler().ServeHTTP(rec, req)
		out := admissionv1.AdmissionReview{}
		Expect(json.Unmarshal(rec.Body.Bytes(), &out)).To(Succeed())
		Expect(out.Response.Allowed).To(BeFalse())
		Expect(out.Response.Result.Code).To(BeNumerically("==", http.StatusBadRequest))
	})
})

var _ = Describe("ShootConfigs", func() {
	mutating, validating := ShootConfigs(offer, runtimes.ClassNames(), func(path string) admissionregistrationv1.WebhookClientConfig {
		return admissionregistrationv1.WebhookClientConfig{URL: new("https://seed.example" + path)}
	})

	It("has an annotation entry, one namespace entry per known class and one for unknown values, all failing closed fast", func() {
		Expect(mutating.Name).To(Equal(ConfigName))
		Expect(mutating.Webhooks).To(HaveLen(1 + len(runtimes.ClassNames()) + 1))
		for _, wh := range mutating.Webhooks {
			Expect(*wh.FailurePolicy).To(Equal(admissionregistrationv1.Fail))
			Expect(*wh.TimeoutSeconds).To(BeNumerically("<=", 5))
			Expect(wh.NamespaceSelector.MatchExpressions).To(ContainElement(metav1.LabelSelectorRequirement{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system"}}))
			Expect(wh.Rules[0].Operations).To(Equal([]admissionregistrationv1.OperationType{admissionregistrationv1.Create}))
			Expect(wh.Rules[0].Resources).To(Equal([]string{"pods"}))
			Expect(wh.MatchConditions).To(HaveLen(1))
		}
		Expect(*mutating.Webhooks[0].ClientConfig.URL).To(Equal("https://seed.example/webhooks/pod/gvisor,kata-qemu/annotated"))
		Expect(mutating.Webhooks[0].MatchConditions[0].Expression).To(ContainSubstring(`"runtime.gardener.cloud/sandbox" in object.metadata.annotations`))
		Expect(mutating.Webhooks[1].NamespaceSelector.MatchLabels).To(Equal(map[string]string{"runtime.gardener.cloud/sandbox": "gvisor"}))
		Expect(*mutating.Webhooks[1].ClientConfig.URL).To(Equal("https://seed.example/webhooks/pod/gvisor,kata-qemu/namespace/gvisor"))
	})

	It("selects namespaces labelled with unknown values", func() {
		last := mutating.Webhooks[len(mutating.Webhooks)-1]
		Expect(*last.ClientConfig.URL).To(HaveSuffix("/namespace-unknown"))
		Expect(last.NamespaceSelector.MatchExpressions).To(ContainElements(
			metav1.LabelSelectorRequirement{Key: "runtime.gardener.cloud/sandbox", Operator: metav1.LabelSelectorOpExists},
			metav1.LabelSelectorRequirement{Key: "runtime.gardener.cloud/sandbox", Operator: metav1.LabelSelectorOpNotIn, Values: runtimes.ClassNames()},
		))
		lastValidating := validating.Webhooks[len(validating.Webhooks)-1]
		Expect(*lastValidating.ClientConfig.URL).To(HaveSuffix("/enforce-unknown"))
		Expect(lastValidating.MatchConditions).To(BeEmpty(), "every pod of such a namespace is refused")
	})

	It("has one enforcement entry per known class that only sees pods outside the class", func() {
		Expect(validating.Webhooks).To(HaveLen(len(runtimes.ClassNames()) + 1))
		wh := validating.Webhooks[0]
		Expect(wh.NamespaceSelector.MatchLabels).To(Equal(map[string]string{"runtime.gardener.cloud/sandbox-enforce": "gvisor"}))
		Expect(wh.MatchConditions[0].Expression).To(Equal(`!has(object.spec.runtimeClassName) || object.spec.runtimeClassName != "gvisor"`))
		Expect(*wh.FailurePolicy).To(Equal(admissionregistrationv1.Fail))
	})
})
