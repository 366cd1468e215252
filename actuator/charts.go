package actuator

import (
	"fmt"
	"path"

	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	"github.com/gardener/gardener/pkg/chartrenderer"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

const (
	// InstallerNamespace is the shoot namespace of the installer DaemonSets.
	InstallerNamespace = metav1.NamespaceSystem
	// InstallerPrefix prefixes the names of the installer's objects.
	InstallerPrefix = "runtime-sandbox-installer"
	// HostMountPrefix is where the host's binary path is mounted in the installer container: the binary path
	// /var/bin/containerruntimes is mounted at /host/var/bin/containerruntimes.
	HostMountPrefix = "/host"
)

// InstallerName returns the name of the installer DaemonSet (and of its ServiceAccount) of a pool and runtime type.
func InstallerName(pool, runtimeType string) string {
	return InstallerPrefix + "-" + pool + "-" + runtimeType
}

// kubernetesVersion returns the shoot's Kubernetes version, e.g. "1.36.3", or "" when the Cluster does not say.
func kubernetesVersion(cluster *extensionscontroller.Cluster) string {
	if cluster == nil || cluster.Shoot == nil {
		return ""
	}
	return cluster.Shoot.Spec.Kubernetes.Version
}

// rendererFor returns a chart renderer for the shoot's Kubernetes version (empty when the Cluster does not say;
// the internal charts do not depend on it).
func rendererFor(cluster *extensionscontroller.Cluster) chartrenderer.Interface {
	info := &version.Info{}
	if v := kubernetesVersion(cluster); v != "" {
		info.GitVersion = "v" + v
	}
	return chartrenderer.NewWithServerVersion(info)
}

// renderInstaller renders the internal installer chart for the ContainerRuntime's pool: the DaemonSet that runs
// the installer on the pool's nodes with the type's binaries of image, its ServiceAccount, the ClusterRole and
// ClusterRoleBinding that let it get and patch nodes, and the ValidatingAdmissionPolicy (with its binding) that
// restricts it to rt's labels of its own node. It returns the manifests as ManagedResource data.
func renderInstaller(renderer chartrenderer.Interface, cr *extensionsv1alpha1.ContainerRuntime, rt runtimes.Runtime, image string) (map[string][]byte, error) {
	var (
		pool        = cr.Spec.WorkerPool.Name
		runtimeType = cr.Spec.Type
		binaryPath  = path.Clean(cr.Spec.BinaryPath)
	)
	values := map[string]any{
		"name":            InstallerName(pool, runtimeType),
		"clusterRoleName": "extensions.gardener.cloud:runtime-sandbox:installer-" + pool + "-" + runtimeType,
		"pool":            pool,
		"runtimeType":     runtimeType,
		"image":           image,
		"source":          installer.SourceDir(runtimeType),
		"binaryPath":      binaryPath,
		"mountPath":       HostMountPrefix + binaryPath,
		"nodeSelector":    cr.Spec.WorkerPool.Selector.MatchLabels,
		"nodeLabels":      rt.NodeLabels(),
	}
	rendered, err := renderer.RenderEmbeddedFS(charts.Charts, charts.InstallerChartPath, InstallerName(pool, runtimeType), InstallerNamespace, values)
	if err != nil {
		return nil, fmt.Errorf("rendering chart %s: %w", charts.InstallerChartPath, err)
	}
	return rendered.AsSecretData(), nil
}

// renderRuntimeClasses renders the internal RuntimeClasses chart for the given classes and returns the manifests
// as ManagedResource data.
func renderRuntimeClasses(renderer chartrenderer.Interface, classes []nodev1.RuntimeClass) (map[string][]byte, error) {
	values := make([]map[string]any, 0, len(classes))
	for _, rc := range classes {
		class := map[string]any{"name": rc.Name, "handler": rc.Handler}
		if rc.Scheduling != nil {
			class["nodeSelector"] = rc.Scheduling.NodeSelector
		}
		if rc.Overhead != nil && len(rc.Overhead.PodFixed) > 0 {
			overhead := map[string]string{}
			for name, quantity := range rc.Overhead.PodFixed {
				overhead[string(name)] = quantity.String()
			}
			class["overhead"] = overhead
		}
		values = append(values, class)
	}
	rendered, err := renderer.RenderEmbeddedFS(charts.Charts, charts.RuntimeClassesChartPath, "runtime-sandbox-runtimeclasses", "", map[string]any{"runtimeClasses": values})
	if err != nil {
		return nil, fmt.Errorf("rendering chart %s: %w", charts.RuntimeClassesChartPath, err)
	}
	return rendered.AsSecretData(), nil
}
