package charts_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/version"
	vpaautoscalingv1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"github.com/gardener/gardener/pkg/chartrenderer"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
)

// renderer renders charts as gardenlet does for a seed of this Kubernetes version.
var renderer = chartrenderer.NewWithServerVersion(&version.Info{GitVersion: "v1.34.3", Major: "1", Minor: "34"})

// decoder decodes the rendered manifests strictly: an unknown or duplicate field fails, so that a misspelt field in
// a template does not go unnoticed.
var decoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(vpaautoscalingv1.AddToScheme(scheme))
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// objects are the objects of a rendered chart by "<Kind>/<name>".
type objects map[string]client.Object

// keys returns the keys of objs, sorted.
func (objs objects) keys() []string {
	keys := make([]string, 0, len(objs))
	for k := range objs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// render renders the chart in chartPath of charts.Charts into namespace with values and decodes every manifest.
func render(chartPath, namespace string, values map[string]any) objects {
	GinkgoHelper()
	chart, err := renderer.RenderEmbeddedFS(charts.Charts, chartPath, "runtime-sandbox", namespace, values)
	Expect(err).NotTo(HaveOccurred())
	return decodeManifests(chart)
}

// decodeManifests decodes every manifest of a rendered chart into a typed object.
func decodeManifests(chart *chartrenderer.RenderedChart) objects {
	GinkgoHelper()
	objs := objects{}
	for _, manifest := range chart.Manifests {
		obj, gvk, err := decoder.Decode([]byte(manifest.Content), nil, nil)
		Expect(err).NotTo(HaveOccurred(), "decoding %s", manifest.Name)
		o, ok := obj.(client.Object)
		Expect(ok).To(BeTrue(), "%s is no object", manifest.Name)
		key := gvk.Kind + "/" + o.GetName()
		Expect(objs).NotTo(HaveKey(key), "%s twice", key)
		objs[key] = o
	}
	return objs
}

// get returns the object kind/name of objs as a T.
func get[T client.Object](objs objects, kind, name string) T {
	GinkgoHelper()
	key := kind + "/" + name
	Expect(objs).To(HaveKey(key))
	obj, ok := objs[key].(T)
	Expect(ok).To(BeTrue(), "%s is a %T", key, objs[key])
	return obj
}

// container returns the only container of a Deployment.
func container(deployment *appsv1.Deployment) corev1.Container {
	GinkgoHelper()
	Expect(deployment.Spec.Template.Spec.Containers).To(HaveLen(1))
	return deployment.Spec.Template.Spec.Containers[0]
}

// gardenletValues are the values gardenlet mixes into the values of an extension chart it deploys into a seed.
func gardenletValues() map[string]any {
	seed := &gardencorev1beta1.Seed{Spec: gardencorev1beta1.SeedSpec{
		Provider: gardencorev1beta1.SeedProvider{Type: "local", Region: "local", Zones: []string{"a", "b", "c"}},
		Networks: gardencorev1beta1.SeedNetworks{Pods: "10.1.0.0/16", Services: "10.2.0.0/16"},
		Settings: &gardencorev1beta1.SeedSettings{Scheduling: &gardencorev1beta1.SeedSettingScheduling{Visible: true}},
	}}
	spec := map[string]any{}
	raw, err := json.Marshal(seed.Spec)
	utilruntime.Must(err)
	utilruntime.Must(json.Unmarshal(raw, &spec))
	return map[string]any{"gardener": map[string]any{
		"version":   "v1.149.3",
		"garden":    map[string]any{"clusterIdentity": "garden"},
		"gardenlet": map[string]any{"featureGates": map[string]any{"DefaultSeccompProfile": true}},
		"seed": map[string]any{
			"name":            "local",
			"clusterIdentity": "seed-local",
			"annotations":     map[string]any{},
			"labels":          map[string]any{"seed.gardener.cloud/gardenlet": "true"},
			"provider":        "local",
			"region":          "local",
			"volumeProvider":  "",
			"volumeProviders": nil,
			"protected":       false,
			"visible":         true,
			"taints":          nil,
			"networks":        spec["networks"],
			"blockCIDRs":      nil,
			"spec":            spec,
		},
	}}
}

// serviceAccountSubject is the subject of the ServiceAccount name in namespace.
func serviceAccountSubject(name, namespace string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: namespace}
}

// networkPolicyPorts is the value of a networking.resources.gardener.cloud annotation allowing a TCP port.
func networkPolicyPorts(port int) string {
	return fmt.Sprintf(`[{"protocol":"TCP","port":%d}]`, port)
}

// chartAppVersion returns the appVersion of the chart in chartPath, the default tag of its images.
func chartAppVersion(chartPath string) string {
	GinkgoHelper()
	data, err := fs.ReadFile(charts.Charts, chartPath+"/Chart.yaml")
	Expect(err).NotTo(HaveOccurred())
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	Expect(yaml.Unmarshal(data, &chart)).To(Succeed())
	Expect(chart.AppVersion).NotTo(BeEmpty())
	return chart.AppVersion
}
