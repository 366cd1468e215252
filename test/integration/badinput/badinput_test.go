package badinput_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// Case is one line of testdata/cases.yaml: a bad (or odd) input for one webhook family and what must come of it.
type Case struct {
	// Family is the webhook family: shoot (a Shoot through gardener-apiserver), osc (an OperatingSystemConfig through
	// kube-apiserver), pod (a Pod through kube-apiserver) or webhook (an HTTPS request straight to the seed
	// component's webhook server, as no API server would send it).
	Family string `json:"family"`
	// Name says what is bad about the input.
	Name string `json:"name"`
	// GVisor and Kata are the raw text of the gVisor and Kata pools' providerConfig of the sample Shoot (nil keeps the
	// sample's): what a shoot case sends, or for an osc case what the Cluster carries as stored.
	GVisor *string `json:"gvisor,omitempty"`
	Kata   *string `json:"kata,omitempty"`
	// Generate replaces the gVisor providerConfig with a generated one: nested:<depth> (arrays nested in an unknown
	// field), longvalue:<bytes> (a flag value of that size), manykeys:<count> (that many unknown flags).
	Generate string `json:"generate,omitempty"`
	// Pool is the worker pool of an osc case's OSC (default gvisor).
	Pool string `json:"pool,omitempty"`
	// Plugins is the raw JSON list of containerd plugin entries an osc case's OSC already has.
	Plugins string `json:"plugins,omitempty"`
	// Annotations (a raw JSON object) and Spec (a raw JSON pod spec; a default container is added when it has none)
	// make a pod case's pod; NamespaceLabels, when set, put it in a new namespace with these labels.
	Annotations     string            `json:"annotations,omitempty"`
	Spec            string            `json:"spec,omitempty"`
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// Path and Body are a webhook case's request path below the server's URL and its body (default: an
	// AdmissionReview of an annotated pod).
	Path string  `json:"path,omitempty"`
	Body *string `json:"body,omitempty"`
	// Expect is allowed, refused (by a webhook, naming what Contains lists) or malformed (a 4xx for a request that is
	// not well-formed, from whichever server saw it first).
	Expect string `json:"expect"`
	// Contains are fragments the refusal must contain, or for an allowed case the object as stored (inline files
	// decoded).
	Contains []string `json:"contains,omitempty"`
	// Excludes are fragments an allowed case's object must not contain, e.g. a stored flag that is left out.
	Excludes []string `json:"excludes,omitempty"`
}

// answer is what came of one case.
type answer struct {
	code int
	// text is the refusal message, or the answered object with its inline files decoded.
	text     string
	byServer string
}

// loadCases reads testdata/cases.yaml.
func loadCases() []Case {
	data, err := os.ReadFile(filepath.Join("testdata", "cases.yaml"))
	if err != nil {
		panic(err)
	}
	var cases []Case
	if err := yaml.UnmarshalStrict(data, &cases); err != nil {
		panic(fmt.Errorf("testdata/cases.yaml: %w", err))
	}
	return cases
}

// durations records how long each case's answer took, for the summary after the suite.
var durations = struct {
	sync.Mutex
	byCase map[string]time.Duration
}{byCase: map[string]time.Duration{}}

// callTimeout is the safety limit of one call: the webhooks' own timeout is 10 seconds.
const callTimeout = 30 * time.Second

var _ = Describe("Bad input through the real API servers", func() {
	cases := loadCases()
	var entries []TableEntry
	for _, c := range cases {
		entries = append(entries, Entry(c.Family+": "+c.Name, c))
	}

	DescribeTable("is refused with the field named, answered with a 4xx, or handled as documented; nothing panics",
		func(c Case) {
			start := time.Now()
			a := run(c)
			took := time.Since(start)
			durations.Lock()
			durations.byCase[c.Family+": "+c.Name] = took
			durations.Unlock()
			GinkgoWriter.Printf("answer (%d, %s) in %v: %.300s\n", a.code, a.byServer, took, a.text)

			Expect(a.text).NotTo(ContainSubstring("[recovered]"), "a webhook panicked")
			Expect(a.code).NotTo(BeNumerically(">=", 500), "a server error: %s", a.text)
			switch c.Expect {
			case "allowed":
				Expect(a.code).To(BeNumerically("<", 300), a.text)
			case "refused":
				Expect(a.code).To(BeNumerically(">=", 400), a.text)
				Expect(a.byServer).To(Equal("webhook"), a.text)
			case "malformed":
				Expect(a.code).To(BeNumerically(">=", 400), a.text)
			default:
				Fail("unknown expectation " + c.Expect)
			}
			for _, fragment := range c.Contains {
				Expect(a.text).To(ContainSubstring(fragment))
			}
			for _, fragment := range c.Excludes {
				Expect(a.text).NotTo(ContainSubstring(fragment))
			}
		},
		entries,
	)

	It("has at least 60 cases", func() {
		Expect(len(cases)).To(BeNumerically(">=", 60))
	})
})

var _ = AfterSuite(func() {
	durations.Lock()
	defer durations.Unlock()
	var all []time.Duration
	names := make([]string, 0, len(durations.byCase))
	for name, d := range durations.byCase {
		names = append(names, name)
		all = append(all, d)
	}
	slices.Sort(names)
	for _, name := range names {
		GinkgoWriter.Printf("duration %8.1fms  %s\n", float64(durations.byCase[name].Microseconds())/1000, name)
	}
	if len(all) > 0 {
		slices.Sort(all)
		GinkgoWriter.Printf("durations of %d cases: median %v, max %v\n", len(all), all[len(all)/2], all[len(all)-1])
	}
})

// run sends one case's input and returns the answer.
func run(c Case) answer {
	GinkgoHelper()
	switch c.Family {
	case "shoot":
		return post("/apis/core.gardener.cloud/v1beta1/namespaces/garden-local/shoots", sampleShootJSON(c))
	case "osc":
		ns := oscNamespace(c)
		body := oscBody(c, ns)
		var a answer
		// The webhook reads the Cluster through its cache, which sees a new one shortly after it is created.
		Eventually(func() string {
			a = post("/apis/extensions.gardener.cloud/v1alpha1/namespaces/"+ns+"/operatingsystemconfigs", body)
			return a.text
		}).WithTimeout(30 * time.Second).ShouldNot(ContainSubstring("reading the Cluster"))
		return a
	case "pod":
		ns := podNamespace(c)
		return post("/api/v1/namespaces/"+ns+"/pods", podBody(c))
	case "webhook":
		return direct(c)
	}
	Fail("unknown family " + c.Family)
	return answer{}
}

var counter int

func uniqueName(prefix string) string {
	counter++
	return prefix + "-" + strconv.Itoa(counter)
}

// placeholder marks where a raw providerConfig goes into an encoded object, so that the raw text reaches the API
// server unchanged (duplicate keys, escapes and broken JSON included); clients would normalise it.
func placeholder(name string) []byte { return []byte(`"@@` + name + `@@"`) }

// sampleShootJSON returns the sample Shoot under a fresh name with the case's providerConfigs as raw text.
func sampleShootJSON(c Case) []byte {
	shoot, err := samples.Shoot()
	Expect(err).NotTo(HaveOccurred())
	shoot.Name = uniqueName("bad")
	gvisorConfig := c.GVisor
	if c.Generate != "" {
		generated := generate(c.Generate)
		gvisorConfig = &generated
	}
	replacements := map[string]*string{"GVISOR": gvisorConfig, "KATA": c.Kata}
	for i, name := range []string{"GVISOR", "KATA"} {
		if replacements[name] != nil {
			shoot.Spec.Provider.Workers[i].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: placeholder(name)}
		}
	}
	out, err := json.Marshal(shoot)
	Expect(err).NotTo(HaveOccurred())
	for name, raw := range replacements {
		if raw != nil {
			out = bytes.Replace(out, placeholder(name), []byte(*raw), 1)
		}
	}
	return out
}

// generate returns a generated gVisor providerConfig; see Case.Generate.
func generate(spec string) string {
	kind, arg, _ := strings.Cut(spec, ":")
	n, err := strconv.Atoi(arg)
	Expect(err).NotTo(HaveOccurred(), spec)
	const api = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`
	switch kind {
	case "nested":
		return `{` + api + `,"extra":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	case "longvalue":
		return `{` + api + `,"configFlags":{"debug":"` + strings.Repeat("x", n) + `"}}`
	case "manykeys":
		var b strings.Builder
		b.WriteString(`{` + api + `,"configFlags":{"debug":"true"`)
		for i := range n {
			fmt.Fprintf(&b, `,"flag-%d":"true"`, i)
		}
		b.WriteString(`}}`)
		return b.String()
	}
	Fail("unknown generator " + spec)
	return ""
}

// oscNamespace returns the seed namespace of an osc case: the sample Shoot's, or for a case with stored
// providerConfigs a new one whose Cluster carries them.
func oscNamespace(c Case) string {
	GinkgoHelper()
	if c.GVisor == nil && c.Kata == nil {
		return samples.ShootNamespace
	}
	name := uniqueName("shoot--bad--osc")
	var cluster extensionsv1alpha1.Cluster
	cluster.APIVersion, cluster.Kind = extensionsv1alpha1.SchemeGroupVersion.String(), "Cluster"
	cluster.Name = name
	// What a Cluster stores is what gardener-apiserver stored: JSON, so the raw text goes in as it is.
	template, err := samples.ClusterFor(name, mustShoot())
	Expect(err).NotTo(HaveOccurred())
	cluster.Spec = template.Spec
	cluster.Spec.Shoot = runtime.RawExtension{Raw: sampleShootJSON(c)}
	Expect(land.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	Expect(land.Client.Create(ctx, &cluster)).To(Succeed())
	return name
}

func mustShoot() *gardencorev1beta1.Shoot {
	shoot, err := samples.Shoot()
	Expect(err).NotTo(HaveOccurred())
	return shoot
}

// oscBody returns the sample OSC of the case's pool in namespace ns, with the case's plugin entries.
func oscBody(c Case, ns string) []byte {
	GinkgoHelper()
	pool := c.Pool
	if pool == "" {
		pool = "gvisor"
	}
	o := samples.OSC(uniqueName("bad-osc"), pool)
	o.Namespace = ns
	o.APIVersion, o.Kind = extensionsv1alpha1.SchemeGroupVersion.String(), "OperatingSystemConfig"
	if c.Plugins != "" {
		o.Spec.CRIConfig.Containerd.Plugins = []extensionsv1alpha1.PluginConfig{{Path: []string{"@@PLUGINS@@"}}}
	}
	out, err := json.Marshal(o)
	Expect(err).NotTo(HaveOccurred())
	if c.Plugins != "" {
		out = bytes.Replace(out, []byte(`[{"path":["@@PLUGINS@@"]}]`), []byte(c.Plugins), 1)
	}
	return out
}

// podNamespace returns the namespace of a pod case: default, or a new one with the case's labels.
func podNamespace(c Case) string {
	GinkgoHelper()
	if c.NamespaceLabels == nil {
		return metav1.NamespaceDefault
	}
	name := uniqueName("bad-pods")
	Expect(land.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: c.NamespaceLabels}})).To(Succeed())
	return name
}

// podBody returns the case's pod as raw JSON.
func podBody(c Case) []byte {
	GinkgoHelper()
	annotations := c.Annotations
	if annotations == "" {
		annotations = "{}"
	}
	spec := c.Spec
	if spec == "" {
		spec = "{}"
	}
	if !strings.Contains(spec, `"containers"`) {
		spec = strings.Replace(spec, "{", `{"containers":[{"name":"c","image":"busybox"}],`, 1)
		spec = strings.Replace(spec, ",}", "}", 1)
	}
	return []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"bad-","annotations":` + annotations + `},"spec":` + spec + `}`)
}

// post sends body as a dry-run create to the API server and returns its answer.
func post(path string, body []byte) answer {
	GinkgoHelper()
	httpClient, err := rest.HTTPClientFor(land.Config)
	Expect(err).NotTo(HaveOccurred())
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, strings.TrimSuffix(land.Config.Host, "/")+path+"?dryRun=All", bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	Expect(err).NotTo(HaveOccurred(), "no answer within %v", callTimeout)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	if resp.StatusCode >= 300 {
		var status metav1.Status
		if json.Unmarshal(out, &status) == nil && status.Message != "" {
			by := "apiserver"
			if strings.Contains(status.Message, "admission webhook") {
				by = "webhook"
			}
			return answer{code: resp.StatusCode, text: status.Message, byServer: by}
		}
		return answer{code: resp.StatusCode, text: string(out), byServer: "apiserver"}
	}
	return answer{code: resp.StatusCode, text: withDecodedFiles(out), byServer: "apiserver"}
}

// withDecodedFiles returns an answered object's JSON followed by the decoded content of its inline files.
func withDecodedFiles(obj []byte) string {
	text := string(obj)
	var o extensionsv1alpha1.OperatingSystemConfig
	if json.Unmarshal(obj, &o) == nil {
		for _, f := range o.Spec.Files {
			if f.Content.Inline != nil && f.Content.Inline.Encoding == "b64" {
				if content, err := base64.StdEncoding.DecodeString(f.Content.Inline.Data); err == nil {
					text += "\n" + f.Path + ":\n" + string(content)
				}
			}
		}
	}
	return text
}

// direct sends a webhook case's request straight to the seed component's webhook server over TLS.
func direct(c Case) answer {
	GinkgoHelper()
	caPEM, err := os.ReadFile(filepath.Join(seed.CertDir(), certs.CAFile))
	Expect(err).NotTo(HaveOccurred())
	pool := x509.NewCertPool()
	Expect(pool.AppendCertsFromPEM(caPEM)).To(BeTrue())
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	var body []byte
	if c.Body != nil {
		body = []byte(*c.Body)
	} else {
		body = podReview()
	}
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, seed.URL, bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.URL.Opaque = c.Path // sent as written: no client-side cleaning of the path
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	Expect(err).NotTo(HaveOccurred(), "no answer within %v", callTimeout)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	if resp.StatusCode != http.StatusOK {
		return answer{code: resp.StatusCode, text: string(out), byServer: "server"}
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(out, &review); err != nil || review.Response == nil {
		return answer{code: resp.StatusCode, text: string(out), byServer: "server"}
	}
	if review.Response.Allowed {
		return answer{code: http.StatusOK, text: string(out), byServer: "webhook"}
	}
	code, message := http.StatusForbidden, ""
	if r := review.Response.Result; r != nil {
		message = r.Message
		if r.Code != 0 {
			code = int(r.Code)
		}
	}
	return answer{code: code, text: message, byServer: "webhook"}
}

// podReview returns an AdmissionReview of the CREATE of a pod annotated for gVisor.
func podReview() []byte {
	pod := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","annotations":{"runtime.gardener.cloud/sandbox":"gvisor"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}`)
	out, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Operation: admissionv1.Create, Name: "p", Namespace: "default", Object: runtime.RawExtension{Raw: pod},
		},
	})
	Expect(err).NotTo(HaveOccurred())
	return out
}
