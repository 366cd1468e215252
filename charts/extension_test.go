package charts_test

import (
	"context"
	"maps"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	vpaautoscalingv1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"

	extensionscmdcontroller "github.com/gardener/gardener/extensions/pkg/controller/cmd"
	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
	seedapp "github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-runtime-sandbox/app"
)

var _ = Describe("The seed component chart", func() {
	const namespace = "extension-runtime-sandbox-x7k2q"

	var (
		// name is the name the extension library gives the webhook service, derived from the component's name.
		name   = extensionswebhook.PrefixedName(seedapp.Name, false)
		labels = map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/instance": "runtime-sandbox"}
		objs   objects
	)

	renderWith := func(values map[string]any) objects {
		GinkgoHelper()
		return render(charts.ExtensionChartPath, namespace, values)
	}

	Context("with the default values", func() {
		BeforeEach(func() { objs = renderWith(nil) })

		It("renders exactly the component's objects, in the release namespace", func() {
			Expect(objs.keys()).To(ConsistOf(
				"Deployment/"+name,
				"Service/"+name,
				"ServiceAccount/"+name,
				"ClusterRole/extensions.gardener.cloud:runtime-sandbox",
				"ClusterRoleBinding/extensions.gardener.cloud:runtime-sandbox",
				"Role/"+name,
				"RoleBinding/"+name,
				"PodDisruptionBudget/"+name,
				"VerticalPodAutoscaler/"+name,
			))
			for key, obj := range objs {
				switch obj.(type) {
				case *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding:
					Expect(obj.GetNamespace()).To(BeEmpty(), key)
				default:
					Expect(obj.GetNamespace()).To(Equal(namespace), key)
				}
				Expect(obj.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/name", name), key)
			}
		})

		It("runs two replicas that every serve the webhooks, spread over zones and nodes", func() {
			d := get[*appsv1.Deployment](objs, "Deployment", name)
			Expect(d.Spec.Replicas).To(HaveValue(BeEquivalentTo(2)))
			Expect(d.Labels).To(HaveKeyWithValue("high-availability-config.resources.gardener.cloud/type", "server"))
			Expect(d.Spec.Strategy.RollingUpdate.MaxUnavailable).To(HaveValue(Equal(intstr.FromInt32(0))))
			Expect(d.Spec.Selector.MatchLabels).To(Equal(labels))
			Expect(d.Spec.Template.Labels).To(Equal(withLabels(labels, map[string]string{
				"networking.gardener.cloud/to-dns":                                         "allowed",
				"networking.gardener.cloud/to-runtime-apiserver":                           "allowed",
				"networking.resources.gardener.cloud/to-all-shoots-kube-apiserver-tcp-443": "allowed",
			})))

			spec := d.Spec.Template.Spec
			Expect(spec.ServiceAccountName).To(Equal(name))
			Expect(spec.PriorityClassName).To(Equal("gardener-system-900"))
			Expect(spec.TopologySpreadConstraints).To(HaveLen(2))
			for i, key := range []string{corev1.LabelTopologyZone, corev1.LabelHostname} {
				c := spec.TopologySpreadConstraints[i]
				Expect(c.TopologyKey).To(Equal(key))
				Expect(c.MaxSkew).To(BeEquivalentTo(1))
				Expect(c.WhenUnsatisfiable).To(Equal(corev1.ScheduleAnyway))
				Expect(c.LabelSelector.MatchLabels).To(Equal(labels))
				Expect(c.MatchLabelKeys).To(ConsistOf(appsv1.DefaultDeploymentUniqueLabelKey))
			}
		})

		It("passes the flags the binary knows, with leader election and the webhook service, the installer image left to the image vector", func() {
			c := container(get[*appsv1.Deployment](objs, "Deployment", name))
			Expect(c.Image).To(Equal("europe-docker.pkg.dev/gardener-project/public/gardener/extensions/runtime-sandbox:" + chartAppVersion(charts.ExtensionChartPath)))
			Expect(c.Args).To(Equal([]string{
				"--leader-election=true",
				"--webhook-config-mode=service",
				"--webhook-config-namespace=" + namespace,
				"--webhook-config-server-port=10250",
				"--webhook-config-service-port=443",
				"--metrics-bind-address=:8080",
				"--health-bind-address=:8081",
				"--max-concurrent-reconciles=5",
				"--ignore-operation-annotation=false",
				"--healthcheck-sync-period=30s",
				"--pod-admission=auto",
				"--log-level=info",
				"--log-format=json",
			}))

			cmd := seedapp.NewCommand(context.Background())
			Expect(cmd.ParseFlags(c.Args)).To(Succeed())
			flags := cmd.Flags()
			Expect(flags.GetBool("leader-election")).To(BeTrue())
			Expect(flags.GetString("leader-election-id")).To(Equal(extensionscmdcontroller.LeaderElectionNameID(seedapp.Name)))
			Expect(flags.GetString("webhook-config-mode")).To(Equal(extensionswebhook.ModeService))
			Expect(flags.GetInt("webhook-config-server-port")).To(Equal(10250))
			Expect(flags.GetStringSlice("disable-webhooks")).To(BeEmpty())
			Expect(flags.GetBool("disable-containerruntime-controller")).To(BeFalse())
			// The webhook server's certificates go below /tmp, the only writable path.
			Expect(flags.GetString("webhook-config-cert-dir")).To(HavePrefix("/tmp/"))
		})

		It("gives the binary its namespace for leader election and the webhook configuration", func() {
			c := container(get[*appsv1.Deployment](objs, "Deployment", name))
			fromNamespace := &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}
			Expect(c.Env).To(ConsistOf(
				corev1.EnvVar{Name: "LEADER_ELECTION_NAMESPACE", ValueFrom: fromNamespace},
				corev1.EnvVar{Name: "WEBHOOK_CONFIG_NAMESPACE", ValueFrom: fromNamespace},
			))
		})

		It("exposes the webhook, metrics and health ports and probes health and readiness", func() {
			c := container(get[*appsv1.Deployment](objs, "Deployment", name))
			Expect(c.Ports).To(ConsistOf(
				corev1.ContainerPort{Name: "webhook-server", ContainerPort: 10250, Protocol: corev1.ProtocolTCP},
				corev1.ContainerPort{Name: "metrics", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
				corev1.ContainerPort{Name: "health", ContainerPort: 8081, Protocol: corev1.ProtocolTCP},
			))
			Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
			Expect(c.LivenessProbe.HTTPGet.Port).To(Equal(intstr.FromString("health")))
			Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
			Expect(c.ReadinessProbe.HTTPGet.Port).To(Equal(intstr.FromString("health")))
			Expect(c.Resources.Requests).To(HaveKeyWithValue(corev1.ResourceMemory, resource.MustParse("128Mi")))
		})

		It("runs as non-root with a read-only root filesystem, no capabilities and a writable /tmp", func() {
			d := get[*appsv1.Deployment](objs, "Deployment", name)
			expectRestricted(d)
		})

		It("exposes the webhook on port 443 under the name the extension library addresses, open to the API servers and Prometheus", func() {
			svc := get[*corev1.Service](objs, "Service", name)
			Expect(svc.Spec.Selector).To(Equal(labels))
			Expect(svc.Spec.Ports).To(ConsistOf(
				corev1.ServicePort{Name: "webhook-server", Port: 443, TargetPort: intstr.FromInt32(10250), Protocol: corev1.ProtocolTCP},
				corev1.ServicePort{Name: "metrics", Port: 8080, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP},
			))
			Expect(svc.Annotations).To(Equal(map[string]string{
				"networking.resources.gardener.cloud/from-world-to-ports":                        networkPolicyPorts(10250),
				"networking.resources.gardener.cloud/from-all-webhook-targets-allowed-ports":     networkPolicyPorts(10250),
				"networking.resources.gardener.cloud/from-all-seed-scrape-targets-allowed-ports": networkPolicyPorts(8080),
				"networking.resources.gardener.cloud/namespace-selectors":                        `[{"matchLabels":{"kubernetes.io/metadata.name":"garden"}},{"matchLabels":{"gardener.cloud/role":"shoot"}}]`,
				"networking.resources.gardener.cloud/pod-label-selector-namespace-alias":         "extensions",
			}))
		})

		It("keeps one replica available and scales it vertically", func() {
			pdb := get[*policyv1.PodDisruptionBudget](objs, "PodDisruptionBudget", name)
			Expect(pdb.Spec.MaxUnavailable).To(HaveValue(Equal(intstr.FromInt32(1))))
			Expect(pdb.Spec.Selector.MatchLabels).To(Equal(labels))

			vpa := get[*vpaautoscalingv1.VerticalPodAutoscaler](objs, "VerticalPodAutoscaler", name)
			Expect(vpa.Spec.TargetRef.Kind).To(Equal("Deployment"))
			Expect(vpa.Spec.TargetRef.Name).To(Equal(name))
			Expect(vpa.Spec.ResourcePolicy.ContainerPolicies).To(ConsistOf(HaveField("ContainerName", name)))
		})

		It("grants in the seed exactly what the controller, the webhooks and the certificate management use", func() {
			role := get[*rbacv1.ClusterRole](objs, "ClusterRole", "extensions.gardener.cloud:runtime-sandbox")
			Expect(role.Rules).To(Equal([]rbacv1.PolicyRule{
				{APIGroups: []string{"extensions.gardener.cloud"}, Resources: []string{"clusters"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{"extensions.gardener.cloud"}, Resources: []string{"containerruntimes"}, Verbs: []string{"get", "list", "watch", "patch"}},
				{APIGroups: []string{"extensions.gardener.cloud"}, Resources: []string{"containerruntimes/status"}, Verbs: []string{"patch", "update"}},
				{APIGroups: []string{"resources.gardener.cloud"}, Resources: []string{"managedresources"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "create", "update", "delete"}},
				{APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: []string{namespace}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"mutatingwebhookconfigurations"}, Verbs: []string{"create"}},
				{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"mutatingwebhookconfigurations"}, ResourceNames: []string{name}, Verbs: []string{"get", "list", "watch", "patch"}},
			}))
			binding := get[*rbacv1.ClusterRoleBinding](objs, "ClusterRoleBinding", "extensions.gardener.cloud:runtime-sandbox")
			Expect(binding.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name}))
			Expect(binding.Subjects).To(ConsistOf(serviceAccountSubject(name, namespace)))
		})

		It("grants the certificate secrets, leader election and its events only in the component's namespace", func() {
			role := get[*rbacv1.Role](objs, "Role", name)
			Expect(role.Rules).To(Equal([]rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
				{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
				{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{extensionscmdcontroller.LeaderElectionNameID(seedapp.Name)}, Verbs: []string{"get", "update"}},
				{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
			}))
			binding := get[*rbacv1.RoleBinding](objs, "RoleBinding", name)
			Expect(binding.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}))
			Expect(binding.Subjects).To(ConsistOf(serviceAccountSubject(name, namespace)))
		})
	})

	It("renders the same objects with the values gardenlet adds", func() {
		Expect(renderWith(gardenletValues())).To(Equal(renderWith(nil)))
	})

	It("lets an image vector override the binary's images the Gardener way", func() {
		overwrite := "images:\n- name: runtime-sandbox-installer\n  repository: registry.example/installer\n  tag: v9\n"
		objs = renderWith(map[string]any{"imageVectorOverwrite": overwrite})
		cm := get[*corev1.ConfigMap](objs, "ConfigMap", name+"-imagevector-overwrite")
		Expect(cm.Data).To(HaveKeyWithValue("images_overwrite.yaml", overwrite))
		d := get[*appsv1.Deployment](objs, "Deployment", name)
		c := container(d)
		Expect(c.Env).To(ContainElement(corev1.EnvVar{Name: "IMAGEVECTOR_OVERWRITE", Value: "/charts_overwrite/images_overwrite.yaml"}))
		Expect(c.VolumeMounts).To(ContainElement(corev1.VolumeMount{Name: "imagevector-overwrite", MountPath: "/charts_overwrite", ReadOnly: true}))
		Expect(d.Spec.Template.Spec.Volumes).To(ContainElement(HaveField("ConfigMap.LocalObjectReference.Name", cm.Name)))
		Expect(d.Spec.Template.Annotations).To(HaveKey("checksum/imagevector-overwrite"))
	})

	It("takes the image tags from the version, an explicit tag winning", func() {
		objs = renderWith(map[string]any{
			"version":        "v0.3.0",
			"image":          map[string]any{"repository": "registry.example/runtime-sandbox"},
			"installerImage": map[string]any{"repository": "registry.example/installer", "tag": "v0.3.1"},
		})
		c := container(get[*appsv1.Deployment](objs, "Deployment", name))
		Expect(c.Image).To(Equal("registry.example/runtime-sandbox:v0.3.0"))
		Expect(c.Args).To(ContainElement("--installer-image=registry.example/installer:v0.3.1"))
	})

	It("passes the controller and webhook settings of the values", func() {
		objs = renderWith(map[string]any{
			"controllers":     map[string]any{"maxConcurrentReconciles": 10, "ignoreOperationAnnotation": true, "healthCheckSyncPeriod": "1m"},
			"disableWebhooks": []string{"osc"},
			"replicaCount":    3,
		})
		d := get[*appsv1.Deployment](objs, "Deployment", name)
		Expect(d.Spec.Replicas).To(HaveValue(BeEquivalentTo(3)))

		cmd := seedapp.NewCommand(context.Background())
		Expect(cmd.ParseFlags(container(d).Args)).To(Succeed())
		flags := cmd.Flags()
		Expect(flags.GetInt("max-concurrent-reconciles")).To(Equal(10))
		Expect(flags.GetBool("ignore-operation-annotation")).To(BeTrue())
		Expect(flags.GetDuration("healthcheck-sync-period")).To(Equal(time.Minute))
		Expect(flags.GetStringSlice("disable-webhooks")).To(ConsistOf("osc"))
	})

	It("renders no VerticalPodAutoscaler when VPA is disabled", func() {
		objs = renderWith(map[string]any{"vpa": map[string]any{"enabled": false}})
		Expect(objs).NotTo(HaveKey("VerticalPodAutoscaler/" + name))
		Expect(objs).To(HaveKey("Deployment/" + name))
	})
})

// withLabels returns the union of label sets.
func withLabels(sets ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range sets {
		maps.Copy(out, s)
	}
	return out
}

// expectRestricted checks that a Deployment's pods run as non-root without privileges, with a read-only root
// filesystem and an emptyDir at /tmp.
func expectRestricted(d *appsv1.Deployment) {
	GinkgoHelper()
	pod := d.Spec.Template.Spec
	Expect(pod.SecurityContext.RunAsNonRoot).To(HaveValue(BeTrue()))
	Expect(pod.SecurityContext.RunAsUser).To(HaveValue(BeNumerically(">", 0)))
	Expect(pod.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))

	c := container(d)
	Expect(c.SecurityContext.AllowPrivilegeEscalation).To(HaveValue(BeFalse()))
	Expect(c.SecurityContext.ReadOnlyRootFilesystem).To(HaveValue(BeTrue()))
	Expect(c.SecurityContext.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
	Expect(c.SecurityContext.Capabilities.Add).To(BeEmpty())
	Expect(c.SecurityContext.Privileged).To(Or(BeNil(), HaveValue(BeFalse())))

	Expect(c.VolumeMounts).To(ContainElement(corev1.VolumeMount{Name: "tmp", MountPath: "/tmp"}))
	Expect(pod.Volumes).To(ContainElement(corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}))
}
