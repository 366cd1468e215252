package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	operatorv1alpha1 "github.com/gardener/gardener/pkg/apis/operator/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
	"github.com/gardener/gardener-extension-runtime-sandbox/example"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

var _ = Describe("generate", func() {
	var generated []byte

	BeforeEach(func() {
		var err error
		generated, err = generate()
		Expect(err).NotTo(HaveOccurred())
	})

	It("matches example/extension.yaml", func() {
		committed, err := fs.ReadFile(example.Manifests, "extension.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(committed)).To(Equal(string(generated)),
			"example/extension.yaml is stale: run `make generate-extension` and commit the result")
	})

	It("generates an Extension for the runtime types, referring to the three charts in the extension's version", func() {
		scheme := runtime.NewScheme()
		utilruntime.Must(operatorv1alpha1.AddToScheme(scheme))
		obj, _, err := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer().Decode(generated, nil, nil)
		Expect(err).NotTo(HaveOccurred())
		extension, ok := obj.(*operatorv1alpha1.Extension)
		Expect(ok).To(BeTrue(), "an operator.gardener.cloud/v1alpha1 Extension, got %T", obj)

		var types []string
		for _, r := range extension.Spec.Resources {
			Expect(r.Kind).To(Equal("ContainerRuntime"))
			types = append(types, r.Type)
		}
		Expect(types).To(Equal(runtimes.Types()))

		version, err := os.ReadFile("../../VERSION")
		Expect(err).NotTo(HaveOccurred())
		tag := ":" + strings.TrimSpace(string(version))
		d := extension.Spec.Deployment
		for ref, chartPath := range map[*string]string{
			d.ExtensionDeployment.Helm.OCIRepository.Ref:                charts.ExtensionChartPath,
			d.AdmissionDeployment.RuntimeCluster.Helm.OCIRepository.Ref: charts.AdmissionRuntimeChartPath,
			d.AdmissionDeployment.VirtualCluster.Helm.OCIRepository.Ref: charts.AdmissionApplicationChartPath,
		} {
			name, err := charts.ChartName(chartPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(*ref).To(Equal(ChartRepository+"/"+name+tag), "the chart %s in the extension's version (VERSION)", chartPath)
		}
	})

	It("packages the three charts as Helm loads them, named and versioned as their references", func() {
		dir := GinkgoT().TempDir()
		Expect(run("", dir)).To(Succeed())
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(len(Charts)))
		for _, chartPath := range Charts {
			ref, err := Ref(chartPath)
			Expect(err).NotTo(HaveOccurred())
			name, version, _ := strings.Cut(strings.TrimPrefix(ref, ChartRepository+"/"), ":")
			data, err := os.ReadFile(filepath.Join(dir, name+"-"+version+".tgz"))
			Expect(err).NotTo(HaveOccurred())
			chart, err := loader.LoadArchive(bytes.NewReader(data))
			Expect(err).NotTo(HaveOccurred())
			Expect(chart.Validate()).To(Succeed())
			Expect(chart.Metadata.Name).To(Equal(name))
			Expect(chart.Metadata.Version).To(Equal(version))
			Expect(chart.Dependencies()).To(BeEmpty(), "a part is a chart of its own")
		}
	})

	It("writes the file given by --output", func() {
		output := filepath.Join(GinkgoT().TempDir(), "extension.yaml")
		Expect(run(output, "")).To(Succeed())
		Expect(os.ReadFile(output)).To(Equal(generated))
	})
})
