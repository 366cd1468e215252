package imagevector_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	gardenerimagevector "github.com/gardener/gardener/pkg/utils/imagevector"

	"github.com/gardener/gardener-extension-runtime-sandbox/imagevector"
)

func TestImageVector(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Image vector suite")
}

var _ = Describe("The image vector", func() {
	It("names the three images of the extension, tagged with its version (VERSION)", func() {
		data, err := os.ReadFile("../VERSION")
		Expect(err).NotTo(HaveOccurred())
		version := strings.TrimSpace(string(data))

		vector, err := imagevector.Read()
		Expect(err).NotTo(HaveOccurred())
		Expect(gardenerimagevector.ValidateImageVector(vector, nil)).To(BeEmpty())
		var names []string
		for _, source := range vector {
			names = append(names, source.Name)
			Expect(source.Tag).To(HaveValue(Equal(version)), source.Name)
		}
		Expect(names).To(ConsistOf(imagevector.SeedImageName, imagevector.AdmissionImageName, imagevector.InstallerImageName))
		Expect(imagevector.Image(imagevector.InstallerImageName)).To(Equal("europe-docker.pkg.dev/gardener-project/public/gardener/extensions/runtime-sandbox-installer:" + version))
	})

	It("takes overrides from the file named by IMAGEVECTOR_OVERWRITE", func() {
		file := filepath.Join(GinkgoT().TempDir(), "images.yaml")
		Expect(os.WriteFile(file, []byte("images:\n- name: runtime-sandbox-installer\n  repository: registry.example/installer\n  tag: v9.9.9\n"), 0o600)).To(Succeed())
		GinkgoT().Setenv(gardenerimagevector.OverrideEnv, file)
		Expect(imagevector.Image(imagevector.InstallerImageName)).To(Equal("registry.example/installer:v9.9.9"))
	})

	It("fails on an override file that cannot be read", func() {
		GinkgoT().Setenv(gardenerimagevector.OverrideEnv, filepath.Join(GinkgoT().TempDir(), "missing.yaml"))
		_, err := imagevector.Image(imagevector.InstallerImageName)
		Expect(err).To(MatchError(ContainSubstring(gardenerimagevector.OverrideEnv)))
	})
})
