// Command build-images builds the extension's images as OCI image layouts, without a container engine (see
// hack/images). Run it through `make images`, which first builds the binaries and the payload for every platform.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gardener/gardener-extension-runtime-sandbox/hack/images"
)

func main() {
	var opts images.Options
	flag.StringVar(&opts.Version, "version", "", "the extension's version: the images' tag and version label (required)")
	flag.StringVar(&opts.Revision, "revision", "", "the source's commit (required)")
	flag.StringVar(&opts.Source, "source", "https://github.com/gardener/gardener-extension-runtime-sandbox", "the source repository")
	release := flag.String("release-dir", ".cache/release", "holds the binaries of each platform in <os>-<arch>/")
	payload := flag.String("payload-dir", ".cache/payload", "holds the installer payload of each platform in <arch>/bin/<type>/")
	standIns := flag.String("kata-stand-ins", "", "comma-separated architectures whose payload holds stand-ins of the kata-deploy image's files")
	output := flag.String("output", ".cache/images", "where to write one OCI image layout per image")
	flag.Parse()

	if opts.Version == "" || opts.Revision == "" {
		fmt.Fprintln(os.Stderr, "build-images: --version and --revision are required")
		os.Exit(2)
	}
	opts.Binaries = func(p v1.Platform) string { return filepath.Join(*release, p.OS+"-"+p.Architecture) }
	opts.Payload = func(p v1.Platform) string { return filepath.Join(*payload, p.Architecture, "bin") }
	if *standIns != "" {
		opts.KataStandIns = strings.Split(*standIns, ",")
	}
	if err := images.Build(opts, *output); err != nil {
		fmt.Fprintln(os.Stderr, "build-images:", err)
		os.Exit(1)
	}
}
