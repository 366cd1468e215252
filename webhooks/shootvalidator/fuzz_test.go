package shootvalidator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/validators/shoot"
	. "github.com/gardener/gardener-extension-runtime-sandbox/webhooks/shootvalidator"
)

// FuzzHandle sends arbitrary bytes as the body of an admission request to the Kata Shoot webhook (which judges every
// runtime's pools and reads a CloudProfile for the required capabilities), as the API server would (seeds in
// testdata/fuzz/FuzzHandle: AdmissionReviews of valid and invalid Shoots). The webhook never panics (panics are not
// recovered here), always answers with an AdmissionReview that carries a response, and allows only a request whose
// body is an AdmissionReview with a request, and a CREATE or UPDATE only with an object.
func FuzzHandle(f *testing.F) {
	f.Add(fuzzReview(f, admissionv1.Create, fuzzShoot(`{"hypervisors":["qemu"]}`), nil))
	f.Add(fuzzReview(f, admissionv1.Update, fuzzShoot(`{"hypervisors":["vmware"]}`), fuzzShoot("")))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1"}}`))

	scheme := runtime.NewScheme()
	if err := gardencorev1beta1.AddToScheme(scheme); err != nil {
		f.Fatal(err)
	}
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&gardencorev1beta1.CloudProfile{
		ObjectMeta: metav1.ObjectMeta{Name: "local"},
		Spec: gardencorev1beta1.CloudProfileSpec{
			MachineCapabilities: []gardencorev1beta1.CapabilityDefinition{{Name: "nestedVirtualization", Values: []string{"supported", "unsupported"}}},
			MachineTypes: []gardencorev1beta1.MachineType{
				{Name: "nested", Capabilities: gardencorev1beta1.Capabilities{"nestedVirtualization": {"supported"}}},
			},
		},
	}).Build()
	wh := &admission.Webhook{
		Handler:      NewHandler(kata.New(), runtimes.All(), map[string][]shoot.CapabilityRequirement{"kata": {{Name: "nestedVirtualization", Value: "supported"}}}, reader),
		RecoverPanic: new(false),
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, Path(kata.Type), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		wh.ServeHTTP(rec, req)
		var answer admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Response == nil {
			t.Fatalf("no AdmissionReview with a response (HTTP %d): %s", rec.Code, rec.Body.String())
		}
		if !answer.Response.Allowed {
			return
		}
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
			t.Fatalf("allowed a body that is no AdmissionReview with a request: %s", body)
		}
		if op := review.Request.Operation; (op == admissionv1.Create || op == admissionv1.Update) && len(review.Request.Object.Raw) == 0 {
			t.Fatalf("allowed a %s without an object: %s", op, body)
		}
	})
}

// fuzzShoot returns a Shoot with one Kata pool of machine type "nested" and the given providerConfig.
func fuzzShoot(providerConfig string) []byte {
	cr := gardencorev1beta1.ContainerRuntime{Type: kata.Type}
	if providerConfig != "" {
		cr.ProviderConfig = &runtime.RawExtension{Raw: []byte(providerConfig)}
	}
	s := &gardencorev1beta1.Shoot{
		TypeMeta:   metav1.TypeMeta{APIVersion: "core.gardener.cloud/v1beta1", Kind: "Shoot"},
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "garden-local"},
		Spec: gardencorev1beta1.ShootSpec{
			CloudProfile: &gardencorev1beta1.CloudProfileReference{Kind: "CloudProfile", Name: "local"},
			Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{{
				Name: "pool", Machine: gardencorev1beta1.Machine{Type: "nested"},
				CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{cr}},
			}}},
		},
	}
	out, _ := json.Marshal(s)
	return out
}

// fuzzReview returns an AdmissionReview for a Shoot, as the API server sends it.
func fuzzReview(f *testing.F, op admissionv1.Operation, obj, old []byte) []byte {
	out, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "1", Kind: shootGVK, Operation: op, Name: "s", Namespace: "garden-local",
			Object: runtime.RawExtension{Raw: obj}, OldObject: runtime.RawExtension{Raw: old},
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	return out
}
