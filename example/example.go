// Package example embeds the sample manifests, so that the local landscape and the tests apply exactly what the
// README shows.
package example

import "embed"

// Manifests holds the sample manifests of this folder.
//
//go:embed *.yaml
var Manifests embed.FS
