package poddefaulting_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	resourcesv1alpha1 "github.com/gardener/gardener/pkg/apis/resources/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

// sharedManagedResource is the ManagedResource that holds the shoot's pod rules.
const sharedManagedResource = actuator.ShootManagedResourceName

var nsCounter int

// namespace creates a namespace with the given labels and returns its name.
func namespace(labels map[string]string) string {
	nsCounter++
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pods-%d", nsCounter), Labels: labels}}
	Expect(land.Client.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

func newPod(ns string, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "p-", Namespace: ns, Annotations: annotations},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.k8s.io/pause:3.10"}}},
	}
}

// podRequests returns how many pod admission requests the seed component's webhooks answered.
func podRequests() float64 {
	families, err := metrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range families {
		if f.GetName() != "runtime_sandbox_admission_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabel(m, "webhook", "pod-") {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

func hasLabel(m *dto.Metric, name, prefix string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && len(l.GetValue()) >= len(prefix) && l.GetValue()[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

const (
	sandbox = "runtime.gardener.cloud/sandbox"
	enforce = "runtime.gardener.cloud/sandbox-enforce"
	// enforceLevel raises an enforced namespace's Pod Security Standards level.
	enforceLevel = "runtime.gardener.cloud/sandbox-enforce-level"
	gvisorSel    = "containerruntime.worker.gardener.cloud/gvisor"
	kataSel      = "containerruntime.worker.gardener.cloud/kata"
)

// One behaviour, proven twice: every case below runs against both deliveries of the pod rules, the webhooks served
// from the seed and the admission policies in the shoot. The seed component restarts between them, so the actuator
// switches the shoot from the one to the other.
var _ = Describe("Pod defaulting through the real kube-apiserver", func() {
	for _, delivery := range []string{actuator.PodAdmissionWebhook, actuator.PodAdmissionPolicy} {
		Describe("delivered as "+delivery, Ordered, func() {
			var stopSeed func()
			BeforeAll(func() { stopSeed = deliver(delivery) })
			behaviour(delivery)

			if delivery == actuator.PodAdmissionPolicy {
				It("defaults, refuses and admits pods exactly so with the seed component stopped", func() {
					stopSeed()
					ns := namespace(nil)
					pod := newPod(ns, map[string]string{sandbox: "gvisor"})
					Expect(land.Client.Create(ctx, pod)).To(Succeed())
					Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("gvisor")))
					Expect(pod.Spec.NodeSelector).To(HaveKeyWithValue(gvisorSel, "true"))

					byDefault := newPod(namespace(map[string]string{sandbox: "kata"}), nil)
					Expect(land.Client.Create(ctx, byDefault)).To(Succeed())
					Expect(byDefault.Spec.RuntimeClassName).To(PointTo(Equal("kata-qemu")))

					Expect(land.Client.Create(ctx, newPod(ns, map[string]string{"runtime.gardener.cloud/sandbx": "gvisor"}))).To(MatchError(ContainSubstring(
						`the pod's annotation runtime.gardener.cloud/sandbx="gvisor" is not one this cluster's sandboxes know`)))
					enforced := namespace(map[string]string{enforce: "gvisor"})
					Expect(land.Client.Create(ctx, newPod(enforced, nil))).To(MatchError(ContainSubstring(
						fmt.Sprintf(`namespace %s requires runtime class "gvisor"`, enforced))))
					privileged := newPod(enforced, map[string]string{sandbox: "gvisor"})
					privileged.Spec.HostPID = true
					Expect(land.Client.Create(ctx, privileged)).To(MatchError(ContainSubstring("hostPID=true")))

					plain := newPod(ns, nil)
					Expect(land.Client.Create(ctx, plain)).To(Succeed())
					Expect(plain.Spec.RuntimeClassName).To(BeNil())
				})
			}
		})
	}

	Describe("switching the delivery", Ordered, func() {
		DescribeTable("admits no pod that asks for a sandbox without one, while the actuator deploys the new delivery, waits until it is in force, and only then removes the old one",
			func(from, to string) {
				stopOld := deliver(from)
				annotated := namespace(nil)
				enforced := namespace(map[string]string{enforce: "gvisor"})
				defaulted := namespace(map[string]string{sandbox: "gvisor"})

				// The deliveries the shared ManagedResource records, in the order it records them: a watch sees every
				// change.
				watcher, err := client.NewWithWatch(land.Config, client.Options{Scheme: land.Client.Scheme()})
				Expect(err).NotTo(HaveOccurred())
				watchCtx, stopWatch := context.WithCancel(ctx)
				defer stopWatch()
				w, err := watcher.Watch(watchCtx, &resourcesv1alpha1.ManagedResourceList{}, client.InNamespace(samples.ShootNamespace))
				Expect(err).NotTo(HaveOccurred())
				defer w.Stop()
				var recorded []string
				recording := make(chan struct{})
				go func() {
					defer close(recording)
					for event := range w.ResultChan() {
						if mr, ok := event.Object.(*resourcesv1alpha1.ManagedResource); ok && mr.Name == sharedManagedResource {
							if value := mr.Annotations[actuator.DeliveryAnnotation]; len(recorded) == 0 || recorded[len(recorded)-1] != value {
								recorded = append(recorded, value)
							}
						}
					}
				}()

				var (
					mu                 sync.Mutex
					sandboxed, refused int
					unsandboxed        []string
					done               = make(chan struct{})
					stopped            = make(chan struct{})
				)
				go func() {
					defer GinkgoRecover()
					defer close(stopped)
					for {
						select {
						case <-done:
							return
						default:
						}
						for _, pod := range []*corev1.Pod{newPod(annotated, map[string]string{sandbox: "gvisor"}), newPod(defaulted, nil), newPod(enforced, nil)} {
							err := land.Client.Create(ctx, pod, client.DryRunAll)
							mu.Lock()
							switch {
							case err != nil:
								refused++
							case pod.Spec.RuntimeClassName != nil && *pod.Spec.RuntimeClassName == "gvisor":
								sandboxed++
							default:
								unsandboxed = append(unsandboxed, pod.Namespace)
							}
							mu.Unlock()
						}
					}
				}()
				By("restarting the seed component with --pod-admission=" + to)
				stopOld()
				deliver(to)
				close(done)
				<-stopped
				stopWatch()
				<-recording
				mu.Lock()
				defer mu.Unlock()
				GinkgoWriter.Printf("switch %s -> %s: %d sandboxed, %d refused; deliveries recorded: %v\n", from, to, sandboxed, refused, recorded)
				Expect(unsandboxed).To(BeEmpty(), "pods admitted without a sandbox, by namespace")
				Expect(sandboxed).To(BeNumerically(">", 0))
				both := strings.Join(slices.Sorted(slices.Values([]string{from, to})), ",")
				Expect(recorded).To(Equal([]string{from, both, to}), "the shared ManagedResource holds the old delivery, then both, then the new one only")
			},
			Entry("from the webhooks to the policies", actuator.PodAdmissionWebhook, actuator.PodAdmissionPolicy),
			Entry("from the policies to the webhooks", actuator.PodAdmissionPolicy, actuator.PodAdmissionWebhook),
		)
	})
})

// behaviour is the shared table of the pod rules.
func behaviour(delivery string) {
	var ns string
	BeforeEach(func() { ns = namespace(nil) })
	// calls is how many webhook requests n pods that reach the pod rules cost: none with the policies.
	calls := func(n float64) float64 {
		if delivery == actuator.PodAdmissionPolicy {
			return 0
		}
		return n
	}
	// breaks is the start of the refusal of a pod that breaks level in the enforced namespace ns: the webhook's
	// words, or Kubernetes' PodSecurity admission's.
	breaks := func(level, ns string) string {
		if delivery == actuator.PodAdmissionPolicy {
			return fmt.Sprintf(`violates PodSecurity "%s:latest"`, level)
		}
		return fmt.Sprintf(`the pod breaks the Pod Security Standards level %q that namespace %s enforces for its sandboxed pods`, level, ns)
	}

	It("stores an annotated pod with runtimeClassName, node selector and the RuntimeClass's scheduling", func() {
		pod := newPod(ns, map[string]string{sandbox: "gvisor"})
		Expect(land.Client.Create(ctx, pod)).To(Succeed())
		Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("gvisor")))
		Expect(pod.Spec.NodeSelector).To(Equal(map[string]string{
			gvisorSel:                             "true",
			"runtime.gardener.cloud/gvisor-ready": "true",
		}))
	})

	It("never sends a pod that asks for nothing to the webhook, and stores it unchanged", func() {
		before := podRequests()
		pod := newPod(ns, map[string]string{"team": "a"})
		sent := pod.DeepCopy()
		Expect(land.Client.Create(ctx, pod)).To(Succeed())
		Expect(pod.Spec.RuntimeClassName).To(BeNil())
		Expect(pod.Spec.NodeSelector).To(Equal(sent.Spec.NodeSelector))
		Expect(podRequests()).To(Equal(before), "the API server called the webhook for a pod that asks for nothing")

		By("while an annotated pod does reach it")
		Expect(land.Client.Create(ctx, newPod(ns, map[string]string{sandbox: "gvisor"}))).To(Succeed())
		Expect(podRequests()).To(Equal(before + calls(1)))
	})

	It("resolves the type name kata to the shoot's first Kata class, and the RuntimeClass admission adds its overhead", func() {
		pod := newPod(ns, map[string]string{sandbox: "kata"})
		Expect(land.Client.Create(ctx, pod)).To(Succeed())
		Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("kata-qemu")))
		Expect(pod.Spec.NodeSelector).To(HaveKeyWithValue(kataSel, "true"))
		Expect(pod.Spec.Overhead).To(HaveKeyWithValue(corev1.ResourceMemory, resource.MustParse("160Mi")))
	})

	DescribeTable("kata-deploy's annotations mean the shoot's default sandbox (gvisor)",
		func(annotations map[string]string) {
			pod := newPod(ns, annotations)
			Expect(land.Client.Create(ctx, pod)).To(Succeed())
			Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("gvisor")))
		},
		Entry("untrusted workload", map[string]string{"io.kubernetes.cri.untrusted-workload": "true"}),
		Entry("CRI-O untrusted sandbox", map[string]string{"io.kubernetes.cri-o.TrustedSandbox": "false"}),
	)

	DescribeTable("refuses with a message that says what to change",
		func(mutate func(*corev1.Pod), fragments ...string) {
			pod := newPod(ns, map[string]string{sandbox: "gvisor"})
			mutate(pod)
			err := land.Client.Create(ctx, pod)
			Expect(err).To(HaveOccurred())
			for _, f := range fragments {
				Expect(err.Error()).To(ContainSubstring(f))
			}
		},
		Entry("an explicit different runtimeClassName", func(p *corev1.Pod) { p.Spec.RuntimeClassName = new("runc") },
			`asks for runtime class "gvisor", but the pod sets spec.runtimeClassName "runc": remove spec.runtimeClassName or change the annotation runtime.gardener.cloud/sandbox`),
		Entry("a contradicting node selector", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{gvisorSel: "false"} },
			`the pod's spec.nodeSelector containerruntime.worker.gardener.cloud/gvisor=false matches no node that runs it (worker pools gvisor), so the pod would stay Pending: remove that selector, or change the annotation runtime.gardener.cloud/sandbox`),
		Entry("kata-deploy's node selector with gvisor", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"katacontainers.io/kata-runtime": "true"} },
			`annotation runtime.gardener.cloud/sandbox=gvisor asks for runtime class "gvisor", but the pod's spec.nodeSelector katacontainers.io/kata-runtime=true matches no node that runs it (worker pools gvisor)`),
		Entry("a pool that offers no gvisor", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"worker.gardener.cloud/pool": "plain"} },
			`the pod's spec.nodeSelector worker.gardener.cloud/pool=plain matches no node that runs it (worker pools gvisor)`),
		Entry("an unknown class", func(p *corev1.Pod) { p.Annotations[sandbox] = "vmware" },
			`names the unknown sandbox "vmware"; known: gvisor, kata-qemu, kata-clh, kata-fc (or a runtime type: gvisor, kata); offered here: gvisor, kata-qemu, kata-fc`),
		Entry("a class no worker pool of the shoot offers", func(p *corev1.Pod) { p.Annotations[sandbox] = "kata-clh" },
			`asks for runtime class "kata-clh", but no worker pool of this cluster offers it; offered runtime classes: gvisor, kata-qemu, kata-fc`),
	)

	Context("coming from kata-deploy", func() {
		// kata-deploy's canonical sample workload, unchanged.
		sample := func(ns string) *corev1.Pod {
			pod := newPod(ns, map[string]string{"io.kubernetes.cri-o.TrustedSandbox": "false", "io.kubernetes.cri.untrusted-workload": "true"})
			pod.Spec.NodeSelector = map[string]string{"katacontainers.io/kata-runtime": "true"}
			return pod
		}

		It("gets the shoot's first Kata class and node selectors a Kata node meets, never gvisor", func() {
			pod := sample(ns)
			Expect(land.Client.Create(ctx, pod)).To(Succeed())
			Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("kata-qemu")))
			Expect(pod.Spec.NodeSelector).To(Equal(map[string]string{
				"katacontainers.io/kata-runtime":    "true",
				kataSel:                             "true",
				"runtime.gardener.cloud/kata-ready": "true",
			}))
		})

		It("gets a Kata class in a namespace whose default is gvisor", func() {
			pod := sample(namespace(map[string]string{sandbox: "gvisor"}))
			pod.Annotations = nil
			Expect(land.Client.Create(ctx, pod)).To(Succeed())
			Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("kata-qemu")))
		})
	})

	DescribeTable("refuses annotations that look like a request for a sandbox but are none, instead of running the pod unsandboxed",
		func(annotations map[string]string, fragment string) {
			Expect(land.Client.Create(ctx, newPod(ns, annotations))).To(MatchError(ContainSubstring(fragment)))
		},
		Entry("a misspelt key", map[string]string{"runtime.gardener.cloud/sandbx": "gvisor"},
			`the pod's annotation runtime.gardener.cloud/sandbx="gvisor" is not one this cluster's sandboxes know: the only annotation under runtime.gardener.cloud/ is runtime.gardener.cloud/sandbox`),
		Entry("an empty sandbox", map[string]string{sandbox: ""}, `the pod's annotation runtime.gardener.cloud/sandbox is empty`),
		Entry("kata-deploy's annotation capitalised", map[string]string{"io.kubernetes.cri.untrusted-workload": "True"},
			`the pod's annotation io.kubernetes.cri.untrusted-workload="True" is neither "true" (run the pod in the default sandbox) nor "false" (no sandbox)`),
		Entry("kata-deploy's annotation as yes", map[string]string{"io.kubernetes.cri.untrusted-workload": "yes"}, `io.kubernetes.cri.untrusted-workload="yes"`),
		Entry("CRI-O's annotation as 0", map[string]string{"io.kubernetes.cri-o.TrustedSandbox": "0"}, `io.kubernetes.cri-o.TrustedSandbox="0"`),
	)

	It("never sends a pod whose kata-deploy annotation says no sandbox", func() {
		before := podRequests()
		pod := newPod(ns, map[string]string{"io.kubernetes.cri.untrusted-workload": "false", "io.kubernetes.cri-o.TrustedSandbox": "true"})
		Expect(land.Client.Create(ctx, pod)).To(Succeed())
		Expect(pod.Spec.RuntimeClassName).To(BeNil())
		Expect(podRequests()).To(Equal(before))
	})

	It("leaves kube-system alone", func() {
		pod := newPod(metav1.NamespaceSystem, map[string]string{sandbox: "gvisor"})
		Expect(land.Client.Create(ctx, pod)).To(Succeed())
		Expect(pod.Spec.RuntimeClassName).To(BeNil())
	})

	It("stores pods created like a Deployment's ReplicaSet creates them, with the template's annotation", func() {
		pod := newPod(ns, map[string]string{sandbox: "kata-fc"})
		pod.Labels = map[string]string{"app": "web", "pod-template-hash": "5d4f8c"}
		pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d4f8c", UID: "2f4a1c3e-0000-4000-8000-000000000001", Controller: new(true)}}
		Expect(land.Client.Create(ctx, pod)).To(Succeed())
		Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("kata-fc")))
	})

	Context("namespace defaults", func() {
		It("runs every pod of a labelled namespace in its class", func() {
			ns := namespace(map[string]string{sandbox: "kata-fc"})
			pod := newPod(ns, nil)
			Expect(land.Client.Create(ctx, pod)).To(Succeed())
			Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("kata-fc")))
			Expect(pod.Spec.NodeSelector).To(HaveKeyWithValue(kataSel, "true"))
		})

		It("lets the pod's own annotation win over the namespace default", func() {
			ns := namespace(map[string]string{sandbox: "kata-fc"})
			pod := newPod(ns, map[string]string{sandbox: "gvisor"})
			Expect(land.Client.Create(ctx, pod)).To(Succeed())
			Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("gvisor")))
		})

		It("takes a runtime type as the namespace's default: its first class the shoot offers", func() {
			ns := namespace(map[string]string{sandbox: "kata"})
			pod := newPod(ns, nil)
			Expect(land.Client.Create(ctx, pod)).To(Succeed())
			Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("kata-qemu")))
		})

		It("refuses pods of namespaces whose labels name no known class, instead of silently not sandboxing them", func() {
			typo := namespace(map[string]string{sandbox: "gviser"})
			Expect(land.Client.Create(ctx, newPod(typo, nil))).To(MatchError(ContainSubstring(
				"the label runtime.gardener.cloud/sandbox of namespace " + typo + " names no known runtime class (known: gvisor, kata-qemu, kata-clh, kata-fc; or a runtime type: gvisor, kata)")))

			enforceTypo := namespace(map[string]string{enforce: "gviser"})
			pod := newPod(enforceTypo, nil)
			pod.Spec.RuntimeClassName = new("gvisor")
			Expect(land.Client.Create(ctx, pod)).To(MatchError(ContainSubstring("so no pod can comply; fix the namespace label")))
		})

		It("refuses pods of a namespace labelled with a class the shoot does not offer", func() {
			ns := namespace(map[string]string{sandbox: "kata-clh"})
			Expect(land.Client.Create(ctx, newPod(ns, nil))).To(MatchError(ContainSubstring(
				`namespace label runtime.gardener.cloud/sandbox=kata-clh asks for runtime class "kata-clh", but no worker pool of this cluster offers it; offered runtime classes: gvisor, kata-qemu, kata-fc; fix the namespace label`)))
		})
	})

	Context("enforcement", func() {
		var enforced string
		BeforeEach(func() { enforced = namespace(map[string]string{enforce: "gvisor"}) })

		It("refuses a pod without runtimeClassName, saying how to comply", func() {
			Expect(land.Client.Create(ctx, newPod(enforced, nil))).To(MatchError(ContainSubstring(
				fmt.Sprintf(`namespace %s requires runtime class "gvisor" (label runtime.gardener.cloud/sandbox-enforce=gvisor), but the pod asks for no sandbox: annotate the pod with runtime.gardener.cloud/sandbox: gvisor, or label the namespace runtime.gardener.cloud/sandbox=gvisor to run all its pods in it`, enforced))))
		})

		It("refuses a pod with another runtimeClassName", func() {
			pod := newPod(enforced, nil)
			pod.Spec.RuntimeClassName = new("kata-qemu")
			Expect(land.Client.Create(ctx, pod)).To(MatchError(ContainSubstring(`but the pod runs in runtime class "kata-qemu" (its spec.runtimeClassName, or the namespace's default label runtime.gardener.cloud/sandbox): set spec.runtimeClassName to "gvisor"`)))
		})

		It("admits pods in the class, set by annotation or namespace default", func() {
			Expect(land.Client.Create(ctx, newPod(enforced, map[string]string{sandbox: "gvisor"}))).To(Succeed())

			both := namespace(map[string]string{enforce: "gvisor", sandbox: "gvisor"})
			pod := newPod(both, nil)
			Expect(land.Client.Create(ctx, pod)).To(Succeed())
			Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("gvisor")))
		})

		It("checks pods already in the class too", func() {
			pod := newPod(enforced, nil)
			pod.Spec.RuntimeClassName = new("gvisor")
			before := podRequests()
			Expect(land.Client.Create(ctx, pod)).To(Succeed())
			Expect(podRequests()).To(Equal(before + calls(1)))
		})

		DescribeTable("refuses a pod in the class that walks around the sandbox, naming each Pod Security check",
			func(mutate func(*corev1.Pod), fragments ...string) {
				pod := newPod(enforced, map[string]string{sandbox: "gvisor"})
				mutate(pod)
				err := land.Client.Create(ctx, pod)
				Expect(err).To(MatchError(ContainSubstring(breaks("baseline", enforced))))
				for _, f := range fragments {
					Expect(err).To(MatchError(ContainSubstring(f)))
				}
			},
			Entry("the host's root as a hostPath volume", func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
			}, "hostPath volumes", `volume "root"`),
			Entry("privileged", func(p *corev1.Pod) {
				p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: new(true)}
			}, "privileged", `container "app" must not set securityContext.privileged=true`),
			Entry("hostNetwork", func(p *corev1.Pod) { p.Spec.HostNetwork = true }, "host namespaces", "hostNetwork=true"),
			Entry("hostPID", func(p *corev1.Pod) { p.Spec.HostPID = true }, "host namespaces", "hostPID=true"),
			Entry("hostIPC", func(p *corev1.Pod) { p.Spec.HostIPC = true }, "host namespaces", "hostIPC=true"),
			Entry("an added capability", func(p *corev1.Pod) {
				p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}
			}, "non-default capabilities", `container "app" must not include "SYS_ADMIN"`),
		)

		It("checks an ephemeral container added to a pod of the namespace like the pod", func() {
			pod := newPod(enforced, map[string]string{sandbox: "gvisor"})
			Expect(land.Client.Create(ctx, pod)).To(Succeed())

			pod.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debugger", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: new(true)},
			}}}
			Expect(land.Client.SubResource("ephemeralcontainers").Update(ctx, pod)).To(MatchError(ContainSubstring(
				`container "debugger" must not set securityContext.privileged=true`)))

			pod.Spec.EphemeralContainers[0].SecurityContext = nil
			Expect(land.Client.SubResource("ephemeralcontainers").Update(ctx, pod)).To(Succeed())
		})

		It("raises the level to restricted with runtime.gardener.cloud/sandbox-enforce-level", func() {
			strict := namespace(map[string]string{enforce: "gvisor", enforceLevel: "restricted"})
			err := land.Client.Create(ctx, newPod(strict, map[string]string{sandbox: "gvisor"}))
			Expect(err).To(MatchError(ContainSubstring(breaks("restricted", strict))))
			Expect(err).To(MatchError(ContainSubstring("runAsNonRoot != true")))

			hardened := newPod(strict, map[string]string{sandbox: "gvisor"})
			hardened.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: new(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
			hardened.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: new(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
			Expect(land.Client.Create(ctx, hardened)).To(Succeed())
		})

		It("refuses Kata annotations outside Kata's allowlist, and admits those on it", func() {
			kataNS := namespace(map[string]string{enforce: "kata"})
			pod := newPod(kataNS, map[string]string{sandbox: "kata", "io.katacontainers.config.hypervisor.kernel": "/var/evil/vmlinux"})
			Expect(land.Client.Create(ctx, pod)).To(MatchError(ContainSubstring(
				`the pod's annotation io.katacontainers.config.hypervisor.kernel="/var/evil/vmlinux" is not one a sandbox takes from a pod (allowed: `)))

			allowed := newPod(kataNS, map[string]string{sandbox: "kata", "io.katacontainers.config.hypervisor.default_vcpus": "2"})
			Expect(land.Client.Create(ctx, allowed)).To(Succeed())
			Expect(allowed.Spec.RuntimeClassName).To(PointTo(Equal("kata-qemu")))
		})

		It("refuses every pod of a namespace whose level label names no level", func() {
			typo := namespace(map[string]string{enforce: "gvisor", enforceLevel: "restrictd"})
			Expect(land.Client.Create(ctx, newPod(typo, map[string]string{sandbox: "gvisor"}))).To(MatchError(ContainSubstring(
				"the label runtime.gardener.cloud/sandbox-enforce-level of namespace " + typo + " names no known level (known: baseline, restricted; without the label: baseline)")))
		})
	})

	It("warns about a sandboxed pod outside enforced namespaces that breaks baseline, and still sandboxes it", func() {
		if delivery == actuator.PodAdmissionPolicy {
			Skip("the policy delivery gives no such warning: CEL cannot run the Pod Security checks (see the README)")
		}
		warnings := &warningRecorder{}
		cfg := rest.CopyConfig(land.Config)
		cfg.WarningHandler = warnings
		c, err := client.New(cfg, client.Options{})
		Expect(err).NotTo(HaveOccurred())

		pod := newPod(ns, map[string]string{sandbox: "gvisor"})
		pod.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		Expect(c.Create(ctx, pod)).To(Succeed())
		Expect(pod.Spec.RuntimeClassName).To(PointTo(Equal("gvisor")))
		Expect(warnings.texts()).To(ContainElement(`the sandbox "gvisor" does not protect the node from what this pod shares with it; it breaks the Pod Security Standards level "baseline": hostPath volumes: volume "root"`))
	})
}

// warningRecorder records the warnings the API server sends.
type warningRecorder struct {
	mu       sync.Mutex
	warnings []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warnings = append(w.warnings, text)
}

func (w *warningRecorder) texts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.warnings)
}
