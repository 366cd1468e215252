package actuator_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	"github.com/gardener/gardener/extensions/pkg/controller/containerruntime"
	v1beta1helper "github.com/gardener/gardener/pkg/api/core/v1beta1/helper"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"
	"github.com/gardener/gardener/pkg/resourcemanager/controller/garbagecollector/references"
	"github.com/gardener/gardener/pkg/utils/managedresources"

	. "github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

const (
	namespace  = "shoot--dev--sandbox"
	image      = "example.org/runtime-sandbox-installer:v1"
	binaryPath = "/var/bin/containerruntimes"
	kataAPI    = `"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"`
)

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(extensionsv1alpha1.AddToScheme(s))
	utilruntime.Must(resourcesv1alpha1.AddToScheme(s))
	return s
}

func containerRuntime(runtimeType, pool, providerConfig string) *extensionsv1alpha1.ContainerRuntime {
	cr := &extensionsv1alpha1.ContainerRuntime{
		ObjectMeta: metav1.ObjectMeta{Name: runtimeType + "-" + pool, Namespace: namespace},
		Spec: extensionsv1alpha1.ContainerRuntimeSpec{
			DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: runtimeType},
			BinaryPath:  binaryPath,
			WorkerPool: extensionsv1alpha1.ContainerRuntimeWorkerPool{
				Name:     pool,
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{"worker.gardener.cloud/pool": pool}},
			},
		},
	}
	if providerConfig != "" {
		cr.Spec.ProviderConfig = &runtime.RawExtension{Raw: []byte(providerConfig)}
	}
	return cr
}

func worker(name string, runtimes ...gardencorev1beta1.ContainerRuntime) gardencorev1beta1.Worker {
	return gardencorev1beta1.Worker{Name: name, CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: runtimes}}
}

func clusterOf(workers ...gardencorev1beta1.Worker) *extensionscontroller.Cluster {
	return &extensionscontroller.Cluster{Shoot: &gardencorev1beta1.Shoot{Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: workers}}}}
}

// objectsOf returns the decoded objects of the ManagedResource.
func objectsOf(ctx context.Context, c client.Client, name string) []client.Object {
	GinkgoHelper()
	objs, err := managedresources.GetObjects(ctx, c, namespace, name)
	Expect(err).NotTo(HaveOccurred())
	return objs
}

func find[T client.Object](objs []client.Object) []T {
	var out []T
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

func classNamesOf(objs []client.Object) []string {
	var out []string
	for _, rc := range find[*nodev1.RuntimeClass](objs) {
		out = append(out, rc.Name)
	}
	return out
}

// shootClientOf returns a Config.ShootClient that returns *shoot.
func shootClientOf(shoot *client.Client) func(context.Context, string) (client.Client, error) {
	return func(context.Context, string) (client.Client, error) { return *shoot, nil }
}

func isConfigurationProblem(err error) bool {
	var coder v1beta1helper.Coder
	if !errors.As(err, &coder) {
		return false
	}
	for _, code := range coder.Codes() {
		if code == gardencorev1beta1.ErrorConfigurationProblem {
			return true
		}
	}
	return false
}

var _ = Describe("Actuator", func() {
	var (
		ctx = context.Background()
		log = logr.Discard()
		c   client.Client
		a   containerruntime.Actuator
		// shoot is the shoot's client Delete gets.
		shoot client.Client
	)

	BeforeEach(func() {
		c = fakeclient.NewClientBuilder().WithScheme(newScheme()).Build()
		shoot = fakeclient.NewClientBuilder().Build()
		a = New(c, Config{InstallerImage: image, DeleteTimeout: 3 * time.Second, ShootClient: shootClientOf(&shoot)})
	})

	Describe("Reconcile", func() {
		It("deploys the gvisor installer of the pool and the shoot's RuntimeClasses", func() {
			cr := containerRuntime("gvisor", "g", "")
			cluster := clusterOf(
				worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"}),
				worker("k", gardencorev1beta1.ContainerRuntime{Type: "kata", ProviderConfig: &runtime.RawExtension{Raw: []byte(`{` + kataAPI + `,"hypervisors":["fc"]}`)}}),
			)
			Expect(a.Reconcile(ctx, log, cr, cluster)).To(Succeed())

			mr := &resourcesv1alpha1.ManagedResource{}
			Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "extension-runtime-sandbox-gvisor-g"}, mr)).To(Succeed())
			Expect(mr.Labels).To(HaveKeyWithValue("origin", "runtime-sandbox"))
			Expect(mr.Spec.Class).To(BeNil())
			Expect(mr.Spec.KeepObjects).To(Equal(new(false)))

			objs := objectsOf(ctx, c, "extension-runtime-sandbox-gvisor-g")
			Expect(objs).To(HaveLen(6))
			Expect(find[*nodev1.RuntimeClass](objs)).To(BeEmpty())

			sa := find[*corev1.ServiceAccount](objs)
			Expect(sa).To(HaveLen(1))
			Expect(sa[0].Namespace).To(Equal("kube-system"))
			Expect(sa[0].Name).To(Equal("runtime-sandbox-installer-g-gvisor"))

			roles := find[*rbacv1.ClusterRole](objs)
			Expect(roles).To(HaveLen(1))
			Expect(roles[0].Rules).To(Equal([]rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "patch"}}}))
			bindings := find[*rbacv1.ClusterRoleBinding](objs)
			Expect(bindings).To(HaveLen(1))
			Expect(bindings[0].RoleRef.Name).To(Equal(roles[0].Name))
			Expect(bindings[0].Subjects).To(ConsistOf(rbacv1.Subject{Kind: "ServiceAccount", Name: sa[0].Name, Namespace: "kube-system"}))

			policies := find[*admissionregistrationv1.ValidatingAdmissionPolicy](objs)
			Expect(policies).To(HaveLen(1))
			Expect(policies[0].Spec.MatchConditions).To(ConsistOf(HaveField("Expression",
				`request.userInfo.username == "system:serviceaccount:kube-system:runtime-sandbox-installer-g-gvisor"`)))
			Expect(policies[0].Spec.MatchConstraints.ResourceRules).To(ConsistOf(HaveField("Resources", ConsistOf("nodes", "nodes/status"))))
			Expect(policies[0].Spec.Variables).To(ContainElement(admissionregistrationv1.Variable{Name: "ownLabels", Expression: `["runtime.gardener.cloud/gvisor-ready"]`}))
			Expect(*policies[0].Spec.FailurePolicy).To(Equal(admissionregistrationv1.Fail))
			policyBindings := find[*admissionregistrationv1.ValidatingAdmissionPolicyBinding](objs)
			Expect(policyBindings).To(HaveLen(1))
			Expect(policyBindings[0].Spec.PolicyName).To(Equal(policies[0].Name))
			Expect(policyBindings[0].Spec.ValidationActions).To(ConsistOf(admissionregistrationv1.Deny))

			ds := find[*appsv1.DaemonSet](objs)
			Expect(ds).To(HaveLen(1))
			Expect(ds[0].Namespace).To(Equal("kube-system"))
			Expect(ds[0].Name).To(Equal("runtime-sandbox-installer-g-gvisor"))
			pod := ds[0].Spec.Template.Spec
			Expect(pod.ServiceAccountName).To(Equal(sa[0].Name))
			Expect(pod.NodeSelector).To(Equal(map[string]string{"worker.gardener.cloud/pool": "g"}))
			Expect(pod.PriorityClassName).To(Equal("system-node-critical"))
			Expect(pod.Containers).To(HaveLen(1))
			Expect(pod.Containers[0].Image).To(Equal(image))
			Expect(pod.Containers[0].Args).To(ConsistOf("--source=/installer/bin/gvisor", "--destination=/host/var/bin/containerruntimes", "--host-destination=/var/bin/containerruntimes", "--runtime-type=gvisor"))
			Expect(ds[0].Spec.Selector.MatchLabels).To(Equal(ds[0].Spec.Template.Labels))

			Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("gvisor", "kata-fc"))
		})

		DescribeTable("writes the same shared ManagedResource whichever ContainerRuntime of a shoot is reconciled last",
			func(order ...string) {
				// The Cluster lags behind: it knows pool g, not pool k. Both ContainerRuntimes exist.
				cluster := clusterOf(worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"}))
				crs := map[string]*extensionsv1alpha1.ContainerRuntime{
					"g": containerRuntime("gvisor", "g", ""),
					"k": containerRuntime("kata", "k", `{`+kataAPI+`,"hypervisors":["fc"]}`),
				}
				for _, cr := range crs {
					Expect(c.Create(ctx, cr)).To(Succeed())
				}
				for _, pool := range order {
					Expect(a.Reconcile(ctx, log, crs[pool], cluster)).To(Succeed())
				}
				Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("gvisor", "kata-fc"))
			},
			Entry("g, then k", "g", "k"),
			Entry("k, then g", "k", "g"),
		)

		It("writes the shared ManagedResource of ContainerRuntimes reconciled at the same time without racing for its secret", func() {
			// Both reconciliations render the same shared content, i.e. the same content-named secret, which Gardener's
			// helper creates with a get-then-create. The interceptor returns each Get of that secret only once both
			// reconciliations have read it (or five seconds passed, which the first one waits when the writes are
			// serialised): unserialised, both would find no secret and one create would fail with "already exists".
			var arrived atomic.Int32
			c = fakeclient.NewClientBuilder().WithScheme(newScheme()).WithInterceptorFuncs(interceptor.Funcs{
				Get: func(ctx context.Context, cl client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
					err := cl.Get(ctx, key, obj, opts...)
					if _, ok := obj.(*corev1.Secret); ok && strings.Contains(key.Name, ShootManagedResourceName) {
						arrived.Add(1)
						deadline := time.After(5 * time.Second)
						for arrived.Load() < 2 {
							select {
							case <-deadline:
								return err
							case <-time.After(10 * time.Millisecond):
							}
						}
					}
					return err
				},
			}).Build()
			a = New(c, Config{InstallerImage: image, ShootClient: shootClientOf(&shoot)})
			cluster := clusterOf(
				worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"}),
				worker("k", gardencorev1beta1.ContainerRuntime{Type: "kata"}),
			)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, cr := range []*extensionsv1alpha1.ContainerRuntime{containerRuntime("gvisor", "g", ""), containerRuntime("kata", "k", "")} {
				wg.Go(func() { errs[i] = a.Reconcile(ctx, log, cr, cluster) })
			}
			wg.Wait()
			Expect(errs).To(HaveEach(Succeed()))
			Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("gvisor", "kata-qemu", "kata-clh"))
		})

		It("deploys the kata installer with the pool's classes, even when the Cluster does not know the pool yet", func() {
			cr := containerRuntime("kata", "k", `{`+kataAPI+`,"hypervisors":["qemu","clh"]}`)
			Expect(a.Reconcile(ctx, log, cr, clusterOf(worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"})))).To(Succeed())

			ds := find[*appsv1.DaemonSet](objectsOf(ctx, c, "extension-runtime-sandbox-kata-k"))
			Expect(ds).To(HaveLen(1))
			Expect(ds[0].Name).To(Equal("runtime-sandbox-installer-k-kata"))
			Expect(ds[0].Spec.Template.Spec.Containers[0].Args).To(ContainElement("--runtime-type=kata"))

			classes := find[*nodev1.RuntimeClass](objectsOf(ctx, c, ShootManagedResourceName))
			Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("gvisor", "kata-clh", "kata-qemu"))
			for _, rc := range classes {
				if rc.Name == "kata-qemu" {
					Expect(rc.Handler).To(Equal("kata-qemu"))
					Expect(rc.Overhead).NotTo(BeNil())
					Expect(rc.Scheduling.NodeSelector).To(HaveKeyWithValue("runtime.gardener.cloud/kata-ready", "true"))
				}
			}
		})

		It("renders the RuntimeClasses exactly as the runtimes define them", func() {
			cluster := clusterOf(
				worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"}),
				worker("k", gardencorev1beta1.ContainerRuntime{Type: "kata", ProviderConfig: &runtime.RawExtension{Raw: []byte(`{` + kataAPI + `,"hypervisors":["qemu","clh","fc"]}`)}}),
			)
			Expect(a.Reconcile(ctx, log, containerRuntime("gvisor", "g", ""), cluster)).To(Succeed())

			want := runtimes.OfferedClasses(cluster.Shoot)
			Expect(want).To(HaveLen(4))
			got := map[string]*nodev1.RuntimeClass{}
			for _, rc := range find[*nodev1.RuntimeClass](objectsOf(ctx, c, ShootManagedResourceName)) {
				got[rc.Name] = rc
			}
			Expect(got).To(HaveLen(len(want)))
			for _, rc := range want {
				Expect(got).To(HaveKey(rc.Name))
				Expect(got[rc.Name].Handler).To(Equal(rc.Handler), rc.Name)
				Expect(apiequality.Semantic.DeepEqual(got[rc.Name].Overhead, rc.Overhead)).To(BeTrue(), "overhead of %s: got %v, want %v", rc.Name, got[rc.Name].Overhead, rc.Overhead)
				Expect(got[rc.Name].Scheduling).To(Equal(rc.Scheduling), rc.Name)
			}
		})

		It("gives the DaemonSet least privilege", func() {
			cr := containerRuntime("gvisor", "g", "")
			cr.Spec.BinaryPath = "/opt/sandbox/bin/"
			Expect(a.Reconcile(ctx, log, cr, nil)).To(Succeed())
			ds := find[*appsv1.DaemonSet](objectsOf(ctx, c, "extension-runtime-sandbox-gvisor-g"))[0]
			pod := ds.Spec.Template.Spec

			Expect(pod.HostPID).To(BeFalse())
			Expect(pod.HostNetwork).To(BeFalse())
			Expect(pod.HostIPC).To(BeFalse())
			Expect(pod.InitContainers).To(BeEmpty())
			Expect(pod.Volumes).To(HaveLen(1))
			Expect(pod.Volumes[0].HostPath).NotTo(BeNil())
			Expect(pod.Volumes[0].HostPath.Path).To(Equal("/opt/sandbox/bin"))

			ctr := pod.Containers[0]
			Expect(ctr.VolumeMounts).To(ConsistOf(corev1.VolumeMount{Name: pod.Volumes[0].Name, MountPath: "/host/opt/sandbox/bin"}))
			Expect(ctr.Args).To(ContainElements("--destination=/host/opt/sandbox/bin", "--host-destination=/opt/sandbox/bin"))
			Expect(ctr.SecurityContext.Privileged).To(Equal(new(false)))
			Expect(ctr.SecurityContext.AllowPrivilegeEscalation).To(Equal(new(false)))
			Expect(ctr.SecurityContext.ReadOnlyRootFilesystem).To(Equal(new(true)))
			Expect(ctr.SecurityContext.Capabilities.Add).To(BeEmpty())
			Expect(ctr.SecurityContext.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
			Expect(pod.SecurityContext.RunAsUser).To(Equal(new(int64(0))))
			Expect(ctr.Env).To(ConsistOf(corev1.EnvVar{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}}}))
			Expect(ctr.Resources.Requests).NotTo(BeEmpty())
		})

		DescribeTable("refuses a bad configuration as a configuration problem, deploying nothing",
			func(cr *extensionsv1alpha1.ContainerRuntime, message string) {
				err := a.Reconcile(ctx, log, cr, nil)
				Expect(err).To(MatchError(ContainSubstring(message)))
				Expect(isConfigurationProblem(err)).To(BeTrue(), "codes of %v", err)
				Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ManagedResourceName(cr.Name)}, &resourcesv1alpha1.ManagedResource{})).To(Satisfy(apierrors.IsNotFound))
			},
			Entry("unknown type", containerRuntime("runc", "p", ""), "spec.type"),
			Entry("undecodable providerConfig", containerRuntime("gvisor", "g", `{"apiVersion":`), "spec.providerConfig"),
			Entry("unknown field", containerRuntime("kata", "k", `{`+kataAPI+`,"bogus":1}`), "spec.providerConfig.bogus"),
			Entry("a gVisor flag value of the wrong type", containerRuntime("gvisor", "g", `{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"debug":true}}`), "spec.providerConfig.configFlags[debug]"),
			Entry("invalid hypervisor", containerRuntime("kata", "k", `{`+kataAPI+`,"hypervisors":["vmware"]}`), "spec.providerConfig.hypervisors"),
			Entry("empty worker pool selector", func() *extensionsv1alpha1.ContainerRuntime {
				cr := containerRuntime("gvisor", "g", "")
				cr.Spec.WorkerPool.Selector = metav1.LabelSelector{}
				return cr
			}(), "spec.workerPool.selector"),
			Entry("worker pool selector with expressions", func() *extensionsv1alpha1.ContainerRuntime {
				cr := containerRuntime("gvisor", "g", "")
				cr.Spec.WorkerPool.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "a", Operator: metav1.LabelSelectorOpExists}}
				return cr
			}(), "spec.workerPool.selector"),
			Entry("relative binary path", func() *extensionsv1alpha1.ContainerRuntime {
				cr := containerRuntime("gvisor", "g", "")
				cr.Spec.BinaryPath = "var/bin"
				return cr
			}(), "spec.binaryPath"),
		)
	})

	Describe("Delete, ForceDelete and Migrate", func() {
		var gvisorCR, kataCR *extensionsv1alpha1.ContainerRuntime

		exists := func(name string) bool {
			GinkgoHelper()
			err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &resourcesv1alpha1.ManagedResource{})
			if apierrors.IsNotFound(err) {
				return false
			}
			Expect(err).NotTo(HaveOccurred())
			return true
		}
		// secrets returns the secrets left behind: those of an older content of a ManagedResource carry the
		// garbage-collectable label, and gardener-resource-manager's garbage collector removes them once unreferenced.
		secrets := func() []string {
			GinkgoHelper()
			list := &corev1.SecretList{}
			Expect(c.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
			var names []string
			for _, s := range list.Items {
				if s.Labels[references.LabelKeyGarbageCollectable] != "true" {
					names = append(names, s.Name)
				}
			}
			return names
		}

		BeforeEach(func() {
			gvisorCR = containerRuntime("gvisor", "g", "")
			kataCR = containerRuntime("kata", "k", "")
			cluster := clusterOf(worker("g", gardencorev1beta1.ContainerRuntime{Type: "gvisor"}), worker("k", gardencorev1beta1.ContainerRuntime{Type: "kata"}))
			for _, cr := range []*extensionsv1alpha1.ContainerRuntime{gvisorCR, kataCR} {
				Expect(c.Create(ctx, cr)).To(Succeed())
				Expect(a.Reconcile(ctx, log, cr, cluster)).To(Succeed())
			}
			Expect(exists("extension-runtime-sandbox-gvisor-g")).To(BeTrue())
			Expect(exists("extension-runtime-sandbox-kata-k")).To(BeTrue())
			Expect(exists(ShootManagedResourceName)).To(BeTrue())
		})

		It("deletes the pool's ManagedResource, and the shared one only with the last ContainerRuntime", func() {
			Expect(a.Delete(ctx, log, gvisorCR, nil)).To(Succeed())
			Expect(c.Delete(ctx, gvisorCR)).To(Succeed())
			Expect(exists("extension-runtime-sandbox-gvisor-g")).To(BeFalse())
			Expect(exists("extension-runtime-sandbox-kata-k")).To(BeTrue())
			Expect(exists(ShootManagedResourceName)).To(BeTrue())

			Expect(a.Delete(ctx, log, kataCR, nil)).To(Succeed())
			Expect(exists("extension-runtime-sandbox-kata-k")).To(BeFalse())
			Expect(exists(ShootManagedResourceName)).To(BeFalse())
			Expect(secrets()).To(BeEmpty())
		})

		It("removes a deleted pool's RuntimeClasses from the shared ManagedResource when the Cluster is unknown", func() {
			Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("gvisor", "kata-qemu", "kata-clh"))
			Expect(a.Delete(ctx, log, gvisorCR, nil)).To(Succeed())
			Expect(classNamesOf(objectsOf(ctx, c, ShootManagedResourceName))).To(ConsistOf("kata-qemu", "kata-clh"))
		})

		It("counts ContainerRuntimes that are being deleted as gone", func() {
			Expect(c.Get(ctx, client.ObjectKeyFromObject(kataCR), kataCR)).To(Succeed())
			kataCR.Finalizers = []string{"test"}
			Expect(c.Update(ctx, kataCR)).To(Succeed())
			Expect(c.Delete(ctx, kataCR)).To(Succeed())

			Expect(a.Delete(ctx, log, gvisorCR, nil)).To(Succeed())
			Expect(exists(ShootManagedResourceName)).To(BeFalse())
		})

		It("waits for the ManagedResource to be gone, up to the timeout", func() {
			mr := &resourcesv1alpha1.ManagedResource{}
			Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "extension-runtime-sandbox-gvisor-g"}, mr)).To(Succeed())
			mr.Finalizers = []string{"resources.gardener.cloud/gardener-resource-manager"}
			Expect(c.Update(ctx, mr)).To(Succeed())

			Expect(a.Delete(ctx, log, gvisorCR, nil)).To(MatchError(ContainSubstring("extension-runtime-sandbox-gvisor-g")))
			Expect(exists("extension-runtime-sandbox-gvisor-g")).To(BeTrue())
		})

		It("does not wait on ForceDelete", func() {
			mr := &resourcesv1alpha1.ManagedResource{}
			Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "extension-runtime-sandbox-gvisor-g"}, mr)).To(Succeed())
			mr.Finalizers = []string{"resources.gardener.cloud/gardener-resource-manager"}
			Expect(c.Update(ctx, mr)).To(Succeed())

			Expect(a.ForceDelete(ctx, log, gvisorCR, nil)).To(Succeed())
			Expect(c.Get(ctx, client.ObjectKeyFromObject(mr), mr)).To(Succeed())
			Expect(mr.DeletionTimestamp).NotTo(BeNil())
		})

		It("sets keepObjects on both ManagedResources before deleting them when migrating", func() {
			var keep []*bool
			// The last ContainerRuntime: a gardener-resource-manager finalizer keeps the deleted ManagedResources
			// visible, so that keepObjects can be checked.
			c = fakeclient.NewClientBuilder().WithScheme(newScheme()).WithObjects(gvisorCR.DeepCopy()).Build()
			a = New(c, Config{InstallerImage: image, DeleteTimeout: time.Second, ShootClient: shootClientOf(&shoot)})
			Expect(a.Reconcile(ctx, log, gvisorCR, nil)).To(Succeed())
			for _, name := range []string{"extension-runtime-sandbox-gvisor-g", ShootManagedResourceName} {
				mr := &resourcesv1alpha1.ManagedResource{}
				Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, mr)).To(Succeed())
				mr.Finalizers = []string{"resources.gardener.cloud/gardener-resource-manager"}
				Expect(c.Update(ctx, mr)).To(Succeed())
			}

			// Migrate waits for the finalizers until the timeout.
			Expect(a.Migrate(ctx, log, gvisorCR, nil)).To(MatchError(ContainSubstring("extension-runtime-sandbox-gvisor-g")))
			for _, name := range []string{"extension-runtime-sandbox-gvisor-g", ShootManagedResourceName} {
				mr := &resourcesv1alpha1.ManagedResource{}
				Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, mr)).To(Succeed())
				Expect(mr.DeletionTimestamp).NotTo(BeNil())
				keep = append(keep, mr.Spec.KeepObjects)
			}
			Expect(keep).To(Equal([]*bool{new(true), new(true)}))
		})

		It("waits for the released ManagedResources to be gone when migrating, up to the timeout", func() {
			mr := &resourcesv1alpha1.ManagedResource{}
			Expect(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "extension-runtime-sandbox-gvisor-g"}, mr)).To(Succeed())
			mr.Finalizers = []string{"resources.gardener.cloud/gardener-resource-manager"}
			Expect(c.Update(ctx, mr)).To(Succeed())
			Expect(a.Migrate(ctx, log, gvisorCR, nil)).To(MatchError(ContainSubstring("extension-runtime-sandbox-gvisor-g")))
			Expect(exists("extension-runtime-sandbox-gvisor-g")).To(BeTrue())
		})

		It("returns from Migrate once the released ManagedResources are gone", func() {
			Expect(a.Migrate(ctx, log, gvisorCR, nil)).To(Succeed())
			Expect(exists("extension-runtime-sandbox-gvisor-g")).To(BeFalse())
			Expect(exists(ShootManagedResourceName)).To(BeFalse())
		})

		It("restores by reconciling", func() {
			Expect(a.ForceDelete(ctx, log, gvisorCR, nil)).To(Succeed())
			Expect(exists("extension-runtime-sandbox-gvisor-g")).To(BeFalse())
			Expect(a.Restore(ctx, log, gvisorCR, nil)).To(Succeed())
			Expect(exists("extension-runtime-sandbox-gvisor-g")).To(BeTrue())
		})

		Describe("the ready labels, which the installers keep when they stop", func() {
			node := func(name, pool string, labels map[string]string) *corev1.Node {
				n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"worker.gardener.cloud/pool": pool, "other": "label"}}}
				for k, v := range labels {
					n.Labels[k] = v
				}
				return n
			}
			labelsOf := func(name string) map[string]string {
				GinkgoHelper()
				n := &corev1.Node{}
				Expect(shoot.Get(ctx, client.ObjectKey{Name: name}, n)).To(Succeed())
				return n.Labels
			}

			BeforeEach(func() {
				shoot = fakeclient.NewClientBuilder().WithObjects(
					node("g-1", "g", map[string]string{"runtime.gardener.cloud/gvisor-ready": "true"}),
					node("g-2", "g", map[string]string{"runtime.gardener.cloud/gvisor-ready": "true", "runtime.gardener.cloud/kata-ready": "true"}),
					node("k-1", "k", map[string]string{"runtime.gardener.cloud/kata-ready": "true", "katacontainers.io/kata-runtime": "true", "runtime.gardener.cloud/gvisor-ready": "true"}),
				).Build()
			})

			It("go from every node of the pool, and only the deleted runtime's, on Delete", func() {
				Expect(a.Delete(ctx, log, gvisorCR, clusterOf())).To(Succeed())
				Expect(labelsOf("g-1")).To(Equal(map[string]string{"worker.gardener.cloud/pool": "g", "other": "label"}))
				Expect(labelsOf("g-2")).To(Equal(map[string]string{"worker.gardener.cloud/pool": "g", "other": "label", "runtime.gardener.cloud/kata-ready": "true"}))
				Expect(labelsOf("k-1")).To(HaveKeyWithValue("runtime.gardener.cloud/gvisor-ready", "true"), "another pool's node")

				Expect(a.Delete(ctx, log, kataCR, clusterOf())).To(Succeed())
				Expect(labelsOf("k-1")).To(Equal(map[string]string{"worker.gardener.cloud/pool": "k", "other": "label", "runtime.gardener.cloud/gvisor-ready": "true"}), "both of Kata's labels")
			})

			DescribeTable("stay where the nodes go with the shoot",
				func(mutate func(*gardencorev1beta1.Shoot)) {
					cluster := clusterOf()
					mutate(cluster.Shoot)
					Expect(a.Delete(ctx, log, gvisorCR, cluster)).To(Succeed())
					Expect(labelsOf("g-1")).To(HaveKeyWithValue("runtime.gardener.cloud/gvisor-ready", "true"))
				},
				Entry("a shoot being deleted", func(s *gardencorev1beta1.Shoot) { s.DeletionTimestamp = &metav1.Time{Time: time.Now()} }),
				Entry("a hibernated shoot", func(s *gardencorev1beta1.Shoot) {
					s.Spec.Hibernation = &gardencorev1beta1.Hibernation{Enabled: new(true)}
				}),
			)

			It("are not touched on ForceDelete and Migrate", func() {
				Expect(a.ForceDelete(ctx, log, gvisorCR, clusterOf())).To(Succeed())
				Expect(a.Migrate(ctx, log, kataCR, clusterOf())).To(Succeed())
				Expect(labelsOf("g-1")).To(HaveKeyWithValue("runtime.gardener.cloud/gvisor-ready", "true"))
				Expect(labelsOf("k-1")).To(HaveKeyWithValue("runtime.gardener.cloud/kata-ready", "true"))
			})

			It("fails Delete naming the shoot namespace when there is no client for the shoot", func() {
				a = New(c, Config{InstallerImage: image, ShootClient: func(context.Context, string) (client.Client, error) {
					return nil, errors.New("secret gardener not found")
				}})
				Expect(a.Delete(ctx, log, gvisorCR, clusterOf())).To(MatchError(And(ContainSubstring(namespace), ContainSubstring("secret gardener not found"))))
			})
		})
	})
})

var _ = Describe("metrics", func() {
	It("counts operations by runtime type, operation and result", func() {
		ctx := context.Background()
		c := fakeclient.NewClientBuilder().WithScheme(newScheme()).Build()
		a := New(c, Config{InstallerImage: "installer:test"})
		ok := testutil.ToFloat64(Operations.WithLabelValues("gvisor", "reconcile", "succeeded"))
		failed := testutil.ToFloat64(Operations.WithLabelValues("kata", "reconcile", "failed"))

		Expect(a.Reconcile(ctx, logr.Discard(), containerRuntime("gvisor", "pool", ""), clusterOf())).To(Succeed())
		Expect(a.Reconcile(ctx, logr.Discard(), containerRuntime("kata", "pool", `{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["vmware"]}`), clusterOf())).NotTo(Succeed())

		Expect(testutil.ToFloat64(Operations.WithLabelValues("gvisor", "reconcile", "succeeded"))).To(Equal(ok + 1))
		Expect(testutil.ToFloat64(Operations.WithLabelValues("kata", "reconcile", "failed"))).To(Equal(failed + 1))
	})
})
