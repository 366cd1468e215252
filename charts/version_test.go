package charts_test

import (
	"io/fs"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
)

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
