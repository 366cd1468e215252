package charts_test

import (
	"io/fs"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
	"github.com/gardener/gardener-extension-runtime-sandbox/imagevector"
)

var _ = Describe("The charts' images", func() {
	It("are the image vector's, in the extension's version", func() {
		vector, err := imagevector.Read()
		Expect(err).NotTo(HaveOccurred())
		for chartPath, name := range map[string]string{
			charts.ExtensionChartPath:        imagevector.SeedImageName,
			charts.AdmissionRuntimeChartPath: imagevector.AdmissionImageName,
		} {
			image, err := vector.FindImage(name)
			Expect(err).NotTo(HaveOccurred())
			objs := render(chartPath, "garden", nil)
			var deployment *appsv1.Deployment
			for _, obj := range objs {
				if d, ok := obj.(*appsv1.Deployment); ok {
					deployment = d
				}
			}
			Expect(deployment).NotTo(BeNil(), chartPath)
			Expect(container(deployment).Image).To(Equal(image.String()), chartPath)
		}
	})
})

var _ = Describe("The charts' versions", func() {
	It("are the extension's version (VERSION), the default tag of their images", func() {
		data, err := os.ReadFile("../VERSION")
		Expect(err).NotTo(HaveOccurred())
		version := strings.TrimSpace(string(data))
		for _, chartPath := range []string{charts.ExtensionChartPath, charts.AdmissionChartPath, charts.AdmissionRuntimeChartPath, charts.AdmissionApplicationChartPath} {
			data, err := fs.ReadFile(charts.Charts, chartPath+"/Chart.yaml")
			Expect(err).NotTo(HaveOccurred())
			var chart struct {
				Version    string `json:"version"`
				AppVersion string `json:"appVersion"`
			}
			Expect(yaml.Unmarshal(data, &chart)).To(Succeed())
			Expect(chart.Version).To(Equal(version), "%s: version", chartPath)
			Expect(chart.AppVersion).To(Equal(version), "%s: appVersion", chartPath)
		}
	})
})
