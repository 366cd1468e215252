// Package charts embeds the Helm charts of the extension's components: the seed component
// (gardener-extension-runtime-sandbox, deployed by gardenlet through the ControllerDeployment) and the garden
// admission component (gardener-extension-admission-runtime-sandbox).
package charts

import "embed"

// Paths of the charts in Charts.
const (
	// ExtensionChartPath is the chart of the seed component.
	ExtensionChartPath = "gardener-extension-runtime-sandbox"
	// AdmissionChartPath is the chart of the garden admission component.
	AdmissionChartPath = "gardener-extension-admission-runtime-sandbox"
)

// Charts holds the charts of the extension's components, each in its folder (see the path constants).
//
//go:embed all:gardener-extension-runtime-sandbox all:gardener-extension-admission-runtime-sandbox
var Charts embed.FS
