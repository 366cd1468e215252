package charts_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	vpaautoscalingv1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"

	extensionscmdcontroller "github.com/gardener/gardener/extensions/pkg/controller/cmd"
	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
	admissionapp "github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-admission-runtime-sandbox/app"
)

var _ = Describe("The admission component chart", func() {
	const (
		namespace       = "garden"
		applicationRole = "extensions.gardener.cloud:admission-runtime-sandbox"
	)

	var (
		// name is the name the extension library gives the webhook service, derived from the component's name.
		name   = extensionswebhook.PrefixedName(admissionapp.Name, false)
		labels = map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/instance": "runtime-sandbox"}
		objs   objects

		applicationRules = []rbacv1.PolicyRule{
			{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"cloudprofiles", "namespacedcloudprofiles"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: []string{namespace}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"validatingwebhookconfigurations"}, Verbs: []string{"create"}},
			{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"validatingwebhookconfigurations"}, ResourceNames: []string{name}, Verbs: []string{"get", "list", "watch", "patch"}},
		}
		runtimeObjects = []string{
			"Deployment/" + name,
			"Service/" + name,
			"ServiceAccount/" + name,
			"Role/" + name,
			"RoleBinding/" + name,
			"PodDisruptionBudget/" + name,
			"VerticalPodAutoscaler/" + name,
		}
		applicationObjects = []string{
			"ClusterRole/" + applicationRole,
			"ClusterRoleBinding/" + applicationRole,
		}
	)

	// renderWith renders the chart with both parts; values are the runtime part's, except runtime and application,
	// which go to the parent chart (each part's enabled switch and values).
	renderWith := func(values map[string]any) objects {
		GinkgoHelper()
		parent := map[string]any{}
		runtimePart := map[string]any{}
		for k, v := range values {
			switch k {
			case "runtime", "application":
				parent[k] = v
			default:
				runtimePart[k] = v
			}
		}
		if len(runtimePart) > 0 {
			r, _ := parent["runtime"].(map[string]any)
			if r == nil {
				r = map[string]any{}
			}
			for k, v := range runtimePart {
				r[k] = v
			}
			parent["runtime"] = r
		}
		return render(charts.AdmissionChartPath, namespace, parent)
	}

	// parseArgs parses the container's arguments with the binary's own flags.
	parseArgs := func(c corev1.Container) func(string) any {
		GinkgoHelper()
		cmd := admissionapp.NewCommand(context.Background())
		Expect(cmd.ParseFlags(c.Args)).To(Succeed())
		return func(flag string) any {
			GinkgoHelper()
			f := cmd.Flags().Lookup(flag)
			Expect(f).NotTo(BeNil(), flag)
			return f.Value.String()
		}
	}

	Context("with the default values (the garden is the cluster the component runs in)", func() {
		BeforeEach(func() { objs = renderWith(nil) })

		It("renders the runtime and the application part, in the release namespace", func() {
			Expect(objs.keys()).To(ConsistOf(append(runtimeObjects, applicationObjects...)))
			for key, obj := range objs {
				switch obj.(type) {
				case *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding:
					Expect(obj.GetNamespace()).To(BeEmpty(), key)
				default:
					Expect(obj.GetNamespace()).To(Equal(namespace), key)
				}
			}
		})

		It("runs two replicas with leader election, the webhook service and the component's namespace", func() {
			d := get[*appsv1.Deployment](objs, "Deployment", name)
			Expect(d.Spec.Replicas).To(HaveValue(BeEquivalentTo(2)))
			Expect(d.Spec.Selector.MatchLabels).To(Equal(labels))
			Expect(d.Spec.Template.Labels).To(Equal(withLabels(labels, map[string]string{
				"networking.gardener.cloud/to-dns":               "allowed",
				"networking.gardener.cloud/to-runtime-apiserver": "allowed",
			})))
			Expect(d.Spec.Template.Spec.PriorityClassName).To(Equal("gardener-garden-system-400"))
			Expect(d.Spec.Template.Spec.ServiceAccountName).To(Equal(name))
			Expect(d.Spec.Template.Spec.TopologySpreadConstraints).To(HaveLen(2))

			c := container(d)
			Expect(c.Image).To(Equal("europe-docker.pkg.dev/gardener-project/public/gardener/extensions/admission-runtime-sandbox:" + chartAppVersion(charts.AdmissionRuntimeChartPath)))
			Expect(c.Args).To(Equal([]string{
				"--leader-election=true",
				"--webhook-config-mode=service",
				"--webhook-config-namespace=" + namespace,
				"--webhook-config-server-port=10250",
				"--webhook-config-service-port=443",
				"--metrics-bind-address=:8080",
				"--health-bind-address=:8081",
				"--log-level=info",
				"--log-format=json",
			}))
			flag := parseArgs(c)
			Expect(flag("leader-election-id")).To(Equal(extensionscmdcontroller.LeaderElectionNameID(admissionapp.Name)))
			Expect(flag("kubeconfig")).To(BeEmpty())
			Expect(flag(admissionapp.RequiredMachineCapabilitiesFlag)).To(Equal("[]"))
			Expect(flag("webhook-config-cert-dir")).To(HavePrefix("/tmp/"))

			fromNamespace := &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}
			Expect(c.Env).To(ConsistOf(
				corev1.EnvVar{Name: "LEADER_ELECTION_NAMESPACE", ValueFrom: fromNamespace},
				corev1.EnvVar{Name: "WEBHOOK_CONFIG_NAMESPACE", ValueFrom: fromNamespace},
			))
			Expect(c.Ports).To(ContainElement(corev1.ContainerPort{Name: "webhook-server", ContainerPort: 10250, Protocol: corev1.ProtocolTCP}))
			Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
			Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
			expectRestricted(d)
		})

		It("exposes the webhook on port 443 under the name the extension library addresses, to this cluster's API server", func() {
			svc := get[*corev1.Service](objs, "Service", name)
			Expect(svc.Spec.Selector).To(Equal(labels))
			Expect(svc.Spec.Ports).To(ContainElement(corev1.ServicePort{Name: "webhook-server", Port: 443, TargetPort: intstr.FromInt32(10250), Protocol: corev1.ProtocolTCP}))
			Expect(svc.Annotations).To(Equal(map[string]string{
				"networking.resources.gardener.cloud/from-world-to-ports":                          networkPolicyPorts(10250),
				"networking.resources.gardener.cloud/from-all-garden-scrape-targets-allowed-ports": networkPolicyPorts(8080),
			}))
		})

		It("keeps one replica available and scales it vertically", func() {
			pdb := get[*policyv1.PodDisruptionBudget](objs, "PodDisruptionBudget", name)
			Expect(pdb.Spec.MaxUnavailable).To(HaveValue(Equal(intstr.FromInt32(1))))
			Expect(pdb.Spec.Selector.MatchLabels).To(Equal(labels))
			vpa := get[*vpaautoscalingv1.VerticalPodAutoscaler](objs, "VerticalPodAutoscaler", name)
			Expect(vpa.Spec.TargetRef.Name).To(Equal(name))
		})

		It("grants in the garden exactly what the Shoot validation and the webhook registration use", func() {
			role := get[*rbacv1.ClusterRole](objs, "ClusterRole", applicationRole)
			Expect(role.Rules).To(Equal(applicationRules))
			binding := get[*rbacv1.ClusterRoleBinding](objs, "ClusterRoleBinding", applicationRole)
			Expect(binding.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: applicationRole}))
			Expect(binding.Subjects).To(ConsistOf(serviceAccountSubject(name, namespace)))
		})

		It("grants the certificate secrets and the leader election in the component's namespace", func() {
			role := get[*rbacv1.Role](objs, "Role", name)
			Expect(role.Rules).To(Equal([]rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
				{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
				{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{extensionscmdcontroller.LeaderElectionNameID(admissionapp.Name)}, Verbs: []string{"get", "update"}},
				{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
			}))
			Expect(get[*rbacv1.RoleBinding](objs, "RoleBinding", name).Subjects).To(ConsistOf(serviceAccountSubject(name, namespace)))
		})
	})

	It("renders the same objects with the values Gardener adds", func() {
		Expect(renderWith(gardenletValues())).To(Equal(renderWith(nil)))
	})

	It("passes each required machine capability and the disabled webhooks", func() {
		objs = renderWith(map[string]any{
			"requiredMachineCapabilities": []string{"kata:nestedVirtualization=supported", "kata:architecture=amd64"},
			"disableWebhooks":             []string{"shoot-gvisor"},
		})
		c := container(get[*appsv1.Deployment](objs, "Deployment", name))
		Expect(c.Args).To(ContainElements(
			"--required-machine-capabilities=kata:nestedVirtualization=supported",
			"--required-machine-capabilities=kata:architecture=amd64",
			"--disable-webhooks=shoot-gvisor",
		))
		flag := parseArgs(c)
		Expect(flag(admissionapp.RequiredMachineCapabilitiesFlag)).To(Equal("[kata:nestedVirtualization=supported,kata:architecture=amd64]"))
		Expect(flag("disable-webhooks")).To(Equal("[shoot-gvisor]"))
	})

	Context("with a virtual garden", func() {
		BeforeEach(func() {
			objs = renderWith(map[string]any{
				"garden":        map[string]any{"kubeconfigSecretName": "garden-access"},
				"webhookConfig": map[string]any{"mode": "url"},
				"application":   map[string]any{"enabled": false},
			})
		})

		It("renders only the runtime part into the cluster the component runs in", func() {
			Expect(objs.keys()).To(ConsistOf(runtimeObjects))
		})

		It("mounts the kubeconfig, passes it and registers the webhook by URL", func() {
			d := get[*appsv1.Deployment](objs, "Deployment", name)
			Expect(d.Spec.Template.Labels).To(HaveKeyWithValue("networking.resources.gardener.cloud/to-virtual-garden-kube-apiserver-tcp-443", "allowed"))
			Expect(d.Spec.Template.Spec.Volumes).To(ContainElement(corev1.Volume{
				Name:         "garden-kubeconfig",
				VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "garden-access"}},
			}))
			c := container(d)
			Expect(c.VolumeMounts).To(ContainElement(corev1.VolumeMount{Name: "garden-kubeconfig", MountPath: "/etc/gardener-extension-admission-runtime-sandbox/garden", ReadOnly: true}))
			flag := parseArgs(c)
			Expect(flag("kubeconfig")).To(Equal("/etc/gardener-extension-admission-runtime-sandbox/garden/kubeconfig"))
			Expect(flag("webhook-config-mode")).To(Equal(extensionswebhook.ModeURL))
			Expect(flag("webhook-config-url")).To(Equal(name + "." + namespace))
			expectRestricted(d)
		})

		It("opens the webhook port to the virtual garden's API server", func() {
			svc := get[*corev1.Service](objs, "Service", name)
			Expect(svc.Annotations).To(Equal(map[string]string{
				"networking.resources.gardener.cloud/from-all-webhook-targets-allowed-ports":       networkPolicyPorts(10250),
				"networking.resources.gardener.cloud/from-all-garden-scrape-targets-allowed-ports": networkPolicyPorts(8080),
			}))
		})

		It("renders only the application part, for the given identity, into the virtual garden", func() {
			subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "extension-admission-runtime-sandbox", Namespace: "kube-system"}
			objs = renderWith(map[string]any{
				"runtime":     map[string]any{"enabled": false},
				"application": map[string]any{"subjects": []rbacv1.Subject{subject}},
			})
			Expect(objs.keys()).To(ConsistOf(applicationObjects))
			Expect(get[*rbacv1.ClusterRole](objs, "ClusterRole", applicationRole).Rules).To(Equal(applicationRules))
			Expect(get[*rbacv1.ClusterRoleBinding](objs, "ClusterRoleBinding", applicationRole).Subjects).To(ConsistOf(subject))
		})
	})

	It("lets the garden's Prometheus and API servers reach a component outside the garden namespace", func() {
		objs = render(charts.AdmissionChartPath, "extension-admission-runtime-sandbox", nil)
		svc := get[*corev1.Service](objs, "Service", name)
		Expect(svc.Annotations).To(HaveKeyWithValue("networking.resources.gardener.cloud/namespace-selectors", `[{"matchLabels":{"kubernetes.io/metadata.name":"garden"}}]`))
		Expect(svc.Annotations).To(HaveKeyWithValue("networking.resources.gardener.cloud/pod-label-selector-namespace-alias", "extensions"))
	})

	It("renders no VerticalPodAutoscaler when VPA is disabled", func() {
		objs = renderWith(map[string]any{"vpa": map[string]any{"enabled": false}})
		Expect(objs).NotTo(HaveKey("VerticalPodAutoscaler/" + name))
		Expect(objs).To(HaveKey("Deployment/" + name))
	})
})
