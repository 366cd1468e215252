package charts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"time"
)

// archiveModTime is the modification time of every file in an archive, fixed so that the same chart always gives
// the same archive.
var archiveModTime = time.Unix(0, 0).UTC()

// Archive returns the chart in chartPath of Charts as a gzip'ed tar archive, the way Helm packages charts and a
// ControllerDeployment's helm.rawChart carries them: the chart's files below a folder named like the chart, in
// lexical order. The archive is reproducible: the same files give the same bytes (fixed modification times, owners
// and modes, and neither time nor name in the gzip header).
func Archive(chartPath string) ([]byte, error) {
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
		if err := tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg,
			Name:     path,
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
