package charts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"
)

// archiveModTime is the modification time of every file in an archive, fixed so that the same chart always gives
// the same archive.
var archiveModTime = time.Unix(0, 0).UTC()

// Archive returns the chart in chartPath of Charts as a gzip'ed tar archive, the way Helm packages charts and a
// ControllerDeployment's helm.rawChart carries them: the chart's files below a folder named like the chart (its
// Chart.yaml name; a part of a chart, e.g. AdmissionRuntimeChartPath, is archived as a chart of its own), in
// lexical order. The archive is reproducible: the same files give the same bytes (fixed modification times, owners
// and modes, and neither time nor name in the gzip header).
func Archive(chartPath string) ([]byte, error) {
	name, err := ChartName(chartPath)
	if err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("creating the gzip writer: %w", err)
	}
	tw := tar.NewWriter(gz)

	if err := fs.WalkDir(Charts, chartPath, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(Charts, path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		rel, err := filepath.Rel(chartPath, path)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name + "/" + filepath.ToSlash(rel),
			Mode:     0o644,
			Size:     int64(len(data)),
			ModTime:  archiveModTime,
		}); err != nil {
			return fmt.Errorf("writing the tar header of %s: %w", path, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("writing %s to the archive: %w", path, err)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("archiving chart %s: %w", chartPath, err)
	}

	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the tar archive of chart %s: %w", chartPath, err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("closing the gzip stream of chart %s: %w", chartPath, err)
	}
	return buf.Bytes(), nil
}

// ChartName returns the name in the Chart.yaml of the chart in chartPath of Charts.
func ChartName(chartPath string) (string, error) {
	data, err := fs.ReadFile(Charts, chartPath+"/Chart.yaml")
	if err != nil {
		return "", fmt.Errorf("reading the Chart.yaml of chart %s: %w", chartPath, err)
	}
	var chart struct {
		Name string `json:"name"`
	}
	if err := yaml.Unmarshal(data, &chart); err != nil || chart.Name == "" {
		return "", fmt.Errorf("reading the name of chart %s: %v", chartPath, err)
	}
	return chart.Name, nil
}
