package bench_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	seedapp "github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-runtime-sandbox/app"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/bench"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/oscmutator"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/shootvalidator"
)

func init() {
	// Gardener's webhook library logs when it builds a webhook; benchmarks print only their figures.
	logf.SetLogger(logr.Discard())
}

// noop is controller-runtime's admission webhook with a handler that allows everything: the floor every handler
// is compared with, on the same AdmissionReview.
var noop = &admission.Webhook{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
	return admission.Allowed("")
})}

// answer is what a handler must answer for its benchmark to count.
type answer int

const (
	allowed answer = iota
	patched
)

type handlerCase struct {
	name    string
	handler http.Handler
	path    string
	review  []byte
	want    answer
}

// BenchmarkAdmission measures each admission handler on one AdmissionReview, served as the webhook server serves
// it (HTTP handler: decoding the review, handling, encoding the answer), and reports x-noop: its time over the time
// of the no-op handler on the same review, measured in the same run.
func BenchmarkAdmission(b *testing.B) {
	for _, c := range admissionCases(b) {
		b.Run(c.name, func(b *testing.B) { benchHandler(b, c) })
	}
}

// BenchmarkOSCSize measures the OSC webhook on OSCs of a gVisor pool with more and more other files and units.
func BenchmarkOSCSize(b *testing.B) {
	h, cluster := oscHandler(b)
	for _, size := range []int{10 << 10, 100 << 10, 1 << 20, 2 << 20} {
		osc := samples.OSC("worker-gvisor", bench.GVisorPool)
		osc.Namespace = cluster.Name
		padOSC(osc, size)
		review := reviewOf(b, osc, "OperatingSystemConfig", extensionsv1alpha1.SchemeGroupVersion.WithResource("operatingsystemconfigs"))
		b.Run(fmt.Sprintf("size=%dKiB", size>>10), func(b *testing.B) {
			ns := benchHandler(b, handlerCase{handler: h, path: oscmutator.Path, review: review, want: patched})
			b.ReportMetric(ns/float64(len(review)>>10), "ns/KiB")
		})
	}
}

// BenchmarkShootPools measures the Shoot validation of a Shoot with more and more sandbox pools (gVisor and Kata
// alternating, each with a providerConfig).
func BenchmarkShootPools(b *testing.B) {
	rt, _ := runtimes.ByType(gvisor.Type)
	h := &admission.Webhook{Handler: shootvalidator.NewHandler(rt, runtimes.All(), nil, nil)}
	for _, pools := range []int{1, 10, 50, 100} {
		review := reviewOf(b, shootWithPools(pools), "Shoot", gardencorev1beta1.SchemeGroupVersion.WithResource("shoots"))
		b.Run(fmt.Sprintf("pools=%d", pools), func(b *testing.B) {
			ns := benchHandler(b, handlerCase{handler: h, path: shootvalidator.Path(gvisor.Type), review: review, want: allowed})
			b.ReportMetric(ns/float64(pools), "ns/pool")
		})
	}
}

// benchHandler measures c and returns its time per review in ns.
func benchHandler(b *testing.B, c handlerCase) float64 {
	serve := func(h http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, c.path, bytes.NewReader(c.review))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	checkAnswer(b, serve(c.handler), c.want)

	b.ReportAllocs()
	n := 0
	start := time.Now()
	for b.Loop() {
		serve(c.handler)
		n++
	}
	elapsed := time.Since(start)
	noopStart := time.Now()
	for range n {
		serve(noop)
	}
	b.ReportMetric(float64(elapsed)/float64(time.Since(noopStart)), "x-noop")
	return float64(elapsed.Nanoseconds()) / float64(n)
}

func checkAnswer(b *testing.B, rec *httptest.ResponseRecorder, want answer) {
	b.Helper()
	review := &admissionv1.AdmissionReview{}
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), review); err != nil {
		b.Fatal(err)
	}
	switch r := review.Response; {
	case r == nil || !r.Allowed:
		b.Fatalf("not allowed: %s", rec.Body)
	case want == patched && len(r.Patch) == 0:
		b.Fatalf("no patch: %s", rec.Body)
	case want == allowed && len(r.Patch) != 0:
		b.Fatalf("unexpected patch: %s", r.Patch)
	}
}

func admissionCases(b *testing.B) []handlerCase {
	podResource := corev1.SchemeGroupVersion.WithResource("pods")
	annotated := bench.Pod("web-0", "shop", true)
	inClass := bench.Pod("web-0", "shop", true)
	inClass.Spec.RuntimeClassName = new(bench.SandboxClass)
	inClass.Spec.NodeSelector = map[string]string{"containerruntime.worker.gardener.cloud/gvisor": "true"}
	plain := bench.Pod("web-0", "shop", false)
	paths := podPaths(b)

	oscH, cluster := oscHandler(b)
	oscOf := func(pool string) []byte {
		osc := samples.OSC("worker-"+pool, pool)
		osc.Namespace = cluster.Name
		return reviewOf(b, osc, "OperatingSystemConfig", extensionsv1alpha1.SchemeGroupVersion.WithResource("operatingsystemconfigs"))
	}

	shoot, err := samples.Shoot()
	if err != nil {
		b.Fatal(err)
	}
	rt, _ := runtimes.ByType(gvisor.Type)
	shootH := &admission.Webhook{Handler: shootvalidator.NewHandler(rt, runtimes.All(), nil, nil)}

	pod := func(p any) []byte {
		return reviewOf(b, p, "Pod", podResource)
	}
	return []handlerCase{
		{name: "noop", handler: noop, path: "/noop", review: pod(annotated), want: allowed},
		{name: "pod-annotated", handler: podwebhook.NewHandler(), path: paths["annotated"], review: pod(annotated), want: patched},
		{name: "pod-annotated-in-class", handler: podwebhook.NewHandler(), path: paths["annotated"], review: pod(inClass), want: allowed},
		{name: "pod-namespace", handler: podwebhook.NewHandler(), path: paths["namespace-gvisor"], review: pod(plain), want: patched},
		{name: "pod-enforce", handler: podwebhook.NewHandler(), path: paths["enforce-gvisor"], review: pod(inClass), want: allowed},
		{name: "osc-gvisor", handler: oscH, path: oscmutator.Path, review: oscOf(bench.GVisorPool), want: patched},
		{name: "osc-plain-pool", handler: oscH, path: oscmutator.Path, review: oscOf("system"), want: allowed},
		{name: "shoot-gvisor-kata", handler: shootH, path: shootvalidator.Path(gvisor.Type), review: reviewOf(b, shoot, "Shoot", gardencorev1beta1.SchemeGroupVersion.WithResource("shoots")), want: allowed},
	}
}

// podPaths returns the serving path of each entry of the sample Shoot's pod webhook configurations, by the entry's
// name up to its first dot (annotated, namespace-gvisor, enforce-gvisor, ...).
func podPaths(b *testing.B) map[string]string {
	shoot, err := samples.Shoot()
	if err != nil {
		b.Fatal(err)
	}
	mutating, validating := podwebhook.ShootConfigs(podwebhook.Shoot{Offer: mutatorpod.OfferOf(runtimes.OfferedByPool(shoot)...), Version: podwebhook.VersionOf(shoot.Spec.Kubernetes.Version)}, func(path string) admissionregistrationv1.WebhookClientConfig {
		return admissionregistrationv1.WebhookClientConfig{URL: &path}
	})
	paths := map[string]string{}
	for _, wh := range mutating.Webhooks {
		paths[strings.SplitN(wh.Name, ".", 2)[0]] = *wh.ClientConfig.URL
	}
	for _, wh := range validating.Webhooks {
		paths[strings.SplitN(wh.Name, ".", 2)[0]] = *wh.ClientConfig.URL
	}
	return paths
}

// reviewOf is the AdmissionReview of creating obj, as kube-apiserver sends it (here for a ReplicaSet's pod, or
// gardenlet's and a user's objects alike).
func reviewOf(b *testing.B, obj any, kind string, resource schema.GroupVersionResource) []byte {
	raw, err := json.Marshal(obj)
	if err != nil {
		b.Fatal(err)
	}
	meta := &metav1.PartialObjectMetadata{}
	if err := json.Unmarshal(raw, meta); err != nil {
		b.Fatal(err)
	}
	gvr := metav1.GroupVersionResource{Group: resource.Group, Version: resource.Version, Resource: resource.Resource}
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "3bb1b1f4-0b0e-4a43-9a7c-6c2b0c1a5f11",
			Kind:      metav1.GroupVersionKind{Group: gvr.Group, Version: gvr.Version, Kind: kind},
			Resource:  gvr,
			Name:      meta.Name,
			Namespace: meta.Namespace,
			Operation: admissionv1.Create,
			UserInfo: authenticationv1.UserInfo{
				Username: "system:serviceaccount:kube-system:replicaset-controller",
				UID:      "0e1f8a2c-7d55-4a0b-8f61-2f1d0c9b3a77",
				Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
			},
			Object:  runtime.RawExtension{Raw: raw},
			DryRun:  new(false),
			Options: runtime.RawExtension{Raw: []byte(`{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}`)},
		},
	}
	data, err := json.Marshal(review)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// oscHandler returns the OSC webhook's handler as Gardener's webhook library builds it, reading the Clusters from
// a reader that holds them as the seed component's cache does (transformed) and copies them as it does, and the
// realistic Cluster it holds.
func oscHandler(b *testing.B) (http.Handler, *extensionsv1alpha1.Cluster) {
	cluster, err := bench.RealisticCluster(0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := seedapp.TrimCluster(cluster); err != nil {
		b.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := extensionsv1alpha1.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	wh, err := oscmutator.New(fakeManager{scheme: scheme, client: cachedClusters{clusters: map[string]*extensionsv1alpha1.Cluster{cluster.Name: cluster}}}, runtimes.All())
	if err != nil {
		b.Fatal(err)
	}
	return wh.Webhook, cluster
}

// fakeManager is what Gardener's webhook library reads from a manager to build a handler.
type fakeManager struct {
	manager.Manager
	scheme *runtime.Scheme
	client client.Client
}

func (m fakeManager) GetScheme() *runtime.Scheme { return m.scheme }
func (m fakeManager) GetClient() client.Client   { return m.client }

// cachedClusters reads Clusters as the manager's cache does: a deep copy of the object it holds.
type cachedClusters struct {
	client.Client
	clusters map[string]*extensionsv1alpha1.Cluster
}

func (c cachedClusters) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	cluster, ok := c.clusters[key.Name]
	target, isCluster := obj.(*extensionsv1alpha1.Cluster)
	if !ok || !isCluster {
		return fmt.Errorf("no %T %s", obj, key)
	}
	cluster.DeepCopyInto(target)
	return nil
}

// padOSC adds files and units to osc, as other extensions' mutations and gardenlet do, until its JSON has about
// size bytes.
func padOSC(osc *extensionsv1alpha1.OperatingSystemConfig, size int) {
	content := strings.Repeat("# configuration line of another component\n", 100) // 4.3 KB
	raw, _ := json.Marshal(osc)
	for i, n := 0, len(raw); n < size; i++ {
		var item any
		if i%4 == 3 {
			unit := extensionsv1alpha1.Unit{Name: fmt.Sprintf("component-%d.service", i), Command: new(extensionsv1alpha1.CommandStart), Enable: new(true), Content: new(content)}
			osc.Spec.Units = append(osc.Spec.Units, unit)
			item = unit
		} else {
			file := extensionsv1alpha1.File{Path: fmt.Sprintf("/etc/component-%d/config", i), Permissions: new(uint32(0o644)),
				Content: extensionsv1alpha1.FileContent{Inline: &extensionsv1alpha1.FileContentInline{Encoding: "b64", Data: base64.StdEncoding.EncodeToString([]byte(content))}}}
			osc.Spec.Files = append(osc.Spec.Files, file)
			item = file
		}
		data, _ := json.Marshal(item)
		n += len(data) + 1
	}
}

// shootWithPools is a Shoot with pools sandbox pools, gVisor and Kata alternating, each with a providerConfig.
func shootWithPools(pools int) *gardencorev1beta1.Shoot {
	shoot := &gardencorev1beta1.Shoot{
		TypeMeta:   metav1.TypeMeta{APIVersion: gardencorev1beta1.SchemeGroupVersion.String(), Kind: "Shoot"},
		ObjectMeta: metav1.ObjectMeta{Name: "pools", Namespace: "garden-local"},
		Spec:       gardencorev1beta1.ShootSpec{Region: "local", Kubernetes: gardencorev1beta1.Kubernetes{Version: "1.36.0"}},
	}
	for i := range pools {
		rt := gardencorev1beta1.ContainerRuntime{Type: "gvisor", ProviderConfig: &runtime.RawExtension{Raw: []byte(`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"net-raw":"true","debug":"false"}}`)}}
		if i%2 == 1 {
			rt = gardencorev1beta1.ContainerRuntime{Type: "kata", ProviderConfig: &runtime.RawExtension{Raw: []byte(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["qemu","clh"]}`)}}
		}
		shoot.Spec.Provider.Workers = append(shoot.Spec.Provider.Workers, gardencorev1beta1.Worker{
			Name:    fmt.Sprintf("pool-%d", i),
			Machine: gardencorev1beta1.Machine{Type: "local-small", Image: &gardencorev1beta1.ShootMachineImage{Name: "gardenlinux", Version: new("1877.0.0")}},
			Minimum: 1, Maximum: 3,
			CRI: &gardencorev1beta1.CRI{Name: gardencorev1beta1.CRINameContainerD, ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{rt}},
		})
	}
	return shoot
}
