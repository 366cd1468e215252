package oscmutator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
	. "github.com/gardener/gardener-extension-runtime-sandbox/webhooks/oscmutator"
)

// handlerManager is the part of a manager that Gardener's webhook handler builder reads: scheme and client.
type handlerManager struct {
	manager.Manager
	scheme *runtime.Scheme
	client client.Client
}

func (m handlerManager) GetScheme() *runtime.Scheme { return m.scheme }
func (m handlerManager) GetClient() client.Client   { return m.client }

// FuzzHandle sends arbitrary bytes as the body of an admission request to the OSC webhook, built with Gardener's
// webhook library as the seed component builds it, with the sample Shoot's Cluster (seeds in
// testdata/fuzz/FuzzHandle: AdmissionReviews of the sample OSCs). It never panics (panics are not recovered here)
// and always answers with an AdmissionReview that carries a response; it allows only an AdmissionReview with a
// request.
func FuzzHandle(f *testing.F) {
	for _, pool := range []string{"gvisor", "kata", "plain"} {
		f.Add(oscReview(f, samples.OSC("osc", pool)))
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1"}}`))

	scheme := runtime.NewScheme()
	if err := extensionsv1alpha1.AddToScheme(scheme); err != nil {
		f.Fatal(err)
	}
	shoot, err := samples.Shoot()
	if err != nil {
		f.Fatal(err)
	}
	cluster, err := samples.ClusterFor(samples.ShootNamespace, shoot)
	if err != nil {
		f.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cluster).Build()
	h, err := extensionswebhook.NewBuilder(handlerManager{scheme: scheme, client: c}, logr.Discard()).
		WithMutator(&Mutator{Runtimes: runtimes.All(), Reader: c}, extensionswebhook.Type{Obj: &extensionsv1alpha1.OperatingSystemConfig{}}).
		Build()
	if err != nil {
		f.Fatal(err)
	}
	wh := &admission.Webhook{Handler: h, RecoverPanic: new(false)}

	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, Path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		wh.ServeHTTP(rec, req)
		var answer admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Response == nil {
			t.Fatalf("no AdmissionReview with a response (HTTP %d): %s", rec.Code, rec.Body.String())
		}
		if answer.Response.Allowed {
			var review admissionv1.AdmissionReview
			if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
				t.Fatalf("allowed a body that is no AdmissionReview with a request: %s", body)
			}
		}
	})
}

// oscReview returns an AdmissionReview for the CREATE of osc, as the API server sends it.
func oscReview(f *testing.F, osc *extensionsv1alpha1.OperatingSystemConfig) []byte {
	osc.APIVersion, osc.Kind = extensionsv1alpha1.SchemeGroupVersion.String(), "OperatingSystemConfig"
	obj, err := json.Marshal(osc)
	if err != nil {
		f.Fatal(err)
	}
	out, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "1",
			Kind:      metav1.GroupVersionKind{Group: extensionsv1alpha1.SchemeGroupVersion.Group, Version: "v1alpha1", Kind: "OperatingSystemConfig"},
			Operation: admissionv1.Create, Name: osc.Name, Namespace: osc.Namespace,
			Object: runtime.RawExtension{Raw: obj},
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	return out
}
