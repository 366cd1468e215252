package shootvalidator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/validators/shoot"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/metrics"
	. "github.com/gardener/gardener-extension-runtime-sandbox/webhooks/shootvalidator"
)

var shootGVK = metav1.GroupVersionKind{Group: "core.gardener.cloud", Version: "v1beta1", Kind: "Shoot"}

func request(op admissionv1.Operation, obj, old []byte) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Kind: shootGVK, Operation: op, Name: "s", Namespace: "garden-local",
		Object: runtime.RawExtension{Raw: obj}, OldObject: runtime.RawExtension{Raw: old},
	}}
}

func shootJSON(machineType, runtimeType, providerConfig string) []byte {
	cr := gardencorev1beta1.ContainerRuntime{Type: runtimeType}
	if providerConfig != "" {
		cr.ProviderConfig = &runtime.RawExtension{Raw: []byte(providerConfig)}
	}
	s := &gardencorev1beta1.Shoot{
		TypeMeta:   metav1.TypeMeta{APIVersion: "core.gardener.cloud/v1beta1", Kind: "Shoot"},
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "garden-local"},
		Spec: gardencorev1beta1.ShootSpec{
			CloudProfile: &gardencorev1beta1.CloudProfileReference{Kind: "CloudProfile", Name: "local"},
			Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{{
				Name: "pool", Machine: gardencorev1beta1.Machine{Type: machineType},
				CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{cr}},
			}}},
		},
	}
	out, err := json.Marshal(s)
	Expect(err).NotTo(HaveOccurred())
	return out
}

var _ = Describe("Handler", func() {
	var (
		ctx     = context.Background()
		gvisorH admission.Handler
		kataH   admission.Handler
	)

	BeforeEach(func() {
		scheme := runtime.NewScheme()
		Expect(gardencorev1beta1.AddToScheme(scheme)).To(Succeed())
		reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&gardencorev1beta1.CloudProfile{
			ObjectMeta: metav1.ObjectMeta{Name: "local"},
			Spec: gardencorev1beta1.CloudProfileSpec{
				MachineCapabilities: []gardencorev1beta1.CapabilityDefinition{{Name: "nestedVirtualization", Values: []string{"supported", "unsupported"}}},
				MachineTypes: []gardencorev1beta1.MachineType{
					{Name: "nested", Capabilities: gardencorev1beta1.Capabilities{"nestedVirtualization": {"supported"}}},
					{Name: "flat", Capabilities: gardencorev1beta1.Capabilities{"nestedVirtualization": {"unsupported"}}},
				},
			},
		}).Build()
		// The gVisor handler alone has no capability requirement and never reads a CloudProfile: no reader.
		gvisorH = NewHandler(gvisor.New(), []runtimes.Runtime{gvisor.New()}, nil, nil)
		kataH = NewHandler(kata.New(), runtimes.All(), map[string][]shoot.CapabilityRequirement{"kata": {{Name: "nestedVirtualization", Value: "supported"}}}, reader)
	})

	DescribeTable("answers a malformed request with a 4xx and never panics",
		func(req admission.Request) {
			resp := gvisorH.Handle(ctx, req)
			Expect(resp.Allowed).To(BeFalse())
			Expect(resp.Result.Code).To(BeNumerically("==", http.StatusBadRequest))
		},
		Entry("no object", request(admissionv1.Create, nil, nil)),
		Entry("not JSON", request(admissionv1.Create, []byte("{not json"), nil)),
		Entry("JSON of a wrong shape", request(admissionv1.Create, []byte(`{"spec":{"provider":{"workers":"many"}}}`), nil)),
		Entry("UPDATE without old object", request(admissionv1.Update, shootJSON("m", "gvisor", ""), nil)),
		Entry("another kind", func() admission.Request {
			r := request(admissionv1.Create, []byte(`{}`), nil)
			r.Kind = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
			return r
		}()),
	)

	It("allows DELETE and CONNECT without looking", func() {
		Expect(gvisorH.Handle(ctx, request(admissionv1.Delete, nil, nil)).Allowed).To(BeTrue())
		Expect(gvisorH.Handle(ctx, request(admissionv1.Connect, nil, nil)).Allowed).To(BeTrue())
	})

	It("judges an UPDATE that changes the machine type of a Kata pool", func() {
		Expect(kataH.Handle(ctx, request(admissionv1.Update, shootJSON("flat", "kata", ""), shootJSON("flat", "kata", ""))).Allowed).To(BeTrue())
		Expect(kataH.Handle(ctx, request(admissionv1.Update, shootJSON("flat", "kata", ""), shootJSON("nested", "kata", ""))).Allowed).To(BeFalse())
	})

	It("lets a Shoot that is being deleted through", func() {
		var s gardencorev1beta1.Shoot
		Expect(json.Unmarshal(shootJSON("flat", "kata", `{"hypervisors":["vmware"]}`), &s)).To(Succeed())
		s.DeletionTimestamp = &metav1.Time{Time: time.Now()}
		raw, err := json.Marshal(s)
		Expect(err).NotTo(HaveOccurred())
		Expect(kataH.Handle(ctx, request(admissionv1.Update, raw, raw)).Allowed).To(BeTrue())
	})

	It("reads a NamespacedCloudProfile's merged spec from its status", func() {
		scheme := runtime.NewScheme()
		Expect(gardencorev1beta1.AddToScheme(scheme)).To(Succeed())
		ncp := &gardencorev1beta1.NamespacedCloudProfile{
			ObjectMeta: metav1.ObjectMeta{Name: "team", Namespace: "garden-local"},
			Spec:       gardencorev1beta1.NamespacedCloudProfileSpec{Parent: gardencorev1beta1.CloudProfileReference{Kind: "CloudProfile", Name: "local"}},
			Status: gardencorev1beta1.NamespacedCloudProfileStatus{CloudProfileSpec: gardencorev1beta1.CloudProfileSpec{
				MachineCapabilities: []gardencorev1beta1.CapabilityDefinition{{Name: "nestedVirtualization", Values: []string{"supported", "unsupported"}}},
				MachineTypes: []gardencorev1beta1.MachineType{
					{Name: "team-nested", Capabilities: gardencorev1beta1.Capabilities{"nestedVirtualization": {"supported"}}},
					{Name: "team-flat", Capabilities: gardencorev1beta1.Capabilities{"nestedVirtualization": {"unsupported"}}},
				},
			}},
		}
		h := NewHandler(kata.New(), runtimes.All(), map[string][]shoot.CapabilityRequirement{"kata": {{Name: "nestedVirtualization", Value: "supported"}}},
			fake.NewClientBuilder().WithScheme(scheme).WithObjects(ncp).Build())
		withProfile := func(machineType string) []byte {
			var s gardencorev1beta1.Shoot
			Expect(json.Unmarshal(shootJSON(machineType, "kata", ""), &s)).To(Succeed())
			s.Spec.CloudProfile = &gardencorev1beta1.CloudProfileReference{Kind: "NamespacedCloudProfile", Name: "team"}
			raw, err := json.Marshal(s)
			Expect(err).NotTo(HaveOccurred())
			return raw
		}
		Expect(h.Handle(ctx, request(admissionv1.Create, withProfile("team-nested"), nil)).Allowed).To(BeTrue())
		Expect(h.Handle(ctx, request(admissionv1.Create, withProfile("team-flat"), nil)).Result.Message).To(ContainSubstring(`machine type "team-flat" lacks nestedVirtualization=supported`))
	})

	It("reports other runtime types' problems too, but only its own warnings", func() {
		var s gardencorev1beta1.Shoot
		Expect(json.Unmarshal(shootJSON("nested", "kata", `{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["vmware"]}`), &s)).To(Succeed())
		s.Spec.Provider.Workers = append(s.Spec.Provider.Workers, gardencorev1beta1.Worker{
			Name: "g", Machine: gardencorev1beta1.Machine{Type: "flat"},
			CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{{Type: "gvisor", ProviderConfig: &runtime.RawExtension{Raw: []byte(`{"apiVersion":"gvisor.os.extensions.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"foo":"true"}}`)}}}},
		})
		raw, err := json.Marshal(s)
		Expect(err).NotTo(HaveOccurred())
		resp := kataH.Handle(ctx, request(admissionv1.Create, raw, nil))
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Details.Causes).To(HaveLen(2))
		Expect(resp.Result.Message).To(And(ContainSubstring("hypervisors[0]"), ContainSubstring("configFlags[foo]")))
		Expect(resp.Warnings).To(BeEmpty(), "the gVisor webhook warns about the deprecated gVisor apiVersion, not the Kata one")
	})

	It("allows a valid Shoot", func() {
		resp := gvisorH.Handle(ctx, request(admissionv1.Create, shootJSON("m", "gvisor", `{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"debug":"true"}}`), nil))
		Expect(resp.Allowed).To(BeTrue())
		Expect(resp.Warnings).To(BeEmpty())
	})

	It("refuses an invalid Shoot with 422, the message and one cause per field", func() {
		resp := gvisorH.Handle(ctx, request(admissionv1.Create, shootJSON("m", "gvisor", `{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"foo":"true","debug":"maybe"}}`), nil))
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Code).To(BeNumerically("==", http.StatusUnprocessableEntity))
		Expect(resp.Result.Reason).To(Equal(metav1.StatusReasonInvalid))
		Expect(resp.Result.Message).To(ContainSubstring(`spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[foo]: Unsupported value: "foo": supported values: "debug", "net-raw", "nvproxy"`))
		Expect(resp.Result.Details.Causes).To(HaveLen(2))
	})

	It("refuses a huge invalid providerConfig with at most decode.MaxShown causes, shortened, and says how many more there are", func() {
		flags := map[string]string{}
		for i := range 1000 {
			flags[fmt.Sprintf("flag-%04d-%s", i, strings.Repeat("x", 1000))] = "true"
		}
		flags["a"+strings.Repeat("k", 1<<20)] = "true" // sorted first, so it is among the causes shown
		raw, err := json.Marshal(map[string]any{"apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1", "kind": "GVisorConfiguration", "configFlags": flags})
		Expect(err).NotTo(HaveOccurred())
		obj := shootJSON("m", "gvisor", string(raw))

		resp := gvisorH.Handle(ctx, request(admissionv1.Create, obj, nil))
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Details.Causes).To(HaveLen(decode.MaxShown + 1))
		Expect(resp.Result.Details.Causes[decode.MaxShown].Message).To(Equal("981 more problems not shown: fix the ones above and try again to see them"))
		Expect(resp.Result.Message).To(HaveSuffix("; 981 more problems not shown: fix the ones above and try again to see them"))
		Expect(resp.Result.Message).To(ContainSubstring("more bytes not shown)"))
		response, err := json.Marshal(resp.AdmissionResponse)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(response)).To(BeNumerically("<", 64<<10), "the response must stay small, the request has %d bytes", len(obj))
	})

	It("allows the deprecated apiVersion with a warning", func() {
		resp := gvisorH.Handle(ctx, request(admissionv1.Create, shootJSON("m", "gvisor", `{"apiVersion":"gvisor.os.extensions.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"}`), nil))
		Expect(resp.Allowed).To(BeTrue())
		Expect(resp.Warnings).To(ConsistOf(ContainSubstring("is deprecated, use gvisor.runtime.extensions.config.gardener.cloud/v1alpha1")))
	})

	It("does not judge an UPDATE that leaves the runtimes unchanged", func() {
		bad := shootJSON("m", "gvisor", `{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"foo":"true"}}`)
		Expect(gvisorH.Handle(ctx, request(admissionv1.Update, bad, bad)).Allowed).To(BeTrue())
		Expect(gvisorH.Handle(ctx, request(admissionv1.Update, bad, shootJSON("m", "gvisor", ""))).Allowed).To(BeFalse())
	})

	It("checks machine capabilities against the CloudProfile", func() {
		Expect(kataH.Handle(ctx, request(admissionv1.Create, shootJSON("nested", "kata", ""), nil)).Allowed).To(BeTrue())
		resp := kataH.Handle(ctx, request(admissionv1.Create, shootJSON("flat", "kata", ""), nil))
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Message).To(ContainSubstring(`spec.provider.workers[0].machine.type: Invalid value: "flat"`))
	})

	It("fails with 500 when the CloudProfile cannot be read", func() {
		raw := shootJSON("flat", "kata", "")
		var s gardencorev1beta1.Shoot
		Expect(json.Unmarshal(raw, &s)).To(Succeed())
		s.Spec.CloudProfile.Name = "missing"
		raw, _ = json.Marshal(s)
		resp := kataH.Handle(ctx, request(admissionv1.Create, raw, nil))
		Expect(resp.Allowed).To(BeFalse())
		Expect(resp.Result.Code).To(BeNumerically("==", http.StatusInternalServerError))
		Expect(resp.Result.Message).To(ContainSubstring("reading the CloudProfile"))
	})
})

var _ = Describe("Handler metrics", func() {
	type series struct{ webhook, runtime, outcome, reason string }
	var (
		ctx     = context.Background()
		gvisorH admission.Handler
		kataH   admission.Handler
		// every series the Shoot validators may count, so that a test sees a count in the wrong one
		all []series
	)

	counts := func() map[series]float64 {
		out := map[series]float64{}
		for _, s := range all {
			out[s] = testutil.ToFloat64(metrics.AdmissionRequests.WithLabelValues(s.webhook, s.runtime, s.outcome, s.reason))
		}
		return out
	}

	BeforeEach(func() {
		gvisorH = NewHandler(gvisor.New(), []runtimes.Runtime{gvisor.New()}, nil, nil)
		// No CloudProfile exists, so reading it fails.
		scheme := runtime.NewScheme()
		Expect(gardencorev1beta1.AddToScheme(scheme)).To(Succeed())
		kataH = NewHandler(kata.New(), runtimes.All(), map[string][]shoot.CapabilityRequirement{"kata": {{Name: "nestedVirtualization", Value: "supported"}}},
			fake.NewClientBuilder().WithScheme(scheme).Build())
		all = nil
		for _, rt := range []string{"gvisor", "kata"} {
			all = append(all, series{"shoot-" + rt, rt, "unchanged", ""})
			for _, reason := range []string{"bad-request", "invalid", "error"} {
				all = append(all, series{"shoot-" + rt, rt, "refused", reason})
			}
		}
	})

	DescribeTable("counts each request once, with its webhook, runtime, outcome and reason",
		func(kata bool, req admission.Request, allowed bool, want series) {
			h := gvisorH
			if kata {
				h = kataH
			}
			before := counts()
			Expect(h.Handle(ctx, req).Allowed).To(Equal(allowed))
			after := counts()
			for _, s := range all {
				delta := 0.0
				if s == want {
					delta = 1
				}
				Expect(after[s]-before[s]).To(Equal(delta), "series %+v", s)
			}
		},
		Entry("a valid Shoot is unchanged", false,
			request(admissionv1.Create, shootJSON("m", "gvisor", ""), nil), true,
			series{"shoot-gvisor", "gvisor", "unchanged", ""}),
		Entry("DELETE is unchanged", false,
			request(admissionv1.Delete, nil, nil), true,
			series{"shoot-gvisor", "gvisor", "unchanged", ""}),
		Entry("an invalid Shoot is refused as invalid", false,
			request(admissionv1.Create, shootJSON("m", "gvisor", `{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"foo":"true"}}`), nil), false,
			series{"shoot-gvisor", "gvisor", "refused", "invalid"}),
		Entry("an undecodable Shoot is a bad request", false,
			request(admissionv1.Create, []byte("{not json"), nil), false,
			series{"shoot-gvisor", "gvisor", "refused", "bad-request"}),
		Entry("an UPDATE without old object is a bad request", false,
			request(admissionv1.Update, shootJSON("m", "gvisor", ""), nil), false,
			series{"shoot-gvisor", "gvisor", "refused", "bad-request"}),
		Entry("another kind is a bad request", false,
			func() admission.Request {
				r := request(admissionv1.Create, []byte(`{}`), nil)
				r.Kind = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
				return r
			}(), false,
			series{"shoot-gvisor", "gvisor", "refused", "bad-request"}),
		Entry("DELETE is unchanged, counted for the Kata webhook", true,
			request(admissionv1.Delete, nil, nil), true,
			series{"shoot-kata", "kata", "unchanged", ""}),
		Entry("an unreadable CloudProfile is an error, counted for the Kata webhook", true,
			request(admissionv1.Create, shootJSON("nested", "kata", ""), nil), false,
			series{"shoot-kata", "kata", "refused", "error"}),
	)
})

var _ = Describe("New", func() {
	It("selects only Shoots labelled with its runtime type and fails closed", func() {
		wh := New(kata.New(), runtimes.All(), nil, nil)
		Expect(wh.Name).To(Equal("shoot-kata"))
		Expect(wh.Path).To(Equal("/webhooks/validate/shoot/kata"))
		Expect(wh.ObjectSelector.MatchLabels).To(Equal(map[string]string{"containerruntime.extensions.gardener.cloud/kata": "true"}))
		Expect(string(*wh.FailurePolicy)).To(Equal("Fail"))
	})
})
