// Package images builds the extension's three images without a container engine, as OCI image layouts with one
// manifest per platform (linux/amd64, linux/arm64), with go-containerregistry: the seed component, the admission
// component and the installer with its payload. The base is empty: the images hold their static binary, the
// files a static binary may look for (/etc/passwd and /etc/group naming root and nonroot, CA certificates from the
// golang.org/x/crypto/x509roots/fallback module, an empty /tmp) and, for the installer, the runtime binaries in
// /installer/bin/<type>/. Everything is reproducible: fixed timestamps and owners, sorted entries.
package images

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
)

// The images' names: the name of their binary and the last element of their repository.
const (
	Seed      = "gardener-extension-runtime-sandbox"
	Admission = "gardener-extension-admission-runtime-sandbox"
	Installer = "runtime-sandbox-installer"
)

// Names are the images' names, in build order.
var Names = []string{Seed, Admission, Installer}

// Users the images run as: nonroot (distroless' UID and GID) for the two components, root for the installer, which
// writes into the host's root-owned container runtime binary path.
const (
	NonRoot = "65532:65532"
	Root    = "0:0"
)

// Platforms are the platforms every image is built for.
var Platforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

// OCI annotation keys the images carry as labels (https://github.com/opencontainers/image-spec/blob/main/annotations.md).
const (
	LabelVersion  = "org.opencontainers.image.version"
	LabelSource   = "org.opencontainers.image.source"
	LabelRevision = "org.opencontainers.image.revision"
	LabelTitle    = "org.opencontainers.image.title"
)

// CACertificatesPath is where the images hold the CA certificates, where Go's crypto/x509 looks on Linux.
const CACertificatesPath = "/etc/ssl/certs/ca-certificates.crt"

// epoch is the time of every file and of the image configs: a fixed time keeps the images reproducible.
var epoch = time.Unix(0, 0).UTC()

// Options say what goes into the images.
type Options struct {
	// Version is the extension's version: the images' tag and their version label.
	Version string
	// Revision is the source's commit.
	Revision string
	// Source is the URL of the source repository.
	Source string
	// Binaries returns the directory holding the extension's binaries (one per image name) built for a platform.
	Binaries func(v1.Platform) string
	// Payload returns the directory holding the installer's payload for a platform, one folder per runtime type.
	Payload func(v1.Platform) string
	// KataStandIns are the architectures whose payload holds stand-ins of the kata-deploy image's files (no image
	// was available): their installer image gets LabelKataPayload=stand-ins.
	KataStandIns []string
}

// LabelKataPayload marks an installer image whose Kata part holds stand-ins of the kata-deploy image's files, not
// the real ones: an image for tests, never to be pushed.
const LabelKataPayload = "runtime.gardener.cloud/kata-payload"

// Build builds every image and writes each as an OCI image layout to outputDir/<name>, replacing what was there.
// Each layout holds one index, tagged Version, with a manifest per platform.
func Build(opts Options, outputDir string) error {
	for _, name := range Names {
		index, err := buildIndex(name, opts)
		if err != nil {
			return fmt.Errorf("building image %s: %w", name, err)
		}
		dir := filepath.Join(outputDir, name)
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("removing the old layout of %s: %w", name, err)
		}
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			return fmt.Errorf("writing the layout of %s: %w", name, err)
		}
		if err := p.AppendIndex(index, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": opts.Version})); err != nil {
			return fmt.Errorf("writing image %s: %w", name, err)
		}
	}
	return nil
}

// buildIndex builds the image name for every platform.
func buildIndex(name string, opts Options) (v1.ImageIndex, error) {
	index := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, platform := range Platforms {
		img, err := buildImage(name, platform, opts)
		if err != nil {
			return nil, fmt.Errorf("for %s: %w", platform, err)
		}
		index = mutate.AppendManifests(index, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &platform}})
	}
	return index, nil
}

// buildImage builds one image for one platform: a base layer (users, CA certificates, /tmp), the binary, and for
// the installer the payload.
func buildImage(name string, platform v1.Platform, opts Options) (v1.Image, error) {
	base, err := baseLayer()
	if err != nil {
		return nil, err
	}
	binary := &tarFiles{}
	if err := binary.addFile(filepath.Join(opts.Binaries(platform), name), "/"+name); err != nil {
		return nil, err
	}
	layers := []*tarFiles{base, binary}
	user := NonRoot
	if name == Installer {
		user = Root
		payload := &tarFiles{}
		if err := payload.addTree(opts.Payload(platform), installer.PayloadDir); err != nil {
			return nil, err
		}
		layers = append(layers, payload)
	}

	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	for _, files := range layers {
		layer, err := files.layer()
		if err != nil {
			return nil, err
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "hack/images"}}); err != nil {
			return nil, fmt.Errorf("adding a layer: %w", err)
		}
	}
	config, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the image config: %w", err)
	}
	config = config.DeepCopy()
	config.OS, config.Architecture, config.Variant = platform.OS, platform.Architecture, platform.Variant
	config.Created = v1.Time{Time: epoch}
	config.Config = v1.Config{
		Entrypoint: []string{"/" + name},
		User:       user,
		WorkingDir: "/",
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=" + CACertificatesPath},
		Labels: map[string]string{
			LabelVersion:  opts.Version,
			LabelRevision: opts.Revision,
			LabelSource:   opts.Source,
			LabelTitle:    name,
		},
	}
	if name == Installer && slices.Contains(opts.KataStandIns, platform.Architecture) {
		config.Config.Labels[LabelKataPayload] = "stand-ins"
	}
	img, err = mutate.ConfigFile(img, config)
	if err != nil {
		return nil, fmt.Errorf("setting the image config: %w", err)
	}
	return img, nil
}

// baseLayer returns what the empty base gets: root and nonroot in /etc/passwd and /etc/group, the CA certificates
// and a world-writable /tmp.
func baseLayer() (*tarFiles, error) {
	var certs bytes.Buffer
	for root := range bundle.Roots() {
		// A constraint (e.g. distrust after a date) cannot be written into a PEM bundle: leave such roots out.
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&certs, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, fmt.Errorf("encoding a CA certificate: %w", err)
		}
	}
	base := &tarFiles{}
	base.addData("/etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"))
	base.addData("/etc/group", 0o644, []byte("root:x:0:\nnonroot:x:65532:\n"))
	base.addData(CACertificatesPath, 0o644, certs.Bytes())
	base.addDir("/tmp", 0o1777)
	return base, nil
}

// tarFiles collects the entries of one layer: regular files and directories, owned by root.
type tarFiles struct {
	entries map[string]tarEntry
}

// tarEntry is a file or directory with its tar mode (permission bits, sticky bit 0o1000).
type tarEntry struct {
	mode int64
	data []byte
	dir  bool
}

func (t *tarFiles) put(name string, e tarEntry) {
	if t.entries == nil {
		t.entries = map[string]tarEntry{}
	}
	t.entries[name] = e
	// Parent directories, as a tar built by a container engine has them.
	for dir := path.Dir(name); dir != "/"; dir = path.Dir(dir) {
		if _, ok := t.entries[dir]; !ok {
			t.entries[dir] = tarEntry{mode: 0o755, dir: true}
		}
	}
}

func (t *tarFiles) addData(name string, mode int64, data []byte) {
	t.put(name, tarEntry{mode: mode, data: data})
}

func (t *tarFiles) addDir(name string, mode int64) { t.put(name, tarEntry{mode: mode, dir: true}) }

// addFile adds the regular file src as the executable name.
func (t *tarFiles) addFile(src, name string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("reading %s (run `make images`, which builds it): %w", src, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is a %s, not a regular file", src, info.Mode().Type())
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	t.addData(name, 0o755, data)
	return nil
}

// addTree adds the folders and regular files below src as executables below dest. Links and special files are
// refused: the installer refuses them too.
func (t *tarFiles) addTree(src, dest string) error {
	found := false
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name := path.Join(dest, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			t.addDir(name, 0o755)
			return nil
		case d.Type().IsRegular():
			found = true
			return t.addFile(p, name)
		default:
			return fmt.Errorf("%s is a %s: the payload holds only folders and regular files", p, d.Type())
		}
	})
	if err != nil {
		return fmt.Errorf("reading the payload %s (run `make images`, which builds it): %w", src, err)
	}
	if !found {
		return fmt.Errorf("the payload %s holds no files", src)
	}
	return nil
}

// layer returns the entries as an OCI layer: an uncompressed tar, in lexical order, gzip'ed.
func (t *tarFiles) layer() (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(t.entries))
	for name := range t.entries {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		e := t.entries[name]
		hdr := &tar.Header{Name: name[1:], Mode: e.mode, ModTime: epoch, Format: tar.FormatPAX, Uname: "root", Gname: "root"}
		if e.dir {
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		} else {
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("writing the tar header of %s: %w", name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the layer: %w", err)
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
}
