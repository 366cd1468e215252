package leastprivilege_test

import (
	"fmt"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/chartrenderer"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/integration/setup"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// componentNamespace is where gardenlet would deploy the seed component's chart.
const componentNamespace = "extension-runtime-sandbox-lp"

// applyChartRBAC renders the seed component's chart into componentNamespace and creates its ServiceAccount and
// RBAC in the API server; it returns the ServiceAccount's name.
func applyChartRBAC(c client.Client) string {
	GinkgoHelper()
	Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: componentNamespace}})).To(Succeed())
	rendered, err := chartrenderer.NewWithServerVersion(&version.Info{}).RenderEmbeddedFS(charts.Charts, charts.ExtensionChartPath, "runtime-sandbox", componentNamespace, nil)
	Expect(err).NotTo(HaveOccurred())
	decoder := clientgoscheme.Codecs.UniversalDeserializer()
	var serviceAccount string
	for _, manifest := range rendered.Manifests {
		obj, _, err := decoder.Decode([]byte(manifest.Content), nil, nil)
		if err != nil {
			continue // kinds client-go does not know (the VPA) grant nothing
		}
		switch o := obj.(type) {
		case *corev1.ServiceAccount:
			serviceAccount = o.Name
			Expect(c.Create(ctx, o)).To(Succeed())
		case *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding, *rbacv1.Role, *rbacv1.RoleBinding:
			Expect(c.Create(ctx, o.(client.Object))).To(Succeed())
		}
	}
	Expect(serviceAccount).NotTo(BeEmpty())
	return serviceAccount
}

// kubeconfigOf writes a kubeconfig that authenticates as the ServiceAccount componentNamespace/sa with a fresh token.
func kubeconfigOf(land *landscape.Landscape, sa string) string {
	GinkgoHelper()
	token, err := kubernetes.NewForConfigOrDie(land.Config).CoreV1().ServiceAccounts(componentNamespace).CreateToken(ctx, sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: new(int64(3600))}}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	config := clientcmdapi.NewConfig()
	config.Clusters["landscape"] = &clientcmdapi.Cluster{Server: land.Config.Host, CertificateAuthorityData: land.Config.CAData}
	config.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: token.Status.Token}
	config.Contexts["default"] = &clientcmdapi.Context{Cluster: "landscape", AuthInfo: sa}
	config.CurrentContext = "default"
	path := filepath.Join(GinkgoT().TempDir(), "kubeconfig")
	Expect(clientcmd.WriteToFile(*config, path)).To(Succeed())
	return path
}

// allowed asks the API server whether the ServiceAccount may do verb on resource in namespace.
func allowed(land *landscape.Landscape, sa, verb, resource, namespace string) bool {
	GinkgoHelper()
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               fmt.Sprintf("system:serviceaccount:%s:%s", componentNamespace, sa),
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + componentNamespace},
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Resource: resource, Namespace: namespace},
	}}
	Expect(land.Client.Create(ctx, review)).To(Succeed())
	return review.Status.Allowed
}

var _ = Describe("The seed component with exactly its chart's RBAC and Gardener's certificate management", Ordered, func() {
	var (
		land *landscape.Landscape
		sa   string
		seed *landscape.Component
	)

	BeforeAll(func() {
		land = setup.Landscape(ctx)
		Expect(land.BootstrapSeed(ctx)).To(Succeed())
		sa = applyChartRBAC(land.Client)

		By("starting the seed component as the chart's ServiceAccount, with its webhook certificates managed in its namespace")
		var err error
		seed, err = land.StartSeed(ctx,
			"--kubeconfig="+kubeconfigOf(land, sa),
			"--webhook-config-namespace="+componentNamespace,
			"--leader-election=true",
			"--leader-election-namespace="+componentNamespace,
			"--healthcheck-sync-period=2s",
			"--webhook-certificate-sync-period=1s",
		)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(seed.Stop()).To(Succeed()) })
	})

	It("never lists or watches Secrets outside its namespace: it holds no shoot's credentials in a cache", func() {
		for _, verb := range []string{"list", "watch"} {
			Expect(allowed(land, sa, verb, "secrets", samples.ShootNamespace)).To(BeFalse(), "%s secrets in a shoot namespace", verb)
			Expect(allowed(land, sa, verb, "secrets", "")).To(BeFalse(), "%s secrets cluster-wide", verb)
		}
		Expect(allowed(land, sa, "get", "secrets", samples.ShootNamespace)).To(BeTrue())
		Expect(allowed(land, sa, "list", "secrets", componentNamespace)).To(BeTrue(), "its own certificate secrets")
		Expect(allowed(land, sa, "list", "namespaces", "")).To(BeFalse())
		Expect(allowed(land, sa, "list", "mutatingwebhookconfigurations", "")).To(BeFalse())
	})

	It("has its webhook certificates created in its namespace by Gardener's certificate management", func() {
		secrets := &corev1.SecretList{}
		Expect(land.Client.List(ctx, secrets, client.InNamespace(componentNamespace))).To(Succeed())
		Expect(secrets.Items).NotTo(BeEmpty())
	})

	It("reconciles the ContainerRuntimes, deploys their ManagedResources and computes their health", func() {
		crs, err := land.DeployContainerRuntimes(ctx, 2*time.Minute)
		Expect(err).NotTo(HaveOccurred())
		for _, cr := range crs {
			Expect(land.Client.Get(ctx, client.ObjectKey{Namespace: cr.Namespace, Name: actuator.ManagedResourceName(cr.Name)}, &resourcesv1alpha1.ManagedResource{})).To(Succeed())
		}
		Eventually(func(g Gomega) {
			for _, cr := range crs {
				current := &extensionsv1alpha1.ContainerRuntime{}
				g.Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(cr), current)).To(Succeed())
				// Without gardener-resource-manager the ManagedResources are never applied: the checks report that,
				// which needs the shoot access secret read by name.
				g.Expect(current.Status.Conditions).To(ContainElement(And(
					HaveField("Type", gardencorev1beta1.ConditionType("SystemComponentsHealthy")),
					HaveField("Status", gardencorev1beta1.ConditionFalse),
				)))
			}
		}).WithTimeout(time.Minute).Should(Succeed())

		By("deleting them, which removes the ManagedResources and their secrets")
		for _, cr := range crs {
			Expect(land.Client.Delete(ctx, cr)).To(Succeed())
		}
		Eventually(func(g Gomega) {
			list := &extensionsv1alpha1.ContainerRuntimeList{}
			g.Expect(land.Client.List(ctx, list, client.InNamespace(samples.ShootNamespace))).To(Succeed())
			g.Expect(list.Items).To(BeEmpty())
		}).WithTimeout(2 * time.Minute).Should(Succeed())
	})

	It("serves the OSC webhook with the certificate management's CA", func() {
		osc := samples.OSC("lp-gvisor", "gvisor")
		Expect(land.Client.Create(ctx, osc, client.DryRunAll)).To(Succeed())
		Expect(osc.Spec.CRIConfig.Containerd.Plugins).NotTo(BeEmpty())
	})

	// The serving certificate's reload reads what its trust check needs with the chart's RBAC: a read it may not
	// make would keep the renewed certificate from being served.
	It("serves a renewed server certificate once the certificate management renews it", func() {
		before, err := seed.ServedSerial()
		Expect(err).NotTo(HaveOccurred())
		Expect(land.RenewManagedCertificateNow(ctx, componentNamespace, "runtime-sandbox-webhook-server")).To(Succeed())

		Eventually(seed.ServedSerial).WithTimeout(time.Minute).ShouldNot(Equal(before))
		osc := samples.OSC("lp-renewed", "gvisor")
		Expect(land.Client.Create(ctx, osc, client.DryRunAll)).To(Succeed())
	})
})
