package actuator

import (
	"path"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
)

const (
	// InstallerNamespace is the shoot namespace of the installer DaemonSets.
	InstallerNamespace = metav1.NamespaceSystem
	// InstallerPrefix prefixes the names of the installer's objects.
	InstallerPrefix = "runtime-sandbox-installer"
	// InstallerSource is the directory of the installer image that holds the runtime binaries.
	InstallerSource = "/installer/bin"
	// HostMountPrefix is where the host's binary path is mounted in the installer container: the binary path
	// /var/bin/containerruntimes is mounted at /host/var/bin/containerruntimes.
	HostMountPrefix = "/host"

	labelApp         = "app.kubernetes.io/name"
	labelRuntimeType = "runtime.gardener.cloud/type"
	labelPool        = "worker.gardener.cloud/pool"
	volumeName       = "binary-path"
)

// InstallerName returns the name of the installer DaemonSet (and of its ServiceAccount) of a pool and runtime type.
func InstallerName(pool, runtimeType string) string {
	return InstallerPrefix + "-" + pool + "-" + runtimeType
}

// installerClusterRoleName returns the name of the ClusterRole and ClusterRoleBinding of an installer.
func installerClusterRoleName(pool, runtimeType string) string {
	return "extensions.gardener.cloud:runtime-sandbox:installer-" + pool + "-" + runtimeType
}

// InstallerObjects returns the installer DaemonSet of the ContainerRuntime's pool with its ServiceAccount,
// ClusterRole and ClusterRoleBinding. The DaemonSet has least privilege: no host namespaces, not privileged, no
// capabilities, a read-only root filesystem and one hostPath volume, the ContainerRuntime's binary path. It runs as
// root (UID 0) only to own the files it writes into that root-owned host directory; the ClusterRole allows
// getting and patching nodes, which the installer needs to set and remove its ready label.
func InstallerObjects(cr *extensionsv1alpha1.ContainerRuntime, image string) []client.Object {
	var (
		pool        = cr.Spec.WorkerPool.Name
		runtimeType = cr.Spec.Type
		name        = InstallerName(pool, runtimeType)
		roleName    = installerClusterRoleName(pool, runtimeType)
		binaryPath  = path.Clean(cr.Spec.BinaryPath)
		mountPath   = HostMountPrefix + binaryPath
		labels      = map[string]string{labelApp: InstallerPrefix, labelRuntimeType: runtimeType, labelPool: pool}
	)

	serviceAccount := &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: InstallerNamespace, Labels: labels},
	}
	clusterRole := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: roleName, Labels: labels},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""},
			Resources: []string{"nodes"},
			Verbs:     []string{"get", "patch"},
		}},
	}
	clusterRoleBinding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: roleName, Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: InstallerNamespace}},
	}

	nodeSelector := map[string]string{}
	for k, v := range cr.Spec.WorkerPool.Selector.MatchLabels {
		nodeSelector[k] = v
	}

	daemonSet := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: InstallerNamespace, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: labels},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: name,
					PriorityClassName:  "system-node-critical",
					NodeSelector:       nodeSelector,
					// The pool's own taints are arbitrary, and a node must get its binaries and ready label
					// whatever it is tainted with: sandboxed pods bring their own tolerations.
					Tolerations:     []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					SecurityContext: &corev1.PodSecurityContext{RunAsUser: new(int64(0)), RunAsGroup: new(int64(0)), RunAsNonRoot: new(false), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers: []corev1.Container{{
						Name:            "installer",
						Image:           image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args: []string{
							"--source=" + InstallerSource,
							"--destination=" + mountPath,
							"--runtime-type=" + runtimeType,
						},
						Env: []corev1.EnvVar{{
							Name:      "NODE_NAME",
							ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}},
						}},
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU:    resource.MustParse("10m"),
							corev1.ResourceMemory: resource.MustParse("32Mi"),
						}},
						SecurityContext: &corev1.SecurityContext{
							Privileged:               new(false),
							AllowPrivilegeEscalation: new(false),
							ReadOnlyRootFilesystem:   new(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: []corev1.VolumeMount{{Name: volumeName, MountPath: mountPath}},
					}},
					Volumes: []corev1.Volume{{
						Name: volumeName,
						VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
							Path: binaryPath,
							Type: new(corev1.HostPathDirectoryOrCreate),
						}},
					}},
				},
			},
		},
	}
	return []client.Object{serviceAccount, clusterRole, clusterRoleBinding, daemonSet}
}
