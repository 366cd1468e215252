package charts_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
)

var _ = Describe("Archive", func() {
	for _, chartPath := range []string{charts.ExtensionChartPath, charts.AdmissionChartPath, charts.AdmissionRuntimeChartPath, charts.AdmissionApplicationChartPath} {
		It("archives "+chartPath+" reproducibly, below a folder named like the chart", func() {
			name, err := charts.ChartName(chartPath)
			Expect(err).NotTo(HaveOccurred())

			first, err := charts.Archive(chartPath)
			Expect(err).NotTo(HaveOccurred())
			second, err := charts.Archive(chartPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(second).To(Equal(first))

			gz, err := gzip.NewReader(bytes.NewReader(first))
			Expect(err).NotTo(HaveOccurred())
			Expect(gz.ModTime).To(BeZero())
			Expect(gz.Name).To(BeEmpty())

			var names []string
			tr := tar.NewReader(gz)
			for {
				hdr, err := tr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				Expect(err).NotTo(HaveOccurred())
				Expect(hdr.Typeflag).To(BeEquivalentTo(tar.TypeReg))
				Expect(hdr.ModTime).To(BeTemporally("==", time.Unix(0, 0)))
				Expect(hdr.Uid).To(BeZero())
				Expect(hdr.Gid).To(BeZero())
				Expect(hdr.Uname).To(BeEmpty())
				Expect(hdr.Gname).To(BeEmpty())
				Expect(hdr.Mode).To(BeEquivalentTo(0o644))
				data, err := io.ReadAll(tr)
				Expect(err).NotTo(HaveOccurred())
				Expect(hdr.Name).To(HavePrefix(name + "/"))
				embeddedName := chartPath + "/" + strings.TrimPrefix(hdr.Name, name+"/")
				embedded, err := fs.ReadFile(charts.Charts, embeddedName)
				Expect(err).NotTo(HaveOccurred())
				Expect(data).To(Equal(embedded), hdr.Name)
				names = append(names, embeddedName)
			}

			var files []string
			Expect(fs.WalkDir(charts.Charts, chartPath, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files = append(files, path)
				}
				return err
			})).To(Succeed())
			Expect(names).To(Equal(files), "every file of the chart, in lexical order")
			Expect(names).To(ContainElement(chartPath + "/Chart.yaml"))
		})

		It("archives "+chartPath+" so that Helm loads it and it renders like the embedded chart", func() {
			archive, err := charts.Archive(chartPath)
			Expect(err).NotTo(HaveOccurred())
			chart, err := loader.LoadArchive(bytes.NewReader(archive))
			Expect(err).NotTo(HaveOccurred())
			name, err := charts.ChartName(chartPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(chart.Metadata.Name).To(Equal(name))
			Expect(chart.Validate()).To(Succeed())

			fromArchive, err := renderer.RenderArchive(archive, "runtime-sandbox", "extension-runtime-sandbox-x7k2q", gardenletValues())
			Expect(err).NotTo(HaveOccurred())
			Expect(decodeManifests(fromArchive)).To(Equal(render(chartPath, "extension-runtime-sandbox-x7k2q", gardenletValues())))
		})
	}

	It("fails for a chart that is not embedded", func() {
		_, err := charts.Archive("gardener-extension-unknown")
		Expect(err).To(MatchError(ContainSubstring("gardener-extension-unknown")))
	})
})
