package podwebhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	. "github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

// FuzzHandle sends arbitrary bytes to arbitrary paths of the pod webhook (seeds in testdata/fuzz/FuzzHandle:
// AdmissionReviews of pods to the paths the shoots' webhook configurations call). It never panics (the handler
// recovers panics into a response that says so, which fails the target), always answers with an AdmissionReview
// that carries a response, and allows only a request to a path it builds with an AdmissionReview that has a request.
func FuzzHandle(f *testing.F) {
	paths := []string{
		Target{Version: v136, Offer: offer, Mode: ModeAnnotated}.Path(),
		Target{Version: v136, Offer: offer, Mode: ModeNamespace, Class: "gvisor"}.Path(),
		Target{Version: v136, Offer: offer, Mode: ModeEnforce, Class: "kata", Level: apipod.LevelRestricted}.Path(),
		PathPrefix + "v1.36/gvisor=a+b,kata-qemu=b/annotated",
	}
	pods := []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: map[string]string{apipod.AnnotationSandbox: "gvisor"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: map[string]string{apipod.AnnotationSandbox: "kata"}},
			Spec: corev1.PodSpec{NodeSelector: map[string]string{"containerruntime.worker.gardener.cloud/kata": "false"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{HostNetwork: true, RuntimeClassName: new("runc")}},
	}
	for _, path := range paths {
		for _, pod := range pods {
			f.Add(path, podReview(f, pod))
		}
	}
	h := NewHandler()

	f.Fuzz(func(t *testing.T, path string, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, PathPrefix, bytes.NewReader(body))
		req.URL.Path = path
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		var answer admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Response == nil {
			t.Fatalf("no AdmissionReview with a response (HTTP %d): %s", rec.Code, rec.Body.String())
		}
		if r := answer.Response.Result; r != nil && strings.Contains(r.Message, "[recovered]") {
			t.Fatalf("the handler panicked: %s", r.Message)
		}
		if !answer.Response.Allowed {
			return
		}
		if _, err := ParseTarget(path); err != nil {
			t.Fatalf("allowed a request to a path it did not build (%v): %q", err, path)
		}
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
			t.Fatalf("allowed a body that is no AdmissionReview with a request: %s", body)
		}
	})
}

// podReview returns an AdmissionReview for the CREATE of pod in namespace "ns", as a shoot's API server sends it.
func podReview(f *testing.F, pod *corev1.Pod) []byte {
	pod.APIVersion, pod.Kind = "v1", "Pod"
	obj, err := json.Marshal(pod)
	if err != nil {
		f.Fatal(err)
	}
	out, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Operation: admissionv1.Create,
			Name: pod.Name, Namespace: "ns", Object: runtime.RawExtension{Raw: obj},
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	return out
}
