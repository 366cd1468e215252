package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/oscmutator"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/shootvalidator"
)

// Outcomes of an admission request.
const (
	allowed    = "allowed"
	denied     = "denied"
	badRequest = "bad request"
	// serverError is a transport error, an HTTP status other than 200, an answer that is no AdmissionReview or a
	// result code of 500 or more.
	serverError = "server error"
)

// request is one admission request of the mix.
type request struct {
	name    string
	seed    bool // served by the seed component, else by the admission component
	path    string
	body    []byte
	outcome string
}

type tlsClient struct{ http *http.Client }

func newClient(cfg *tls.Config) *tlsClient {
	return &tlsClient{http: &http.Client{
		Timeout:   10 * time.Second, // the webhooks' own timeout
		Transport: &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 16},
	}}
}

func (r request) target(seed, admission *component) *component {
	if r.seed {
		return seed
	}
	return admission
}

// result is what came of one request.
type result struct {
	outcome string
	detail  string
}

// send posts the request to its component's webhook server and classifies the answer.
func (r request) send(ctx context.Context, c *tlsClient, base string) result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+r.path, bytes.NewReader(r.body))
	if err != nil {
		return result{serverError, err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return result{} // the soak ended while the request was under way
		}
		return result{serverError, err.Error()}
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{serverError, err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return result{serverError, fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, out)}
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(out, &review); err != nil || review.Response == nil {
		return result{serverError, fmt.Sprintf("no AdmissionReview: %.200s", out)}
	}
	if review.Response.Allowed {
		return result{allowed, ""}
	}
	code, message := int32(http.StatusForbidden), ""
	if res := review.Response.Result; res != nil {
		message = res.Message
		if res.Code != 0 {
			code = res.Code
		}
	}
	switch {
	case code >= 500 || strings.Contains(message, "[recovered]"):
		return result{serverError, fmt.Sprintf("%d: %.200s", code, message)}
	case code == http.StatusBadRequest:
		return result{badRequest, message}
	}
	return result{denied, message}
}

// requests returns the mix: valid and invalid requests of the Shoot, OSC and pod webhooks.
func requests() ([]request, error) {
	shoot, err := samples.Shoot()
	if err != nil {
		return nil, err
	}
	shoot.APIVersion, shoot.Kind = "core.gardener.cloud/v1beta1", "Shoot"
	valid, err := json.Marshal(shoot)
	if err != nil {
		return nil, err
	}
	withGVisorConfig := func(raw string) []byte {
		s := shoot.DeepCopy()
		s.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(raw)}
		out, _ := json.Marshal(s)
		return out
	}
	const gvisorAPI = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`
	unknownFlag := withGVisorConfig(`{` + gvisorAPI + `,"configFlags":{"host-uds":"all","debug":true}}`)
	large := withGVisorConfig(`{` + gvisorAPI + `,"configFlags":{"debug":"` + strings.Repeat("x", 64*1024) + `"}}`)
	shootKind := metav1.GroupVersionKind{Group: "core.gardener.cloud", Version: "v1beta1", Kind: "Shoot"}
	shootResource := metav1.GroupVersionResource{Group: "core.gardener.cloud", Version: "v1beta1", Resource: "shoots"}

	osc := func(namespace, pool string) []byte {
		o := samples.OSC("worker-"+pool, pool)
		o.Namespace = namespace
		o.APIVersion, o.Kind = extensionsv1alpha1.SchemeGroupVersion.String(), "OperatingSystemConfig"
		out, _ := json.Marshal(o)
		return out
	}
	oscKind := metav1.GroupVersionKind{Group: "extensions.gardener.cloud", Version: "v1alpha1", Kind: "OperatingSystemConfig"}
	oscResource := metav1.GroupVersionResource{Group: "extensions.gardener.cloud", Version: "v1alpha1", Resource: "operatingsystemconfigs"}

	podKind := metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	podResource := metav1.GroupVersionResource{Version: "v1", Resource: "pods"}
	pod := func(annotations, spec string) []byte {
		return []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","annotations":` + annotations +
			`},"spec":{"containers":[{"name":"c","image":"busybox"` + spec + `}]` + `}}`)
	}
	offer := mutatorpod.Offer{Classes: []string{"gvisor", "kata-qemu"}}
	version := podwebhook.VersionOf("1.36.0")
	annotatedPath := podwebhook.Target{Version: version, Offer: offer, Mode: podwebhook.ModeAnnotated}.Path()
	enforcePath := podwebhook.Target{Version: version, Offer: offer, Mode: podwebhook.ModeEnforce, Class: "gvisor", Level: apipod.LevelRestricted}.Path()
	gvisorPod := pod(`{"runtime.gardener.cloud/sandbox":"gvisor"}`, "")

	mix := []request{
		{name: "shoot valid (gvisor webhook)", path: shootvalidator.Path("gvisor"), body: review(shootKind, shootResource, admissionv1.Create, valid, nil), outcome: allowed},
		{name: "shoot valid (kata webhook, reads the CloudProfile)", path: shootvalidator.Path("kata"), body: review(shootKind, shootResource, admissionv1.Create, valid, nil), outcome: allowed},
		{name: "shoot with an unknown flag and a boolean", path: shootvalidator.Path("gvisor"), body: review(shootKind, shootResource, admissionv1.Create, unknownFlag, nil), outcome: denied},
		{name: "shoot update to a 64 KiB flag value", path: shootvalidator.Path("kata"), body: review(shootKind, shootResource, admissionv1.Update, large, valid), outcome: denied},
		{name: "shoot that is no object", path: shootvalidator.Path("gvisor"), body: review(shootKind, shootResource, admissionv1.Create, []byte(`[1,2]`), nil), outcome: badRequest},
		{name: "OSC of the gvisor pool", seed: true, path: oscmutator.Path, body: review(oscKind, oscResource, admissionv1.Create, osc(samples.ShootNamespace, "gvisor"), nil), outcome: allowed},
		{name: "OSC of the kata pool", seed: true, path: oscmutator.Path, body: review(oscKind, oscResource, admissionv1.Create, osc(samples.ShootNamespace, "kata"), nil), outcome: allowed},
		{name: "OSC of the plain pool", seed: true, path: oscmutator.Path, body: review(oscKind, oscResource, admissionv1.Create, osc(samples.ShootNamespace, "plain"), nil), outcome: allowed},
		{name: "OSC in a namespace without Cluster", seed: true, path: oscmutator.Path, body: review(oscKind, oscResource, admissionv1.Create, osc("shoot--no--cluster", "gvisor"), nil), outcome: denied},
		{name: "pod annotated for gVisor", seed: true, path: annotatedPath, body: review(podKind, podResource, admissionv1.Create, gvisorPod, nil), outcome: allowed},
		{name: "pod with a contradicting node selector", seed: true, path: annotatedPath,
			body: review(podKind, podResource, admissionv1.Create, []byte(strings.Replace(string(gvisorPod), `"spec":{`, `"spec":{"nodeSelector":{"containerruntime.worker.gardener.cloud/gvisor":"false"},`, 1)), nil), outcome: denied},
		{name: "privileged pod in a restricted namespace", seed: true, path: enforcePath,
			body: review(podKind, podResource, admissionv1.Create, pod(`{"runtime.gardener.cloud/sandbox":"gvisor"}`, `,"securityContext":{"privileged":true}`), nil), outcome: denied},
		{name: "pod to a path no shoot builds", seed: true, path: podwebhook.PathPrefix + "v1.36/gvisor/defaulting", body: review(podKind, podResource, admissionv1.Create, gvisorPod, nil), outcome: badRequest},
		{name: "pod webhook body that is no JSON", seed: true, path: annotatedPath, body: []byte("{not json"), outcome: badRequest},
	}
	return mix, nil
}

// review returns an AdmissionReview as an API server sends it.
func review(kind metav1.GroupVersionKind, resource metav1.GroupVersionResource, op admissionv1.Operation, obj, old []byte) []byte {
	out, _ := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "soak", Kind: kind, Resource: resource, Operation: op, Name: "soak", Namespace: "default",
			Object: runtime.RawExtension{Raw: obj}, OldObject: runtime.RawExtension{Raw: old},
		},
	})
	return out
}

// stats counts the answers.
type stats struct {
	total, serverErrors, unexpected, dropped atomic.Int64
	byRequest                                []atomic.Int64
	firstProblem                             atomic.Pointer[string]
}

func (s *stats) record(i int, r result, expected string) {
	if r.outcome == "" {
		return
	}
	s.total.Add(1)
	s.byRequest[i].Add(1)
	problem := ""
	switch {
	case r.outcome == serverError:
		s.serverErrors.Add(1)
		problem = "server error: " + r.detail
	case r.outcome != expected:
		s.unexpected.Add(1)
		problem = fmt.Sprintf("%s instead of %s: %s", r.outcome, expected, r.detail)
	}
	if problem != "" {
		s.firstProblem.CompareAndSwap(nil, &problem)
	}
}

// waitUntilReady sends every request until each answers as expected: the webhook servers are up and their caches
// hold the Cluster and the CloudProfile.
func waitUntilReady(ctx context.Context, reqs []request, clients map[*component]*tlsClient, seed, admission *component) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, r := range reqs {
		c := r.target(seed, admission)
		for {
			res := r.send(ctx, clients[c], c.url)
			if res.outcome == r.outcome {
				break
			}
			select {
			case err := <-c.exited:
				return fmt.Errorf("the %s component exited: %v (log: %s)", c.name, err, c.logFile.Name())
			case <-ctx.Done():
				return fmt.Errorf("%s: %s instead of %s: %s", r.name, res.outcome, r.outcome, res.detail)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// report prints the figures and returns an error for server errors, unexpected answers or unbounded growth.
func report(st *stats, reqs []request, samples map[string][]sample, took time.Duration) error {
	fmt.Printf("\n%d requests in %v (%.0f/s), %d server errors, %d unexpected answers, %d ticks dropped (clients behind)\n",
		st.total.Load(), took.Round(time.Second), float64(st.total.Load())/took.Seconds(), st.serverErrors.Load(), st.unexpected.Load(), st.dropped.Load())
	for i, r := range reqs {
		fmt.Printf("  %6d  %-10s %s\n", st.byRequest[i].Load(), r.outcome, r.name)
	}
	var problems []string
	if p := st.firstProblem.Load(); p != nil {
		problems = append(problems, fmt.Sprintf("%d server errors and %d unexpected answers, the first: %s", st.serverErrors.Load(), st.unexpected.Load(), *p))
	}
	fmt.Println("\ncomponent   measure          start      peak       end")
	for _, name := range []string{"seed", "admission"} {
		s := samples[name]
		measures := []struct {
			name string
			unit string
			of   func(sample) float64
		}{
			{"RSS", "MiB", func(x sample) float64 { return float64(x.rssKiB) / 1024 }},
			{"open fds", "", func(x sample) float64 { return float64(x.fds) }},
			{"goroutines", "", func(x sample) float64 { return float64(x.goroutines) }},
		}
		for _, m := range measures {
			values := make([]float64, len(s))
			for i, x := range s {
				values[i] = m.of(x)
			}
			fmt.Printf("%-11s %-12s %8.1f  %8.1f  %8.1f %s\n", name, m.name, values[0], slices.Max(values), values[len(values)-1], m.unit)
			if err := checkGrowth(values); err != nil {
				problems = append(problems, fmt.Sprintf("%s %s: %v", name, m.name, err))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// checkGrowth fails for a measure that keeps growing: the mean of the last quarter of the samples more than 1.5
// times (plus a small constant for the counters' noise) the mean of the second quarter, after the warm-up. Caches,
// connection pools and the Go heap level off under a steady load; a leak does not.
func checkGrowth(values []float64) error {
	if len(values) < 8 {
		return nil
	}
	q := len(values) / 4
	mean := func(v []float64) float64 {
		sum := 0.0
		for _, x := range v {
			sum += x
		}
		return sum / float64(len(v))
	}
	warm, end := mean(values[q:2*q]), mean(values[len(values)-q:])
	if end > 1.5*warm+20 {
		return fmt.Errorf("grew from %.1f (second quarter) to %.1f (last quarter)", warm, end)
	}
	return nil
}
