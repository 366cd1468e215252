package nodetruth

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"runtime"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is a container image of one layer, for a node without an image registry: WriteOCIImage writes it as an OCI
// image layout archive, which `ctr images import` reads.
type Image struct {
	// Name is the image reference, e.g. registry.k8s.io/pause:3.10.
	Name string
	// Files are the layer's regular files (path in the image -> content), all executable. The layer has the
	// directories they need and the mount points a container runtime expects (/dev, /proc, /sys, /etc, /tmp).
	Files map[string][]byte
	// Entrypoint is the image's entrypoint.
	Entrypoint []string
}

// WriteOCIImage writes img to archive as an OCI image layout (oci-layout, index.json, blobs) for the host's
// platform. The index entry carries img.Name as io.containerd.image.name, the name containerd imports it under.
func WriteOCIImage(archive string, img Image) error {
	layer, err := layerTar(img.Files)
	if err != nil {
		return err
	}
	layerDigest := digest.FromBytes(layer)
	config, err := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{Architecture: runtime.GOARCH, OS: "linux"},
		Config:   ocispec.ImageConfig{Entrypoint: img.Entrypoint, Env: []string{"PATH=/"}},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layerDigest}},
	})
	if err != nil {
		return fmt.Errorf("encoding the image config of %s: %w", img.Name, err)
	}
	configDesc := descriptor(ocispec.MediaTypeImageConfig, config)
	manifest, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    []ocispec.Descriptor{descriptor(ocispec.MediaTypeImageLayer, layer)},
	})
	if err != nil {
		return fmt.Errorf("encoding the image manifest of %s: %w", img.Name, err)
	}
	manifestDesc := descriptor(ocispec.MediaTypeImageManifest, manifest)
	manifestDesc.Platform = &ocispec.Platform{Architecture: runtime.GOARCH, OS: "linux"}
	_, tag, _ := strings.Cut(path.Base(img.Name), ":")
	manifestDesc.Annotations = map[string]string{"io.containerd.image.name": img.Name, ocispec.AnnotationRefName: tag}
	index, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{manifestDesc},
	})
	if err != nil {
		return fmt.Errorf("encoding the image index of %s: %w", img.Name, err)
	}
	layout, err := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	if err != nil {
		return err
	}

	var out bytes.Buffer
	w := tar.NewWriter(&out)
	entries := []struct {
		name    string
		content []byte
	}{
		{ocispec.ImageLayoutFile, layout},
		{ocispec.ImageIndexFile, index},
		{blobPath(manifest), manifest},
		{blobPath(config), config},
		{blobPath(layer), layer},
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := w.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755}); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if err := w.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o644, Size: int64(len(e.content))}); err != nil {
			return err
		}
		if _, err := w.Write(e.content); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing the image archive of %s: %w", img.Name, err)
	}
	return os.WriteFile(archive, out.Bytes(), 0o644)
}

func descriptor(mediaType string, content []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(content), Size: int64(len(content))}
}

func blobPath(content []byte) string {
	return fmt.Sprintf("blobs/sha256/%x", sha256.Sum256(content))
}

// layerTar returns an uncompressed layer with files and the directories a container's root filesystem needs.
func layerTar(files map[string][]byte) ([]byte, error) {
	dirs := map[string]bool{"dev": true, "proc": true, "sys": true, "etc": true, "tmp": true}
	for name := range files {
		for dir := path.Dir(strings.TrimPrefix(name, "/")); dir != "."; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
	var out bytes.Buffer
	w := tar.NewWriter(&out)
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		if err := w.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755}); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		content := files[name]
		if err := w.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(name, "/"), Mode: 0o755, Size: int64(len(content))}); err != nil {
			return nil, err
		}
		if _, err := w.Write(content); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("writing the image layer: %w", err)
	}
	return out.Bytes(), nil
}

// BuildStatic builds the Go main package pkg (an import path or a directory of the current module) into a static
// binary (no cgo) for the host, so that it runs in an image without a C library.
func BuildStatic(ctx context.Context, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if _, err := output(cmd, "go", []string{"build", "-o", out, pkg}); err != nil {
		return fmt.Errorf("building %s: %w", pkg, err)
	}
	return nil
}
