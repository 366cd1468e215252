package charts_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"
	"github.com/gardener/gardener/pkg/utils"
	gardenerutils "github.com/gardener/gardener/pkg/utils/gardener"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
	admissionapp "github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-admission-runtime-sandbox/app"
)

// These specs deploy the admission component's parts the way gardener-operator v1.149 deploys an Extension's
// admission (pkg/operator/controller/extension/extension/admission of the Gardener module): each part's chart archive
// (as `make charts` packages it) is rendered with the Extension's admission values merged with exactly the values
// gardener-operator adds, and the runtime part's workloads get the virtual garden's kubeconfig injected by
// gardener-operator's own function.
var _ = Describe("The admission parts, deployed by gardener-operator", func() {
	const (
		// extensionName is the Extension's name (example/extension.yaml).
		extensionName = "runtime-sandbox"
		// gardenNamespace is where gardener-operator deploys the runtime part.
		gardenNamespace = v1beta1constants.GardenNamespace
		// genericKubeconfig is the name of the runtime cluster's generic token kubeconfig secret.
		genericKubeconfig = "generic-token-kubeconfig-a1b2c3d4"
	)
	var (
		name = "gardener-extension-admission-runtime-sandbox"
		// accessSecret is the token secret gardener-operator creates for the runtime part's garden access.
		accessSecret = gardenerutils.NewShootAccessSecret("extension-admission-"+extensionName, gardenNamespace)
		// virtualNamespace is where gardener-operator renders the application part.
		virtualNamespace = "extension-" + extensionName
		// extensionValues are example/extension.yaml's spec.deployment.admission.values.
		extensionValues = map[string]any{"requiredMachineCapabilities": []any{"kata:nestedVirtualization=supported"}}
	)

	renderArchive := func(chartPath, namespace string, gardenerValues map[string]any) map[string][]byte {
		GinkgoHelper()
		archive, err := charts.Archive(chartPath)
		Expect(err).NotTo(HaveOccurred())
		rendered, err := renderer.RenderArchive(archive, extensionName, namespace, utils.MergeMaps(extensionValues, gardenerValues))
		Expect(err).NotTo(HaveOccurred())
		return rendered.AsSecretData()
	}
	decode := func(secretData map[string][]byte) objects {
		GinkgoHelper()
		objs := objects{}
		for file, data := range secretData {
			reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
			for {
				doc, err := reader.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				Expect(err).NotTo(HaveOccurred())
				if strings.TrimSpace(string(doc)) == "" {
					continue
				}
				obj, gvk, err := decoder.Decode(doc, nil, nil)
				Expect(err).NotTo(HaveOccurred(), file)
				o := obj.(client.Object)
				objs[gvk.Kind+"/"+o.GetName()] = o
			}
		}
		return objs
	}

	It("runs the runtime part in the runtime cluster with the operator's priority class, and the virtual garden as its garden", func() {
		secretData := renderArchive(charts.AdmissionRuntimeChartPath, gardenNamespace, map[string]any{
			"gardener": map[string]any{
				"runtimeCluster": map[string]any{"priorityClassName": v1beta1constants.PriorityClassNameGardenSystem400},
				"virtualCluster": map[string]any{"enabled": true, "namespace": virtualNamespace},
			},
		})
		Expect(gardenerutils.MutateObjectsInSecretData(secretData, gardenNamespace, []string{appsv1.GroupName, batchv1.GroupName},
			func(obj runtime.Object) error {
				return gardenerutils.InjectGenericGardenKubeconfig(obj, genericKubeconfig, accessSecret.Secret.Name, gardenerutils.VolumeMountPathGenericKubeconfig)
			})).To(Succeed())
		objs := decode(secretData)
		Expect(objs.keys()).To(ConsistOf(
			"Deployment/"+name, "Service/"+name, "ServiceAccount/"+name, "Role/"+name, "RoleBinding/"+name,
			"PodDisruptionBudget/"+name, "VerticalPodAutoscaler/"+name,
		))

		d := get[*appsv1.Deployment](objs, "Deployment", name)
		Expect(d.Namespace).To(Equal(gardenNamespace))
		Expect(d.Spec.Template.Spec.PriorityClassName).To(Equal(v1beta1constants.PriorityClassNameGardenSystem400))
		Expect(d.Spec.Template.Labels).To(HaveKeyWithValue("networking.resources.gardener.cloud/to-virtual-garden-kube-apiserver-tcp-443", "allowed"))

		c := container(d)
		var kubeconfig string
		for _, env := range c.Env {
			if env.Name == v1beta1constants.EnvGenericGardenKubeconfig {
				kubeconfig = env.Value
			}
		}
		Expect(kubeconfig).NotTo(BeEmpty(), "gardener-operator injected the garden kubeconfig")
		// The kubelet expands $(VAR) in arguments with the container's environment.
		args := make([]string, len(c.Args))
		for i, arg := range c.Args {
			args[i] = strings.ReplaceAll(arg, "$("+v1beta1constants.EnvGenericGardenKubeconfig+")", kubeconfig)
		}
		cmd := admissionapp.NewCommand(context.Background())
		Expect(cmd.ParseFlags(args)).To(Succeed())
		flag := func(name string) string { return cmd.Flags().Lookup(name).Value.String() }
		Expect(flag("kubeconfig")).To(Equal(gardenerutils.VolumeMountPathGenericKubeconfig+"/kubeconfig"), "the component's garden is the virtual garden")
		Expect(flag("webhook-config-mode")).To(Equal("url"), "the virtual garden's API server is not this cluster's: it calls the webhook by URL")
		Expect(flag("webhook-config-url")).To(Equal(name + "." + gardenNamespace))
		Expect(flag(admissionapp.RequiredMachineCapabilitiesFlag)).To(Equal("[kata:nestedVirtualization=supported]"))
		Expect(c.VolumeMounts).To(ContainElement(HaveField("MountPath", gardenerutils.VolumeMountPathGenericKubeconfig)))

		svc := get[*corev1.Service](objs, "Service", name)
		Expect(svc.Annotations).To(HaveKeyWithValue("networking.resources.gardener.cloud/from-all-webhook-targets-allowed-ports", networkPolicyPorts(10250)))
	})

	It("gives the application part's permissions in the virtual garden to the operator's ServiceAccount", func() {
		objs := decode(renderArchive(charts.AdmissionApplicationChartPath, virtualNamespace, map[string]any{
			"gardener": map[string]any{
				"virtualCluster": map[string]any{
					"enabled":        true,
					"serviceAccount": map[string]any{"name": accessSecret.ServiceAccountName, "namespace": "kube-system"},
				},
			},
		}))
		role := "extensions.gardener.cloud:admission-runtime-sandbox"
		Expect(objs.keys()).To(ConsistOf("ClusterRole/"+role, "ClusterRoleBinding/"+role))
		Expect(get[*rbacv1.ClusterRoleBinding](objs, "ClusterRoleBinding", role).Subjects).To(ConsistOf(
			rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: accessSecret.ServiceAccountName, Namespace: "kube-system"}))
	})
})
