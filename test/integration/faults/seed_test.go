package faults_test

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// webhookUnreachable matches the API server's refusal when a webhook with failurePolicy Fail cannot be called.
var webhookUnreachable = ContainSubstring("failed calling webhook")

var podCounter int

// newPod returns a pod in the default namespace under a fresh name, asking for sandbox unless it is empty.
func newPod(sandbox string) *corev1.Pod {
	podCounter++
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("faults-%d", podCounter), Namespace: metav1.NamespaceDefault},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	if sandbox != "" {
		pod.Annotations = map[string]string{apipod.AnnotationSandbox: sandbox}
	}
	return pod
}

// createPod creates pod for real and deletes it after the spec; it returns the pod's runtimeClassName.
func createPod(pod *corev1.Pod) (string, error) {
	if err := land.Client.Create(ctx, pod); err != nil {
		return "", err
	}
	DeferCleanup(func() { Expect(client.IgnoreNotFound(land.Client.Delete(ctx, pod))).To(Succeed()) })
	if pod.Spec.RuntimeClassName == nil {
		return "", nil
	}
	return *pod.Spec.RuntimeClassName, nil
}

// oscWrite is a write of an OperatingSystemConfig that gardenlet or an operating system extension makes.
type oscWrite struct {
	name string
	// write makes the write against the OSC osc (created before the outage), or creates its own.
	write func(osc *extensionsv1alpha1.OperatingSystemConfig) error
	// blocked says whether an outage of the seed component blocks it.
	blocked bool
}

var oscWrites = []oscWrite{
	{"create a reconcile OSC of a gVisor pool", func(*extensionsv1alpha1.OperatingSystemConfig) error {
		return land.Client.Create(ctx, samples.OSC("down-gvisor", "gvisor"), client.DryRunAll)
	}, true},
	{"create a reconcile OSC of a pool without a sandbox", func(*extensionsv1alpha1.OperatingSystemConfig) error {
		return land.Client.Create(ctx, samples.OSC("down-plain", "plain"), client.DryRunAll)
	}, true},
	{"create a provision OSC", func(*extensionsv1alpha1.OperatingSystemConfig) error {
		osc := samples.OSC("down-provision", "gvisor")
		osc.Spec.Purpose = extensionsv1alpha1.OperatingSystemConfigPurposeProvision
		return land.Client.Create(ctx, osc, client.DryRunAll)
	}, false},
	{"change the spec of a reconcile OSC (e.g. a new file from gardenlet)", func(osc *extensionsv1alpha1.OperatingSystemConfig) error {
		patch := client.MergeFrom(osc.DeepCopy())
		osc.Spec.Files = append(osc.Spec.Files, extensionsv1alpha1.File{Path: "/etc/faults", Content: extensionsv1alpha1.FileContent{Inline: &extensionsv1alpha1.FileContentInline{Data: "x"}}})
		return land.Client.Patch(ctx, osc.DeepCopy(), patch, client.DryRunAll)
	}, true},
	{"add a finalizer", func(osc *extensionsv1alpha1.OperatingSystemConfig) error {
		patch := client.MergeFrom(osc.DeepCopy())
		osc.Finalizers = append(osc.Finalizers, "extensions.gardener.cloud/faults")
		return land.Client.Patch(ctx, osc.DeepCopy(), patch, client.DryRunAll)
	}, false},
	{"set an annotation (gardener.cloud/operation=reconcile)", func(osc *extensionsv1alpha1.OperatingSystemConfig) error {
		patch := client.MergeFrom(osc.DeepCopy())
		metav1.SetMetaDataAnnotation(&osc.ObjectMeta, "gardener.cloud/operation", "reconcile")
		return land.Client.Patch(ctx, osc.DeepCopy(), patch, client.DryRunAll)
	}, false},
	{"set a label", func(osc *extensionsv1alpha1.OperatingSystemConfig) error {
		patch := client.MergeFrom(osc.DeepCopy())
		metav1.SetMetaDataLabel(&osc.ObjectMeta, "faults", "true")
		return land.Client.Patch(ctx, osc.DeepCopy(), patch, client.DryRunAll)
	}, false},
	{"write the status (the operating system extension)", func(osc *extensionsv1alpha1.OperatingSystemConfig) error {
		patch := client.MergeFrom(osc.DeepCopy())
		osc.Status.ObservedGeneration = osc.Generation
		return land.Client.Status().Patch(ctx, osc.DeepCopy(), patch, client.DryRunAll)
	}, false},
	{"delete", func(osc *extensionsv1alpha1.OperatingSystemConfig) error {
		return land.Client.Delete(ctx, osc.DeepCopy(), client.DryRunAll)
	}, false},
}

var _ = Describe("An outage of the seed component", Ordered, func() {
	var osc *extensionsv1alpha1.OperatingSystemConfig

	BeforeAll(func() {
		By("creating a reconcile OSC of the gVisor pool while the component is up")
		osc = samples.OSC("faults-gvisor", "gvisor")
		Expect(land.Client.Create(ctx, osc)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(land.Client.Delete(ctx, osc))).To(Succeed()) })

		By("stopping the seed component")
		stopSeed()
		Eventually(func() error { _, err := createPod(newPod("gvisor")); return err }).
			WithTimeout(30 * time.Second).Should(MatchError(webhookUnreachable))
	})

	AfterAll(func() {
		if seed == nil {
			startSeed()
		}
	})

	It("refuses pods that ask for a sandbox (fail closed) and lets every other pod through", func() {
		for range 5 {
			_, err := createPod(newPod("gvisor"))
			Expect(err).To(MatchError(webhookUnreachable))
			Expect(err).To(MatchError(ContainSubstring("pods")))
			class, err := createPod(newPod(""))
			Expect(err).NotTo(HaveOccurred(), "a pod that asks for nothing never reaches the webhooks")
			Expect(class).To(BeEmpty())
		}
	})

	It("blocks only the OSC writes the webhook must judge", func() {
		var matrix []string
		for _, w := range oscWrites {
			current := &extensionsv1alpha1.OperatingSystemConfig{}
			Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(osc), current)).To(Succeed())
			err := w.write(current)
			outcome := "passes"
			if err != nil {
				outcome = "blocked: " + err.Error()
			}
			matrix = append(matrix, fmt.Sprintf("%-70s %s", w.name, outcome))
			if w.blocked {
				Expect(err).To(MatchError(webhookUnreachable), w.name)
			} else {
				Expect(err).NotTo(HaveOccurred(), w.name)
			}
		}
		AddReportEntry("OSC writes while the seed component is down", strings.Join(matrix, "\n"))
	})

	It("works again once the component is back: sandboxed pods are defaulted, OSCs mutated", func() {
		By("starting the seed component on a new port: it registers its OSC webhook anew, and its ContainerRuntime controller rewrites the shoot's pod webhooks")
		startSeed()
		Eventually(func() (string, error) { return createPod(newPod("gvisor")) }).
			WithTimeout(2 * time.Minute).Should(Equal("gvisor"))
		class, err := createPod(newPod(""))
		Expect(err).NotTo(HaveOccurred())
		Expect(class).To(BeEmpty())

		mutated := samples.OSC("back-gvisor", "gvisor")
		Expect(land.Client.Create(ctx, mutated, client.DryRunAll)).To(Succeed())
		Expect(fmt.Sprint(mutated.Spec.CRIConfig.Containerd.Plugins)).To(ContainSubstring("runsc"))
	})
})

var _ = Describe("An OSC whose namespace has no usable Cluster", func() {
	BeforeEach(func() {
		Expect(seed).NotTo(BeNil())
	})

	It("is refused naming the namespace when the Cluster is missing", func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "shoot--faults--"}}
		Expect(land.Client.Create(ctx, ns)).To(Succeed())
		DeferCleanup(func() { Expect(land.Client.Delete(ctx, ns)).To(Succeed()) })
		osc := samples.OSC("no-cluster", "gvisor")
		osc.Namespace = ns.Name
		err := land.Client.Create(ctx, osc, client.DryRunAll)
		Expect(err).To(MatchError(And(ContainSubstring("reading the Cluster of OperatingSystemConfig "+ns.Name+"/no-cluster"), ContainSubstring("not found"))))
	})

	// The Cluster's CRD requires spec.shoot, so through the API a Cluster without a Shoot is one whose spec.shoot
	// is no Shoot.
	It("is refused naming the namespace when the Cluster carries no Shoot", func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "shoot--faults--"}}
		Expect(land.Client.Create(ctx, ns)).To(Succeed())
		DeferCleanup(func() { Expect(land.Client.Delete(ctx, ns)).To(Succeed()) })
		cluster, err := samples.ClusterFor(ns.Name, &gardencorev1beta1.Shoot{})
		Expect(err).NotTo(HaveOccurred())
		cluster.Spec.Shoot = runtime.RawExtension{Raw: []byte("{}")}
		Expect(land.Client.Create(ctx, cluster)).To(Succeed())
		DeferCleanup(func() { Expect(land.Client.Delete(ctx, cluster)).To(Succeed()) })

		// The seed component reads Clusters from its cache, which sees the new Cluster a moment later: until then
		// the OSC is refused as one without a Cluster.
		Eventually(func() error {
			osc := samples.OSC("no-shoot", "gvisor")
			osc.Namespace = ns.Name
			return land.Client.Create(ctx, osc, client.DryRunAll)
		}).Should(MatchError(ContainSubstring("the Cluster " + ns.Name + " carries no Shoot")))
	})
})
