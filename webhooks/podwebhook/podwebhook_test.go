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
	psaapi "k8s.io/pod-security-admission/api"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	. "github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

var (
	// namespaceLabelValues are what a namespace label may name: the classes and the runtime types.
	namespaceLabelValues = runtimes.Names()
	offer                = mutatorpod.Offer{Classes: []string{"gvisor", "kata-qemu"}}
	v136                 = psaapi.MajorMinorVersion(1, 36)
)

var _ = Describe("Target", func() {
	DescribeTable("round-trips through the path",
		func(t Target) {
			parsed, err := ParseTarget(t.Path())
			Expect(err).NotTo(HaveOccurred())
			Expect(parsed).To(Equal(t))
		},
		Entry("annotated", Target{Version: v136, Offer: offer, Mode: ModeAnnotated}),
		Entry("an offer with its pools", Target{Version: v136, Offer: mutatorpod.Offer{Classes: []string{"gvisor", "kata-qemu"}, Pools: map[string][]string{"gvisor": {"a", "b"}, "kata-qemu": {"b"}}}, Mode: ModeAnnotated}),
		Entry("namespace", Target{Version: v136, Offer: offer, Mode: ModeNamespace, Class: "kata-qemu"}),
		Entry("namespace naming a runtime type", Target{Version: v136, Offer: offer, Mode: ModeNamespace, Class: "kata"}),
		Entry("enforce naming a runtime type", Target{Version: v136, Offer: offer, Mode: ModeEnforce, Class: "kata", Level: apipod.LevelBaseline}),
		Entry("enforce at baseline", Target{Version: v136, Offer: offer, Mode: ModeEnforce, Class: "gvisor", Level: apipod.LevelBaseline}),
		Entry("enforce at restricted", Target{Version: v136, Offer: offer, Mode: ModeEnforce, Class: "gvisor", Level: apipod.LevelRestricted}),
		Entry("a shoot of an unknown version", Target{Version: psaapi.LatestVersion(), Offer: offer, Mode: ModeAnnotated}),
		Entry("a shoot that offers nothing", Target{Version: v136, Mode: ModeAnnotated}),
		Entry("namespace-unknown", Target{Version: v136, Offer: offer, Mode: ModeNamespaceUnknown}),
		Entry("enforce-unknown", Target{Version: v136, Offer: offer, Mode: ModeEnforceUnknown}),
		Entry("enforce-level-unknown", Target{Version: v136, Offer: offer, Mode: ModeEnforceLevelUnknown}),
	)

	It("builds paths with the shoot's version, offer, mode, class and level", func() {
		Expect(Target{Version: v136, Offer: offer, Mode: ModeEnforce, Class: "gvisor", Level: apipod.LevelRestricted}.Path()).
			To(Equal("/webhooks/pod/v1.36/gvisor,kata-qemu/enforce/gvisor/restricted"))
		withPools := mutatorpod.Offer{Classes: []string{"gvisor", "kata-qemu"}, Pools: map[string][]string{"gvisor": {"a", "b"}, "kata-qemu": {"b"}}}
		Expect(Target{Version: v136, Offer: withPools, Mode: ModeAnnotated}.Path()).To(Equal("/webhooks/pod/v1.36/gvisor=a+b,kata-qemu=b/annotated"))
	})

	DescribeTable("reads paths built before the Kubernetes version travelled, with the latest standards at baseline",
		func(path string, want Target) {
			Expect(ParseTarget(path)).To(Equal(want))
		},
		Entry("annotated", "/webhooks/pod/gvisor,kata-qemu/annotated", Target{Version: psaapi.LatestVersion(), Offer: offer, Mode: ModeAnnotated}),
		Entry("enforce", "/webhooks/pod/gvisor/enforce/gvisor", Target{Version: psaapi.LatestVersion(), Offer: mutatorpod.Offer{Classes: []string{"gvisor"}}, Mode: ModeEnforce, Class: "gvisor", Level: apipod.LevelBaseline}),
	)

	DescribeTable("reads a shoot's Kubernetes version as the Pod Security Standards name it",
		func(kubernetesVersion string, want psaapi.Version) {
			Expect(VersionOf(kubernetesVersion)).To(Equal(want))
		},
		Entry("a release", "1.36.3", v136),
		Entry("a pre-release", "1.37.0-alpha.1", psaapi.MajorMinorVersion(1, 37)),
		Entry("unknown", "", psaapi.LatestVersion()),
		Entry("garbage", "one-thirty-six", psaapi.LatestVersion()),
	)

	DescribeTable("refuses paths it did not build",
		func(path, fragment string) {
			_, err := ParseTarget(path)
			Expect(err).To(MatchError(ContainSubstring(fragment)))
		},
		Entry("another prefix", "/webhooks/other/gvisor/annotated", "is not below /webhooks/pod/"),
		Entry("unknown offered class", "/webhooks/pod/v1.36/gvisor,vmware/annotated", `offers the unknown runtime class "vmware"`),
		Entry("unknown mode", "/webhooks/pod/v1.36/gvisor/default", "unknown mode or class"),
		Entry("namespace mode without class", "/webhooks/pod/v1.36/gvisor/namespace", "unknown mode or class"),
		Entry("unknown class", "/webhooks/pod/v1.36/gvisor/enforce/runc/baseline", "unknown mode or class"),
		Entry("unknown level", "/webhooks/pod/v1.36/gvisor/enforce/gvisor/privileged", `unknown level "privileged", want one of baseline, restricted`),
		Entry("a level for another mode", "/webhooks/pod/v1.36/gvisor/namespace/gvisor/restricted", "unknown mode or class"),
		Entry("too many parts", "/webhooks/pod/v1.36/gvisor/enforce/gvisor/baseline/x", "want /webhooks/pod/<version>/<classes>/<mode>[/<class>[/<level>]]"),
	)
})

// review sends an AdmissionReview for obj to path and returns the response.
func review(path string, op admissionv1.Operation, kind metav1.GroupVersionKind, obj []byte) *admissionv1.AdmissionResponse {
	return reviewSubresource(path, op, "", kind, obj)
}

// reviewSubresource sends an AdmissionReview for a subresource of obj to path and returns the response.
func reviewSubresource(path string, op admissionv1.Operation, subresource string, kind metav1.GroupVersionKind, obj []byte) *admissionv1.AdmissionResponse {
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  &admissionv1.AdmissionRequest{UID: "1", Kind: kind, Operation: op, SubResource: subresource, Namespace: "team", Object: runtime.RawExtension{Raw: obj}},
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
	annotated := Target{Version: v136, Offer: offer, Mode: ModeAnnotated}.Path()

	It("patches an annotated pod with runtimeClassName and node selector only", func() {
		resp := review(annotated, admissionv1.Create, podKind, podJSON(map[string]string{apipod.AnnotationSandbox: "kata"}))
		Expect(resp.Allowed).To(BeTrue())
		var patch []map[string]any
		Expect(json.Unmarshal(resp.Patch, &patch)).To(Succeed())
		Expect(patch).To(ConsistOf(
			And(HaveKeyWithValue("op", "add"), HaveKeyWithValue("path", "/spec/runtimeClassName"), HaveKeyWithValue("value", "kata-qemu")),
			And(HaveKeyWithValue("op", "add"), HaveKeyWithValue("path", "/spec/nodeSelector"), HaveKeyWithValue("value", map[string]any{"containerruntime.worker.gardener.cloud/kata": "true"})),
		))
	})

	It("adds only its key to a node selector the pod has, escaped for the JSON pointer", func() {
		var p corev1.Pod
		Expect(json.Unmarshal(podJSON(map[string]string{apipod.AnnotationSandbox: "gvisor"}), &p)).To(Succeed())
		p.Spec.NodeSelector = map[string]string{"disk": "ssd"}
		raw, err := json.Marshal(p)
		Expect(err).NotTo(HaveOccurred())
		resp := review(annotated, admissionv1.Create, podKind, raw)
		Expect(resp.Allowed).To(BeTrue())
		var patch []map[string]any
		Expect(json.Unmarshal(resp.Patch, &patch)).To(Succeed())
		Expect(patch).To(ConsistOf(
			And(HaveKeyWithValue("op", "add"), HaveKeyWithValue("path", "/spec/runtimeClassName"), HaveKeyWithValue("value", "gvisor")),
			And(HaveKeyWithValue("op", "add"), HaveKeyWithValue("path", "/spec/nodeSelector/containerruntime.worker.gardener.cloud~1gvisor"), HaveKeyWithValue("value", "true")),
		))
	})

	It("answers a pod that asks for nothing without a patch", func() {
		resp := review(annotated, admissionv1.Create, podKind, podJSON(nil))
		Expect(resp.Allowed).To(BeTrue())
		Expect(resp.Patch).To(BeEmpty())
	})

	It("refuses a conflict with 403 and the message", func() {
		resp := review(annotated, admissionv1.Create, podKind, podJSON(map[string]string{apipod.AnnotationSandbox: "kata-fc"}))
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
		Entry("namespace default", Target{Version: v136, Offer: offer, Mode: ModeNamespace, Class: "kata-qemu"}, nil, "", true, ""),
		Entry("namespace default not offered", Target{Version: v136, Offer: offer, Mode: ModeNamespace, Class: "kata-fc"}, nil, "", false, "fix the namespace label"),
		Entry("enforced, in the class", Target{Version: v136, Offer: offer, Mode: ModeEnforce, Class: "gvisor", Level: apipod.LevelBaseline}, nil, "gvisor", true, ""),
		Entry("enforced, outside", Target{Version: v136, Offer: offer, Mode: ModeEnforce, Class: "gvisor", Level: apipod.LevelBaseline}, nil, "", false, `namespace team requires runtime class "gvisor"`),
		Entry("enforced at restricted, in the class but not hardened", Target{Version: v136, Offer: offer, Mode: ModeEnforce, Class: "gvisor", Level: apipod.LevelRestricted}, nil, "gvisor", false, `breaks the Pod Security Standards level "restricted"`),
		Entry("enforcement level label with an unknown value", Target{Version: v136, Offer: offer, Mode: ModeEnforceLevelUnknown}, nil, "gvisor", false, "the label runtime.gardener.cloud/sandbox-enforce-level of namespace team names no known level (known: baseline, restricted"),
		Entry("namespace label with an unknown value", Target{Version: v136, Offer: offer, Mode: ModeNamespaceUnknown}, nil, "", false, "the label runtime.gardener.cloud/sandbox of namespace team names no known runtime class (known: gvisor, kata-qemu, kata-clh, kata-fc; or a runtime type: gvisor, kata); fix the namespace label (`kubectl get namespace team -L runtime.gardener.cloud/sandbox` shows its value)"),
		Entry("enforcement label with an unknown value", Target{Version: v136, Offer: offer, Mode: ModeEnforceUnknown}, nil, "gvisor", false, "so no pod can comply"),
		Entry("a shoot that offers nothing", Target{Version: v136, Mode: ModeAnnotated}, map[string]string{apipod.AnnotationUntrustedWorkload: "true"}, "", false, "no worker pool of this cluster offers one"),
	)

	It("lets UPDATE of the pod through", func() {
		Expect(review(annotated, admissionv1.Update, podKind, podJSON(map[string]string{apipod.AnnotationSandbox: "vmware"})).Allowed).To(BeTrue())
	})

	Context("in an enforced namespace", func() {
		enforced := Target{Version: v136, Offer: offer, Mode: ModeEnforce, Class: "gvisor", Level: apipod.LevelBaseline}.Path()
		insecure := func(mutate func(*corev1.Pod)) []byte {
			p := &corev1.Pod{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team"},
				Spec:       corev1.PodSpec{RuntimeClassName: new("gvisor"), Containers: []corev1.Container{{Name: "c", Image: "i"}}},
			}
			mutate(p)
			out, err := json.Marshal(p)
			Expect(err).NotTo(HaveOccurred())
			return out
		}

		It("refuses a pod in the class that mounts the host, naming the check and the volume", func() {
			resp := review(enforced, admissionv1.Create, podKind, insecure(func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
			}))
			Expect(resp.Allowed).To(BeFalse())
			Expect(resp.Result.Message).To(ContainSubstring(`the pod breaks the Pod Security Standards level "baseline" that namespace team enforces for its sandboxed pods (label runtime.gardener.cloud/sandbox-enforce): hostPath volumes: volume "root"`))
		})

		It("checks an ephemeral container added to a pod like the pod", func() {
			raw := insecure(func(p *corev1.Pod) {
				p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
					Name: "debugger", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: new(true)},
				}}}
			})
			resp := reviewSubresource(enforced, admissionv1.Update, "ephemeralcontainers", podKind, raw)
			Expect(resp.Allowed).To(BeFalse())
			Expect(resp.Result.Message).To(ContainSubstring(`privileged: container "debugger" must not set securityContext.privileged=true`))

			By("while other subresources and modes let it through")
			Expect(reviewSubresource(enforced, admissionv1.Update, "status", podKind, raw).Allowed).To(BeTrue())
			Expect(reviewSubresource(annotated, admissionv1.Update, "ephemeralcontainers", podKind, raw).Allowed).To(BeTrue())
		})
	})

	It("warns about a sandboxed pod outside enforced namespaces that breaks baseline, and still defaults it", func() {
		var p corev1.Pod
		Expect(json.Unmarshal(podJSON(map[string]string{apipod.AnnotationSandbox: "gvisor"}), &p)).To(Succeed())
		p.Spec.HostNetwork = true
		raw, err := json.Marshal(p)
		Expect(err).NotTo(HaveOccurred())
		resp := review(annotated, admissionv1.Create, podKind, raw)
		Expect(resp.Allowed).To(BeTrue())
		Expect(resp.Patch).NotTo(BeEmpty())
		Expect(resp.Warnings).To(ConsistOf(`the sandbox "gvisor" does not protect the node from what this pod shares with it; it breaks the Pod Security Standards level "baseline": host namespaces: hostNetwork=true`))

		By("and not about one that passes")
		Expect(review(annotated, admissionv1.Create, podKind, podJSON(map[string]string{apipod.AnnotationSandbox: "gvisor"})).Warnings).To(BeEmpty())
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
		req := httptest.NewRequest(http.MethodPost, Target{Version: v136, Offer: offer, Mode: ModeAnnotated}.Path(), bytes.NewReader([]byte("{not json")))
		req.Header.Set("Content-Type", "application/json")
		NewHandler().ServeHTTP(rec, req)
		out := admissionv1.AdmissionReview{}
		Expect(json.Unmarshal(rec.Body.Bytes(), &out)).To(Succeed())
		Expect(out.Response.Allowed).To(BeFalse())
		Expect(out.Response.Result.Code).To(BeNumerically("==", http.StatusBadRequest))
	})
})

var _ = Describe("ShootConfigs", func() {
	mutating, validating := ShootConfigs(Shoot{Offer: offer, Version: v136}, func(path string) admissionregistrationv1.WebhookClientConfig {
		return admissionregistrationv1.WebhookClientConfig{URL: new("https://seed.example" + path)}
	})
	kubeSystemExcluded := metav1.LabelSelectorRequirement{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system"}}

	It("has an annotation entry, one namespace entry per known class and one for unknown values, all failing closed fast", func() {
		Expect(mutating.Name).To(Equal(ConfigName))
		Expect(mutating.Webhooks).To(HaveLen(1 + len(namespaceLabelValues) + 1))
		for _, wh := range mutating.Webhooks {
			Expect(*wh.FailurePolicy).To(Equal(admissionregistrationv1.Fail))
			Expect(*wh.TimeoutSeconds).To(BeNumerically("<=", 5))
			Expect(wh.NamespaceSelector.MatchExpressions).To(ContainElement(kubeSystemExcluded))
			Expect(wh.Rules).To(HaveLen(1))
			Expect(wh.Rules[0].Operations).To(Equal([]admissionregistrationv1.OperationType{admissionregistrationv1.Create}))
			Expect(wh.Rules[0].Resources).To(Equal([]string{"pods"}))
			Expect(wh.MatchConditions).To(HaveLen(1))
		}
		Expect(*mutating.Webhooks[0].ClientConfig.URL).To(Equal("https://seed.example/webhooks/pod/v1.36/gvisor,kata-qemu/annotated"))
		Expect(mutating.Webhooks[0].MatchConditions[0].Expression).To(ContainSubstring(`object.metadata.annotations.exists(k, k.startsWith("runtime.gardener.cloud/"))`))
		Expect(mutating.Webhooks[1].NamespaceSelector.MatchLabels).To(Equal(map[string]string{"runtime.gardener.cloud/sandbox": "gvisor"}))
		Expect(*mutating.Webhooks[1].ClientConfig.URL).To(Equal("https://seed.example/webhooks/pod/v1.36/gvisor,kata-qemu/namespace/gvisor"))
	})

	It("selects namespaces labelled with unknown values", func() {
		last := mutating.Webhooks[len(mutating.Webhooks)-1]
		Expect(*last.ClientConfig.URL).To(HaveSuffix("/namespace-unknown"))
		Expect(last.NamespaceSelector.MatchExpressions).To(ContainElements(
			metav1.LabelSelectorRequirement{Key: "runtime.gardener.cloud/sandbox", Operator: metav1.LabelSelectorOpExists},
			metav1.LabelSelectorRequirement{Key: "runtime.gardener.cloud/sandbox", Operator: metav1.LabelSelectorOpNotIn, Values: namespaceLabelValues},
		))
		unknownClass, unknownLevel := validating.Webhooks[len(validating.Webhooks)-2], validating.Webhooks[len(validating.Webhooks)-1]
		Expect(*unknownClass.ClientConfig.URL).To(HaveSuffix("/enforce-unknown"))
		Expect(unknownClass.MatchConditions).To(BeEmpty(), "every pod of such a namespace is refused")
		Expect(*unknownLevel.ClientConfig.URL).To(HaveSuffix("/enforce-level-unknown"))
		Expect(unknownLevel.NamespaceSelector.MatchExpressions).To(ContainElements(
			metav1.LabelSelectorRequirement{Key: "runtime.gardener.cloud/sandbox-enforce", Operator: metav1.LabelSelectorOpExists},
			metav1.LabelSelectorRequirement{Key: "runtime.gardener.cloud/sandbox-enforce-level", Operator: metav1.LabelSelectorOpExists},
			metav1.LabelSelectorRequirement{Key: "runtime.gardener.cloud/sandbox-enforce-level", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"baseline", "restricted"}},
		))
	})

	It("has two enforcement entries per known class, one per level, that see every pod and every added ephemeral container", func() {
		Expect(validating.Webhooks).To(HaveLen(2*len(namespaceLabelValues) + 2))
		for _, wh := range validating.Webhooks {
			Expect(*wh.FailurePolicy).To(Equal(admissionregistrationv1.Fail))
			Expect(wh.MatchConditions).To(BeEmpty(), "pods already in the class are checked too")
			Expect(wh.NamespaceSelector.MatchExpressions).To(ContainElement(kubeSystemExcluded))
			Expect(wh.Rules).To(ConsistOf(
				HaveField("Rule.Resources", []string{"pods"}),
				And(HaveField("Rule.Resources", []string{"pods/ephemeralcontainers"}), HaveField("Operations", []admissionregistrationv1.OperationType{admissionregistrationv1.Update})),
			))
		}
		baseline, restricted := validating.Webhooks[0], validating.Webhooks[1]
		Expect(*baseline.ClientConfig.URL).To(Equal("https://seed.example/webhooks/pod/v1.36/gvisor,kata-qemu/enforce/gvisor/baseline"))
		Expect(baseline.NamespaceSelector.MatchLabels).To(Equal(map[string]string{"runtime.gardener.cloud/sandbox-enforce": "gvisor"}))
		Expect(baseline.NamespaceSelector.MatchExpressions).To(ContainElement(
			metav1.LabelSelectorRequirement{Key: "runtime.gardener.cloud/sandbox-enforce-level", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"restricted"}}))
		Expect(*restricted.ClientConfig.URL).To(Equal("https://seed.example/webhooks/pod/v1.36/gvisor,kata-qemu/enforce/gvisor/restricted"))
		Expect(restricted.NamespaceSelector.MatchLabels).To(Equal(map[string]string{"runtime.gardener.cloud/sandbox-enforce": "gvisor", "runtime.gardener.cloud/sandbox-enforce-level": "restricted"}))
	})
})
