package healthcheck_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/actuator/healthcheck"
)

func TestHealthCheck(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Health check suite")
}

const namespace = "shoot--local--sandbox"

var (
	ctx     = context.Background()
	request = types.NamespacedName{Namespace: namespace, Name: "gvisor-pool-a"}
)

func seedScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(extensionsv1alpha1.AddToScheme(s))
	utilruntime.Must(resourcesv1alpha1.AddToScheme(s))
	return s
}

// managedResource returns a ManagedResource as gardener-resource-manager leaves it: applied and healthy, or with
// the given condition false.
func managedResource(name string, falseCondition gardencorev1beta1.ConditionType) *resourcesv1alpha1.ManagedResource {
	mr := &resourcesv1alpha1.ManagedResource{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Generation: 1}}
	mr.Status.ObservedGeneration = 1
	for _, t := range []gardencorev1beta1.ConditionType{resourcesv1alpha1.ResourcesApplied, resourcesv1alpha1.ResourcesHealthy} {
		status := gardencorev1beta1.ConditionTrue
		if t == falseCondition {
			status = gardencorev1beta1.ConditionFalse
		}
		mr.Status.Conditions = append(mr.Status.Conditions, gardencorev1beta1.Condition{Type: t, Status: status, Reason: "Test", Message: "test"})
	}
	mr.Status.Conditions = append(mr.Status.Conditions, gardencorev1beta1.Condition{Type: resourcesv1alpha1.ResourcesProgressing, Status: gardencorev1beta1.ConditionFalse})
	return mr
}

var _ = Describe("ManagedResources", func() {
	check := func(objects ...client.Object) (gardencorev1beta1.ConditionStatus, string) {
		GinkgoHelper()
		hc := &healthcheck.ManagedResources{}
		hc.InjectSourceClient(fake.NewClientBuilder().WithScheme(seedScheme()).WithObjects(objects...).Build())
		hc.SetLoggerSuffix("gvisor", "ContainerRuntime")
		result, err := hc.Check(ctx, request)
		Expect(err).NotTo(HaveOccurred())
		return result.Status, result.Detail
	}

	It("is healthy when both ManagedResources are applied and healthy", func() {
		Expect(check(managedResource(actuator.ManagedResourceName(request.Name), ""), managedResource(actuator.ShootManagedResourceName, ""))).
			To(Equal(gardencorev1beta1.ConditionTrue))
	})

	It("is unhealthy when the ContainerRuntime's ManagedResource is missing", func() {
		status, detail := check(managedResource(actuator.ShootManagedResourceName, ""))
		Expect(status).To(Equal(gardencorev1beta1.ConditionFalse))
		Expect(detail).To(ContainSubstring(actuator.ManagedResourceName(request.Name)))
	})

	It("is unhealthy when the shared ManagedResource is not healthy", func() {
		status, detail := check(managedResource(actuator.ManagedResourceName(request.Name), ""), managedResource(actuator.ShootManagedResourceName, resourcesv1alpha1.ResourcesHealthy))
		Expect(status).To(Equal(gardencorev1beta1.ConditionFalse))
		Expect(detail).To(ContainSubstring(actuator.ShootManagedResourceName))
	})

	It("is unhealthy when a ManagedResource is not applied", func() {
		status, _ := check(managedResource(actuator.ManagedResourceName(request.Name), resourcesv1alpha1.ResourcesApplied), managedResource(actuator.ShootManagedResourceName, ""))
		Expect(status).To(Equal(gardencorev1beta1.ConditionFalse))
	})
})

var _ = Describe("InstallerDaemonSet", func() {
	var cr *extensionsv1alpha1.ContainerRuntime
	BeforeEach(func() {
		cr = &extensionsv1alpha1.ContainerRuntime{
			ObjectMeta: metav1.ObjectMeta{Name: request.Name, Namespace: namespace},
			Spec: extensionsv1alpha1.ContainerRuntimeSpec{
				DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: "gvisor"},
				BinaryPath:  "/var/bin/containerruntimes",
				WorkerPool:  extensionsv1alpha1.ContainerRuntimeWorkerPool{Name: "pool-a"},
			},
		}
	})

	daemonSet := func(desired, ready, updated int32) *appsv1.DaemonSet {
		return &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: actuator.InstallerName("pool-a", "gvisor"), Namespace: actuator.InstallerNamespace, Generation: 1},
			Status: appsv1.DaemonSetStatus{
				ObservedGeneration: 1, DesiredNumberScheduled: desired, CurrentNumberScheduled: desired,
				NumberReady: ready, NumberAvailable: ready, NumberUnavailable: desired - ready, UpdatedNumberScheduled: updated,
			},
		}
	}

	check := func(shootObjects ...client.Object) (*gardencorev1beta1.ConditionStatus, string, error) {
		GinkgoHelper()
		hc := &healthcheck.InstallerDaemonSet{}
		hc.InjectSourceClient(fake.NewClientBuilder().WithScheme(seedScheme()).WithObjects(cr).Build())
		hc.InjectTargetClient(fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(shootObjects...).Build())
		hc.SetLoggerSuffix("gvisor", "ContainerRuntime")
		result, err := hc.Check(ctx, request)
		if err != nil {
			return nil, "", err
		}
		return &result.Status, result.Detail, nil
	}

	It("is healthy when the pool's installer runs ready and up to date on every node", func() {
		status, _, err := check(daemonSet(3, 3, 3))
		Expect(err).NotTo(HaveOccurred())
		Expect(*status).To(Equal(gardencorev1beta1.ConditionTrue))
	})

	It("is unhealthy while a node has no ready installer", func() {
		status, detail, err := check(daemonSet(3, 2, 3))
		Expect(err).NotTo(HaveOccurred())
		Expect(*status).To(Equal(gardencorev1beta1.ConditionFalse))
		Expect(detail).To(And(ContainSubstring(`worker pool "pool-a"`), ContainSubstring("unavailable")))
	})

	It("is unhealthy when the installer DaemonSet is missing from the shoot", func() {
		status, detail, err := check()
		Expect(err).NotTo(HaveOccurred())
		Expect(*status).To(Equal(gardencorev1beta1.ConditionFalse))
		Expect(detail).To(ContainSubstring("not found"))
	})

	It("checks the DaemonSet of the ContainerRuntime's own pool and type", func() {
		other := daemonSet(3, 3, 3)
		other.Name = actuator.InstallerName("pool-b", "gvisor")
		status, _, err := check(other)
		Expect(err).NotTo(HaveOccurred())
		Expect(*status).To(Equal(gardencorev1beta1.ConditionFalse))
	})

	It("fails when the ContainerRuntime cannot be read", func() {
		cr.Name = "other"
		_, _, err := check(daemonSet(3, 3, 3))
		Expect(err).To(MatchError(ContainSubstring("reading ContainerRuntime")))
	})
})

var _ = Describe("Checks", func() {
	It("contributes every check to the SystemComponentsHealthy condition", func() {
		checks := healthcheck.Checks()
		Expect(checks).To(HaveLen(3))
		for _, c := range checks {
			Expect(c.ConditionType).To(Equal(string(gardencorev1beta1.ShootSystemComponentsHealthy)))
		}
	})
})
