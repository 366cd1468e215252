package installer_test

import (
	"fmt"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
)

// installerObjects returns what the actuator deploys into the shoot for the gvisor ContainerRuntime of pool: the
// installer's DaemonSet, ServiceAccount, RBAC and node restriction policy.
func installerObjects(pool string) []client.Object {
	GinkgoHelper()
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(extensionsv1alpha1.AddToScheme(scheme))
	utilruntime.Must(resourcesv1alpha1.AddToScheme(scheme))
	seed := fakeclient.NewClientBuilder().WithScheme(scheme).Build()
	cr := &extensionsv1alpha1.ContainerRuntime{
		ObjectMeta: metav1.ObjectMeta{Name: "gvisor-" + pool, Namespace: "shoot--dev--sandbox"},
		Spec: extensionsv1alpha1.ContainerRuntimeSpec{
			DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: "gvisor"},
			BinaryPath:  "/var/bin/containerruntimes",
			WorkerPool: extensionsv1alpha1.ContainerRuntimeWorkerPool{
				Name:     pool,
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{poolLabel: pool}},
			},
		},
	}
	cluster := &extensionscontroller.Cluster{Shoot: &gardencorev1beta1.Shoot{Spec: gardencorev1beta1.ShootSpec{Kubernetes: gardencorev1beta1.Kubernetes{Version: "1.36.3"}}}}
	Expect(actuator.New(seed, actuator.Config{InstallerImage: "installer:test"}).Reconcile(ctx, logr.Discard(), cr, cluster)).To(Succeed())
	objs, err := managedresources.GetObjects(ctx, seed, cr.Namespace, actuator.ManagedResourceName(cr.Name))
	Expect(err).NotTo(HaveOccurred())
	return objs
}

// tokenClient returns a client that authenticates with a token of the ServiceAccount kube-system/sa, bound to pod
// when it is not nil.
func tokenClient(sa string, pod *corev1.Pod) client.Client {
	GinkgoHelper()
	request := &authenticationv1.TokenRequest{}
	if pod != nil {
		request.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID}
	}
	token, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().ServiceAccounts(metav1.NamespaceSystem).CreateToken(ctx, sa, request, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	userConfig := rest.AnonymousClientConfig(cfg)
	userConfig.BearerToken = token.Status.Token
	userClient, err := client.New(userConfig, client.Options{})
	Expect(err).NotTo(HaveOccurred())
	return userClient
}

// mergePatch patches node with a JSON merge patch.
func mergePatch(cl client.Client, node string, patch string) error {
	return cl.Patch(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}}, client.RawPatch(types.MergePatchType, []byte(patch)))
}

var _ = Describe("The installer's node restriction, with real tokens", Ordered, func() {
	const pool = "restricted"
	var (
		sa           = actuator.InstallerName(pool, "gvisor")
		nodeA, nodeB *corev1.Node
		onA          client.Client
	)

	BeforeAll(func() {
		By("applying what the actuator deploys for the pool's installer")
		var policies int
		for _, obj := range installerObjects(pool) {
			if _, ok := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy); ok {
				policies++
			}
			Expect(c.Create(ctx, obj)).To(Succeed(), "%T %s", obj, obj.GetName())
			DeferCleanup(func() { Expect(client.IgnoreNotFound(c.Delete(ctx, obj))).To(Succeed()) })
		}
		Expect(policies).To(Equal(1), "ValidatingAdmissionPolicies in the installer's ManagedResource")

		nodeA, nodeB = createNode(), createNode()
		By("running the installer's pod on node A and requesting a token bound to it")
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "installer-", Namespace: metav1.NamespaceSystem},
			Spec: corev1.PodSpec{
				ServiceAccountName: sa,
				NodeName:           nodeA.Name,
				Containers:         []corev1.Container{{Name: "installer", Image: "installer:test"}},
			},
		}
		Expect(c.Create(ctx, pod)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(c.Delete(ctx, pod))).To(Succeed()) })
		onA = tokenClient(sa, pod)

		// A CEL expression that does not compile fails every request (failurePolicy Fail), so the allowed cases below
		// also prove that the policy compiles.
		By("waiting until the API server enforces the policy (it loads policies asynchronously)")
		Eventually(func() error {
			return mergePatch(onA, nodeB.Name, `{"metadata":{"labels":{"runtime.gardener.cloud/gvisor-ready":"true"}}}`)
		}).WithTimeout(time.Minute).Should(MatchError(ContainSubstring("the installer on node " + nodeA.Name + " may not change node " + nodeB.Name)))
	})

	It("lets the installer set and remove its ready label on its own node, with the installer's own code", func() {
		Expect(installer.MarkReady(ctx, onA, nodeA.Name, "gvisor")).To(Succeed())
		Expect(labels(nodeA)(Default)).To(HaveKeyWithValue(gvisorReady, "true"))
		Expect(installer.UnmarkReady(ctx, onA, nodeA.Name, "gvisor")).To(Succeed())
		Expect(labels(nodeA)(Default)).NotTo(HaveKey(gvisorReady))
	})

	DescribeTable("refuses everything else it tries on nodes, with a message",
		func(try func() error, fragment string) {
			Expect(try()).To(MatchError(ContainSubstring(fragment)))
		},
		Entry("another node's ready label", func() error {
			return mergePatch(onA, nodeB.Name, `{"metadata":{"labels":{"runtime.gardener.cloud/gvisor-ready":"true"}}}`)
		}, "may not change node"),
		Entry("another label of its own node", func() error {
			return mergePatch(onA, nodeA.Name, `{"metadata":{"labels":{"worker.gardener.cloud/pool":"other"}}}`)
		}, "it may not add, change or remove other labels"),
		Entry("a new label on its own node", func() error {
			return mergePatch(onA, nodeA.Name, `{"metadata":{"labels":{"node-role.kubernetes.io/control-plane":""}}}`)
		}, "it may not add, change or remove other labels"),
		Entry("another runtime's ready label on its own node", func() error {
			return mergePatch(onA, nodeA.Name, `{"metadata":{"labels":{"runtime.gardener.cloud/kata-ready":null}}}`)
		}, "it may not add, change or remove other labels"),
		Entry("its ready label with another value", func() error {
			return mergePatch(onA, nodeA.Name, `{"metadata":{"labels":{"runtime.gardener.cloud/gvisor-ready":"false"}}}`)
		}, `may only set its own node labels runtime.gardener.cloud/gvisor-ready to "true" or remove them`),
		Entry("an annotation of its own node", func() error {
			return mergePatch(onA, nodeA.Name, `{"metadata":{"annotations":{"example.org/x":"y"}}}`)
		}, "may not change a node's annotations"),
		Entry("a taint on its own node", func() error {
			return mergePatch(onA, nodeA.Name, `{"spec":{"taints":[{"key":"evil","effect":"NoExecute"}]}}`)
		}, "may not change a node's spec"),
		Entry("cordoning its own node", func() error {
			return mergePatch(onA, nodeA.Name, `{"spec":{"unschedulable":true}}`)
		}, "may not change a node's spec"),
		Entry("its own node's status", func() error {
			return onA.Status().Patch(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeA.Name}},
				client.RawPatch(types.MergePatchType, []byte(`{"status":{"conditions":[{"type":"Ready","status":"False"}]}}`)))
		}, "forbidden"),
	)

	It("refuses a token that names no node (not bound to a pod)", func() {
		unbound := tokenClient(sa, nil)
		Expect(mergePatch(unbound, nodeA.Name, `{"metadata":{"labels":{"runtime.gardener.cloud/gvisor-ready":"true"}}}`)).To(MatchError(ContainSubstring(
			"the installer's token names no node (it must be a token bound to the installer's pod on a node): it may not change node " + nodeA.Name)))
	})

	It("has RBAC for nothing but getting and patching nodes", func() {
		Expect(onA.Delete(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeB.Name}})).To(MatchError(ContainSubstring("forbidden")))
		Expect(onA.List(ctx, &corev1.SecretList{})).To(MatchError(ContainSubstring("forbidden")))
		Expect(onA.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-twin", nodeA.Name)}})).To(MatchError(ContainSubstring("forbidden")))
	})
})
