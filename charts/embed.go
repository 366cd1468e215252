// Package charts embeds the Helm charts of the extension's components: the seed component
// (gardener-extension-runtime-sandbox, deployed by gardenlet through the ControllerDeployment), the garden
// admission component (gardener-extension-admission-runtime-sandbox), and the internal charts the ContainerRuntime
// actuator renders with Gardener's chartrenderer into the shoot's ManagedResources (internal/installer,
// internal/runtimeclasses).
package charts

import "embed"

// Paths of the charts in Charts.
const (
	// ExtensionChartPath is the chart of the seed component.
	ExtensionChartPath = "gardener-extension-runtime-sandbox"
	// AdmissionChartPath is the chart of the garden admission component, both parts as its subcharts.
	AdmissionChartPath = "gardener-extension-admission-runtime-sandbox"
	// AdmissionRuntimeChartPath is the admission component's part for the cluster it runs in (gardener-operator's
	// runtime cluster).
	AdmissionRuntimeChartPath = AdmissionChartPath + "/charts/runtime"
	// AdmissionApplicationChartPath is the admission component's part for the garden (gardener-operator's virtual
	// cluster).
	AdmissionApplicationChartPath = AdmissionChartPath + "/charts/application"
	// InstallerChartPath is the internal chart of a pool's installer DaemonSet and its RBAC.
	InstallerChartPath = "internal/installer"
	// RuntimeClassesChartPath is the internal chart of a shoot's RuntimeClasses.
	RuntimeClassesChartPath = "internal/runtimeclasses"
)

// Charts holds the charts of the extension's components, each in its folder (see the path constants).
//
//go:embed all:gardener-extension-runtime-sandbox all:gardener-extension-admission-runtime-sandbox all:internal
var Charts embed.FS
