package images_test

import (
	"archive/tar"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/gardener/gardener/pkg/chartrenderer"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
	"github.com/gardener/gardener-extension-runtime-sandbox/hack/images"
	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

func TestImages(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Images suite")
}

// ImagesDirEnv names a directory of images built by `make images` to check instead of images built here from
// stand-in binaries.
const ImagesDirEnv = "IMAGES_DIR"

var (
	// extensionVersion is the VERSION file: the images' tag and version label, and the charts' appVersion.
	extensionVersion string
	imagesDir        string
)

var _ = BeforeSuite(func() {
	data, err := os.ReadFile("../../VERSION")
	Expect(err).NotTo(HaveOccurred())
	extensionVersion = strings.TrimSpace(string(data))

	if imagesDir = os.Getenv(ImagesDirEnv); imagesDir != "" {
		By("checking the images of " + imagesDir)
		return
	}
	By("building the images from stand-in binaries")
	imagesDir = GinkgoT().TempDir()
	Expect(images.Build(standIns(GinkgoT().TempDir()), imagesDir)).To(Succeed())
})

// standIns writes stand-in binaries and payloads for every platform below dir and returns the options that build
// images of them.
func standIns(dir string) images.Options {
	platformDir := func(p v1.Platform) string { return filepath.Join(dir, p.OS+"-"+p.Architecture) }
	for _, p := range images.Platforms {
		for _, name := range images.Names {
			writeFile(filepath.Join(platformDir(p), "release", name), "#!binary "+name+" "+p.Architecture)
		}
		for _, file := range expectedPayload() {
			writeFile(filepath.Join(platformDir(p), "payload", file), "#!payload "+file+" "+p.Architecture)
		}
	}
	return images.Options{
		Version:  extensionVersion,
		Revision: "0123456789abcdef0123456789abcdef01234567",
		Source:   "https://github.com/gardener/gardener-extension-runtime-sandbox",
		Binaries: func(p v1.Platform) string { return filepath.Join(platformDir(p), "release") },
		Payload:  func(p v1.Platform) string { return filepath.Join(platformDir(p), "payload") },
	}
}

func writeFile(name, content string) {
	GinkgoHelper()
	Expect(os.MkdirAll(filepath.Dir(name), 0o755)).To(Succeed())
	Expect(os.WriteFile(name, []byte(content), 0o755)).To(Succeed())
}

// shimOf returns the containerd shim binary of a runtime_type: io.containerd.<name>.<version> is run as
// containerd-shim-<name>-<version>.
func shimOf(runtimeType string) string {
	parts := strings.Split(runtimeType, ".")
	return "containerd-shim-" + parts[2] + "-" + parts[3]
}

// expectedPayload returns the payload files, relative to installer.PayloadDir, that the OSC mutation's containerd
// handlers need: each type's containerd shim, gVisor's runsc, and Kata's artifacts in its layout (runtimes/kata),
// where the rendered Kata configurations refer to them.
func expectedPayload() []string {
	out := []string{
		path.Join("gvisor", shimOf(gvisor.RuntimeType)),
		path.Join("gvisor", "runsc"),
		path.Join("kata", shimOf(kata.RuntimeType)),
	}
	versionDir := path.Join("kata", kata.VersionsDir, kata.Version)
	for _, a := range kata.Artifacts() {
		if !a.Dir {
			out = append(out, path.Join(versionDir, a.Path))
			continue
		}
		for _, f := range a.Required {
			out = append(out, path.Join(versionDir, a.Path, f))
		}
	}
	return out
}

// file is a regular file or directory of an image.
type file struct {
	mode     int64
	uid, gid int
	dir      bool
	data     []byte
}

// imageFiles returns the files of an image's layers, a later layer overriding an earlier one.
func imageFiles(img v1.Image) map[string]file {
	GinkgoHelper()
	layers, err := img.Layers()
	Expect(err).NotTo(HaveOccurred())
	files := map[string]file{}
	for _, layer := range layers {
		rc, err := layer.Uncompressed()
		Expect(err).NotTo(HaveOccurred())
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(hdr.Typeflag).To(BeElementOf(byte(tar.TypeReg), byte(tar.TypeDir)), "%s: only regular files and directories", hdr.Name)
			data, err := io.ReadAll(tr)
			Expect(err).NotTo(HaveOccurred())
			files["/"+strings.TrimSuffix(hdr.Name, "/")] = file{mode: hdr.Mode, uid: hdr.Uid, gid: hdr.Gid, dir: hdr.Typeflag == tar.TypeDir, data: data}
		}
		Expect(rc.Close()).To(Succeed())
	}
	return files
}

// renderContainer renders chartPath with values and returns the pod spec of its Deployment or DaemonSet and its
// only container.
func renderContainer(chartPath string, values map[string]any) (corev1.PodSpec, corev1.Container) {
	GinkgoHelper()
	rendered, err := chartrenderer.NewWithServerVersion(&version.Info{GitVersion: "v1.34.3"}).RenderEmbeddedFS(charts.Charts, chartPath, "runtime-sandbox", "garden", values)
	Expect(err).NotTo(HaveOccurred())
	var specs []corev1.PodSpec
	for _, m := range rendered.Manifests {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(m.Content), nil, nil)
		if err != nil {
			continue // kinds client-go does not know (VPA)
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			specs = append(specs, o.Spec.Template.Spec)
		case *appsv1.DaemonSet:
			specs = append(specs, o.Spec.Template.Spec)
		}
	}
	Expect(specs).To(HaveLen(1), "%s renders one workload", chartPath)
	Expect(specs[0].Containers).To(HaveLen(1))
	return specs[0], specs[0].Containers[0]
}

// userOf returns the pod's user as an image's config says it, "<uid>:<gid>".
func userOf(spec corev1.PodSpec) string {
	GinkgoHelper()
	sc := spec.SecurityContext
	Expect(sc).NotTo(BeNil())
	Expect(sc.RunAsUser).NotTo(BeNil())
	Expect(sc.RunAsGroup).NotTo(BeNil())
	return fmt.Sprintf("%d:%d", *sc.RunAsUser, *sc.RunAsGroup)
}

var _ = Describe("The images", func() {
	readIndex := func(name string) v1.ImageIndex {
		GinkgoHelper()
		index, err := layout.ImageIndexFromPath(filepath.Join(imagesDir, name))
		Expect(err).NotTo(HaveOccurred(), "reading the OCI layout of %s (make images builds it)", name)
		manifest, err := index.IndexManifest()
		Expect(err).NotTo(HaveOccurred())
		Expect(manifest.Manifests).To(HaveLen(1), "one index per layout")
		Expect(manifest.Manifests[0].Annotations).To(HaveKeyWithValue("org.opencontainers.image.ref.name", extensionVersion), "tagged with the extension's version")
		inner, err := index.ImageIndex(manifest.Manifests[0].Digest)
		Expect(err).NotTo(HaveOccurred())
		return inner
	}

	// eachImage calls check with every platform's image of name.
	eachImage := func(name string, check func(v1.Platform, *v1.ConfigFile, map[string]file)) {
		GinkgoHelper()
		index := readIndex(name)
		manifest, err := index.IndexManifest()
		Expect(err).NotTo(HaveOccurred())
		var platforms []v1.Platform
		for _, desc := range manifest.Manifests {
			Expect(desc.Platform).NotTo(BeNil())
			platforms = append(platforms, *desc.Platform)
			img, err := index.Image(desc.Digest)
			Expect(err).NotTo(HaveOccurred())
			config, err := img.ConfigFile()
			Expect(err).NotTo(HaveOccurred())
			Expect(config.OS).To(Equal(desc.Platform.OS))
			Expect(config.Architecture).To(Equal(desc.Platform.Architecture))
			check(*desc.Platform, config, imageFiles(img))
		}
		Expect(platforms).To(ConsistOf(images.Platforms))
	}

	// checkCommon checks what every image has: its static binary as entrypoint, labels with version and source,
	// the user the chart runs it as (known in /etc/passwd), CA certificates and /tmp.
	checkCommon := func(name string, spec corev1.PodSpec, container corev1.Container) {
		GinkgoHelper()
		Expect(container.Command).To(BeEmpty(), "the chart runs the image's entrypoint")
		Expect(container.Image).To(HaveSuffix(":"+extensionVersion), "the chart's default tag is the extension's version")
		eachImage(name, func(p v1.Platform, config *v1.ConfigFile, files map[string]file) {
			Expect(config.Config.Entrypoint).To(Equal([]string{"/" + name}))
			Expect(config.Config.User).To(Equal(userOf(spec)), "the image's user is the one the chart runs it as")
			Expect(config.Config.Labels).To(HaveKeyWithValue(images.LabelVersion, extensionVersion))
			Expect(config.Config.Labels).To(HaveKeyWithValue(images.LabelSource, HavePrefix("https://github.com/gardener/")))
			Expect(config.Config.Labels).To(HaveKeyWithValue(images.LabelRevision, MatchRegexp("^[0-9a-f]{40}$")))

			binary := files["/"+name]
			Expect(binary.data).NotTo(BeEmpty(), "%s: the binary", p)
			Expect(binary.mode).To(BeEquivalentTo(0o755))
			Expect(binary.uid).To(BeZero())

			uid := strings.Split(config.Config.User, ":")[0]
			Expect(string(files["/etc/passwd"].data)).To(MatchRegexp(`(?m)^[a-z]+:x:%s:`, uid), "the user is named in /etc/passwd")
			Expect(files["/tmp"].dir).To(BeTrue())
			Expect(files["/tmp"].mode).To(BeEquivalentTo(0o1777))

			count := 0
			for block, rest := pem.Decode(files[images.CACertificatesPath].data); block != nil; block, rest = pem.Decode(rest) {
				_, err := x509.ParseCertificate(block.Bytes)
				Expect(err).NotTo(HaveOccurred())
				count++
			}
			Expect(count).To(BeNumerically(">", 100), "CA certificates")
		})
	}

	It("hold the seed component as the seed chart deploys it", func() {
		spec, container := renderContainer(charts.ExtensionChartPath, nil)
		checkCommon(images.Seed, spec, container)
		Expect(container.Image).To(HavePrefix("europe-docker.pkg.dev/gardener-project/public/gardener/extensions/runtime-sandbox:"))
	})

	It("hold the admission component as the admission chart deploys it", func() {
		spec, container := renderContainer(charts.AdmissionChartPath, map[string]any{"application": map[string]any{"enabled": false}})
		checkCommon(images.Admission, spec, container)
	})

	It("hold the installer with the binaries every runtime type's containerd handler needs where the installer chart reads them", func() {
		for _, runtimeType := range runtimes.Types() {
			spec, container := renderContainer(charts.InstallerChartPath, map[string]any{
				"runtimeType": runtimeType, "source": installer.SourceDir(runtimeType), "image": "example.org/installer:" + extensionVersion,
			})
			Expect(container.Args).To(ContainElement("--source=" + installer.SourceDir(runtimeType)))
			if runtimeType == runtimes.Types()[0] {
				checkCommon(images.Installer, spec, container)
			}
		}
		eachImage(images.Installer, func(p v1.Platform, _ *v1.ConfigFile, files map[string]file) {
			for _, name := range expectedPayload() {
				f := files[path.Join(installer.PayloadDir, name)]
				Expect(f.data).NotTo(BeEmpty(), "%s: %s", p, name)
				Expect(f.mode&0o444).To(BeEquivalentTo(0o444), name)
				Expect(f.uid).To(BeZero(), name)
			}
			for _, runtimeType := range runtimes.Types() {
				Expect(files[installer.SourceDir(runtimeType)].dir).To(BeTrue(), "%s: the folder of %s", p, runtimeType)
			}
		})
	})

	It("are reproducible: the same inputs give the same digests", func() {
		if os.Getenv(ImagesDirEnv) != "" {
			Skip("checks images built here from stand-ins only")
		}
		opts := standIns(GinkgoT().TempDir())
		first, second := GinkgoT().TempDir(), GinkgoT().TempDir()
		Expect(images.Build(opts, first)).To(Succeed())
		Expect(images.Build(opts, second)).To(Succeed())
		for _, name := range images.Names {
			a, err := layout.ImageIndexFromPath(filepath.Join(first, name))
			Expect(err).NotTo(HaveOccurred())
			b, err := layout.ImageIndexFromPath(filepath.Join(second, name))
			Expect(err).NotTo(HaveOccurred())
			Expect(a.Digest()).To(Equal(must(b.Digest())), name)
		}
	})
})

func must[T any](v T, err error) T {
	GinkgoHelper()
	Expect(err).NotTo(HaveOccurred())
	return v
}
