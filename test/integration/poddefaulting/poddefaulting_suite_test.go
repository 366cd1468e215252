package poddefaulting_test

import (
	"context"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/utils/kubernetes/health"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/integration/setup"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

func TestPodDefaulting(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Pod defaulting integration suite")
}

var (
	ctx  = context.Background()
	land *landscape.Landscape
)

var _ = BeforeSuite(func() {
	land = setup.Landscape(ctx)
	setup.ShootControllers(ctx, land)
})

// deliver starts the seed component with the pod rules delivered as delivery (actuator.PodAdmissionWebhook or
// actuator.PodAdmissionPolicy), creates the sample Shoot's ContainerRuntimes if they are missing, and waits until
// the shoot gets the pod rules through delivery alone: the actuator has switched from the other one, if it was
// there, and gardener-resource-manager has applied the result. The seed component stops with the calling container,
// or earlier with the returned function.
func deliver(delivery string) (stop func()) {
	seed, err := land.StartSeed(ctx, "--healthcheck-sync-period=2s", "--pod-admission="+delivery)
	Expect(err).NotTo(HaveOccurred())
	var once sync.Once
	stop = func() { once.Do(func() { Expect(seed.Stop()).To(Succeed()) }) }
	DeferCleanup(stop)
	By("creating the sample Shoot's ContainerRuntimes: gardener-resource-manager applies their RuntimeClasses and the pod rules")
	_, err = land.DeployContainerRuntimes(ctx, time.Minute)
	Expect(err).NotTo(HaveOccurred())
	Eventually(func(g Gomega) {
		mr := &resourcesv1alpha1.ManagedResource{}
		g.Expect(land.Client.Get(ctx, client.ObjectKey{Namespace: samples.ShootNamespace, Name: actuator.ShootManagedResourceName}, mr)).To(Succeed())
		g.Expect(mr.Annotations).To(HaveKeyWithValue(actuator.DeliveryAnnotation, delivery))
		g.Expect(health.CheckManagedResourceApplied(mr)).To(Succeed())
	}).WithTimeout(2 * time.Minute).Should(Succeed())
	Expect(land.WaitForShoot(ctx, seed)).To(Succeed())
	waitInForce(delivery)
	return stop
}

// waitInForce waits until the shoot's API server enforces every kind of pod rule: the policies (or webhook
// configurations) gardener-resource-manager has just created are loaded by kube-apiserver's informers a moment later.
// The actuator waits so when it switches a shoot from one delivery to the other (the switching specs check it), not
// when a shoot gets its first one.
func waitInForce(delivery string) {
	plain, byDefault, typo, enforced := namespace(nil), namespace(map[string]string{sandbox: "gvisor"}), namespace(map[string]string{sandbox: "gviser"}), namespace(map[string]string{enforce: "gvisor"})
	Eventually(func(g Gomega) {
		annotated := newPod(plain, map[string]string{sandbox: "gvisor"})
		g.Expect(land.Client.Create(ctx, annotated, client.DryRunAll)).To(Succeed())
		g.Expect(annotated.Spec.RuntimeClassName).To(PointTo(Equal("gvisor")), "annotated pods are defaulted")
		conflict := newPod(plain, map[string]string{sandbox: "gvisor"})
		conflict.Spec.RuntimeClassName = new("runc")
		g.Expect(land.Client.Create(ctx, conflict, client.DryRunAll)).NotTo(Succeed(), "annotated pods are checked")
		defaulted := newPod(byDefault, nil)
		g.Expect(land.Client.Create(ctx, defaulted, client.DryRunAll)).To(Succeed())
		g.Expect(defaulted.Spec.RuntimeClassName).To(PointTo(Equal("gvisor")), "namespace defaults apply")
		g.Expect(land.Client.Create(ctx, newPod(typo, nil), client.DryRunAll)).NotTo(Succeed(), "namespace defaults are checked")
		g.Expect(land.Client.Create(ctx, newPod(enforced, nil), client.DryRunAll)).NotTo(Succeed(), "enforcement applies")
		if delivery == actuator.PodAdmissionPolicy {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "in-force-", Labels: map[string]string{enforce: "gvisor"}}}
			g.Expect(land.Client.Create(ctx, ns, client.DryRunAll)).To(Succeed())
			g.Expect(ns.Labels).To(HaveKeyWithValue("pod-security.kubernetes.io/enforce", "baseline"), "enforced namespaces get their Pod Security labels")
		}
	}).WithTimeout(time.Minute).Should(Succeed())
}
