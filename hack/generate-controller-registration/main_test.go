package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	gardencorev1 "github.com/gardener/gardener/pkg/apis/core/v1"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

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

	It("matches example/controller-registration.yaml", func() {
		committed, err := fs.ReadFile(example.Manifests, "controller-registration.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(committed)).To(Equal(string(generated)),
			"example/controller-registration.yaml is stale: run `make generate-controller-registration` and commit the result")
	})

	It("generates the same bytes every time", func() {
		again, err := generate()
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(Equal(generated))
	})

	It("generates a ControllerDeployment carrying the seed chart, then the ControllerRegistration of the runtime types referring to it", func() {
		scheme := runtime.NewScheme()
		utilruntime.Must(gardencorev1.AddToScheme(scheme))
		utilruntime.Must(gardencorev1beta1.AddToScheme(scheme))
		decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(generated)))
		var docs [][]byte
		for {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			Expect(err).NotTo(HaveOccurred())
			docs = append(docs, doc)
		}
		Expect(docs).To(HaveLen(2))

		obj, _, err := decoder.Decode(docs[0], nil, nil)
		Expect(err).NotTo(HaveOccurred())
		deployment, ok := obj.(*gardencorev1.ControllerDeployment)
		Expect(ok).To(BeTrue(), "the first document is a core.gardener.cloud/v1 ControllerDeployment, got %T", obj)
		Expect(deployment.Name).To(Equal(name))
		Expect(deployment.Helm).NotTo(BeNil())
		Expect(deployment.Helm.OCIRepository).To(BeNil())
		archive, err := charts.Archive(charts.ExtensionChartPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(deployment.Helm.RawChart).To(Equal(archive))
		chart, err := loader.LoadArchive(bytes.NewReader(deployment.Helm.RawChart))
		Expect(err).NotTo(HaveOccurred())
		Expect(chart.Metadata.Name).To(Equal(charts.ExtensionChartPath))

		obj, _, err = decoder.Decode(docs[1], nil, nil)
		Expect(err).NotTo(HaveOccurred())
		registration, ok := obj.(*gardencorev1beta1.ControllerRegistration)
		Expect(ok).To(BeTrue(), "the second document is a ControllerRegistration, got %T", obj)
		Expect(registration.Name).To(Equal(name))
		var types []string
		for _, r := range registration.Spec.Resources {
			Expect(r.Kind).To(Equal("ContainerRuntime"))
			types = append(types, r.Type)
		}
		Expect(types).To(Equal(runtimes.Types()))
		Expect(registration.Spec.Deployment.DeploymentRefs).To(ConsistOf(gardencorev1beta1.DeploymentRef{Name: deployment.Name}))
	})

	It("writes the file given by --output", func() {
		output := filepath.Join(GinkgoT().TempDir(), "controller-registration.yaml")
		Expect(run(output)).To(Succeed())
		Expect(os.ReadFile(output)).To(Equal(generated))
	})
})
