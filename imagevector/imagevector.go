// Package imagevector holds the images the extension deploys (images.yaml), read with Gardener's imagevector
// package, so that an operator can override them the Gardener way: an image vector file named by the environment
// variable IMAGEVECTOR_OVERWRITE.
package imagevector

import (
	_ "embed"
	"fmt"

	"github.com/gardener/gardener/pkg/utils/imagevector"
)

// Names of the images in images.yaml.
const (
	// SeedImageName is the seed component's image.
	SeedImageName = "gardener-extension-runtime-sandbox"
	// AdmissionImageName is the admission component's image.
	AdmissionImageName = "gardener-extension-admission-runtime-sandbox"
	// InstallerImageName is the installer's image, which the seed component deploys into the shoots.
	InstallerImageName = "runtime-sandbox-installer"
)

//go:embed images.yaml
var imagesYAML []byte

// Read returns the image vector of images.yaml, merged with the override file named by IMAGEVECTOR_OVERWRITE if set.
func Read() (imagevector.ImageVector, error) {
	vector, _, err := imagevector.Read(imagesYAML)
	if err != nil {
		return nil, fmt.Errorf("reading the embedded image vector: %w", err)
	}
	vector, _, err = imagevector.WithEnvOverride(vector, nil, imagevector.OverrideEnv)
	if err != nil {
		return nil, fmt.Errorf("reading the image vector override named by %s: %w", imagevector.OverrideEnv, err)
	}
	return vector, nil
}

// Image returns the reference of the image name from the image vector (with overrides).
func Image(name string) (string, error) {
	vector, err := Read()
	if err != nil {
		return "", err
	}
	image, err := vector.FindImage(name)
	if err != nil {
		return "", fmt.Errorf("finding image %s in the image vector: %w", name, err)
	}
	return image.String(), nil
}
