package pod_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	. "github.com/gardener/gardener-extension-runtime-sandbox/validators/pod"
)

// pod returns a pod in the gvisor class that passes the restricted level, changed by mutate.
func pod(mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{
			RuntimeClassName: new("gvisor"),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   new(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{Name: "app", Image: "i", SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: new(false),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			}}},
		},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

var (
	v136       = psaapi.MajorMinorVersion(1, 36)
	baseline   = Enforcement{Namespace: "team", Class: "gvisor", Level: apipod.LevelBaseline, Version: v136}
	restricted = Enforcement{Namespace: "team", Class: "gvisor", Level: apipod.LevelRestricted, Version: v136}
)

var _ = Describe("Enforce", func() {
	DescribeTable("admits only pods in the namespace's class, saying what to change",
		func(p *corev1.Pod, fragment string) {
			err := Enforce(p, baseline)
			if fragment == "" {
				Expect(err).NotTo(HaveOccurred())
				return
			}
			Expect(err).To(MatchError(ContainSubstring(fragment)))
			Expect(err.(*apipod.Refusal).Reason).To(Equal("enforced"))
		},
		Entry("in the class", pod(), ""),
		Entry("no runtimeClassName", pod(func(p *corev1.Pod) { p.Spec.RuntimeClassName = nil }),
			`namespace team requires runtime class "gvisor" (label runtime.gardener.cloud/sandbox-enforce=gvisor), but the pod asks for no sandbox: annotate the pod with runtime.gardener.cloud/sandbox: gvisor, or label the namespace runtime.gardener.cloud/sandbox=gvisor to run all its pods in it`),
		Entry("another class it set itself", pod(func(p *corev1.Pod) { p.Spec.RuntimeClassName = new("kata-qemu") }),
			`but the pod runs in runtime class "kata-qemu" (its spec.runtimeClassName, or the namespace's default label runtime.gardener.cloud/sandbox): set spec.runtimeClassName to "gvisor"`),
		Entry("another class its annotation asked for", pod(func(p *corev1.Pod) {
			p.Spec.RuntimeClassName = new("kata-qemu")
			p.Annotations = map[string]string{apipod.AnnotationSandbox: "kata"}
		}), `but the pod's annotation runtime.gardener.cloud/sandbox asks for "kata": change the annotation to runtime.gardener.cloud/sandbox: gvisor`),
		Entry("another class kata-deploy's annotation resolved to", pod(func(p *corev1.Pod) {
			p.Spec.RuntimeClassName = new("kata-qemu")
			p.Annotations = map[string]string{apipod.AnnotationUntrustedWorkload: "true"}
		}), `but the pod asks for the cluster's default sandbox by annotation, which is "kata-qemu" here`),
	)

	It("takes a runtime type as any of its classes", func() {
		kata := Enforcement{Namespace: "team", Class: "kata", Level: apipod.LevelBaseline, Version: v136}
		Expect(Enforce(pod(func(p *corev1.Pod) { p.Spec.RuntimeClassName = new("kata-fc") }), kata)).To(Succeed())
		Expect(Enforce(pod(), kata)).To(MatchError(ContainSubstring(
			`namespace team requires a runtime class of kata (label runtime.gardener.cloud/sandbox-enforce=kata), but the pod runs in runtime class "gvisor"`)))
	})

	DescribeTable("refuses pods in the class that the Pod Security Standards baseline level refuses, naming each check",
		func(mutate func(*corev1.Pod), fragments ...string) {
			err := Enforce(pod(mutate), baseline)
			Expect(err).To(HaveOccurred())
			Expect(err.(*apipod.Refusal).Reason).To(Equal("insecure"))
			Expect(err).To(MatchError(ContainSubstring(`the pod breaks the Pod Security Standards level "baseline" that namespace team enforces for its sandboxed pods (label runtime.gardener.cloud/sandbox-enforce)`)))
			for _, f := range fragments {
				Expect(err).To(MatchError(ContainSubstring(f)))
			}
		},
		Entry("the host's root as a volume", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		}, `hostPath volumes: volume "root"`),
		Entry("privileged", func(p *corev1.Pod) { p.Spec.Containers[0].SecurityContext.Privileged = new(true) }, `privileged: container "app"`),
		Entry("host network", func(p *corev1.Pod) { p.Spec.HostNetwork = true }, "host namespaces: hostNetwork=true"),
		Entry("host PID", func(p *corev1.Pod) { p.Spec.HostPID = true }, "host namespaces: hostPID=true"),
		Entry("host IPC", func(p *corev1.Pod) { p.Spec.HostIPC = true }, "host namespaces: hostIPC=true"),
		Entry("an added capability", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"SYS_ADMIN"}
		}, `non-default capabilities: container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add`),
		Entry("everything at once", func(p *corev1.Pod) {
			p.Spec.HostPID = true
			p.Spec.Containers[0].SecurityContext.Privileged = new(true)
		}, "host namespaces: hostPID=true; privileged:"),
		Entry("a privileged ephemeral container", func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debugger", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: new(true)},
			}}}
		}, `privileged: container "debugger"`),
	)

	DescribeTable("refuses Kata annotations outside the allowlist, which choose what runs on the node",
		func(key string) {
			err := Enforce(pod(func(p *corev1.Pod) { p.Annotations = map[string]string{key: "x"} }), baseline)
			Expect(err).To(MatchError(ContainSubstring(`the pod's annotation ` + key + `="x" is not one a sandbox takes from a pod (allowed: `)))
			Expect(err.(*apipod.Refusal).Reason).To(Equal("insecure"))
		},
		Entry("a configuration file on the host", "io.katacontainers.config_path"),
		Entry("the hypervisor's binary", "io.katacontainers.config.hypervisor.path"),
		Entry("the guest kernel", "io.katacontainers.config.hypervisor.kernel"),
		Entry("kernel parameters", "io.katacontainers.config.hypervisor.kernel_params"),
		Entry("virtiofsd's arguments", "io.katacontainers.config.hypervisor.virtio_fs_extra_args"),
		Entry("guest seccomp off", "io.katacontainers.config.runtime.disable_guest_seccomp"),
	)

	It("admits Kata annotations on the allowlist", func() {
		Expect(Enforce(pod(func(p *corev1.Pod) {
			p.Annotations = map[string]string{"io.katacontainers.config.hypervisor.default_vcpus": "2"}
		}), baseline)).To(Succeed())
	})

	It("reports a pod outside the class that also breaks the level with both problems", func() {
		err := Enforce(pod(func(p *corev1.Pod) {
			p.Spec.RuntimeClassName = nil
			p.Spec.HostNetwork = true
		}), baseline)
		Expect(err).To(MatchError(And(ContainSubstring("the pod asks for no sandbox"), ContainSubstring("; and the pod breaks the Pod Security Standards level"), ContainSubstring("hostNetwork=true"))))
		Expect(err.(*apipod.Refusal).Reason).To(Equal("enforced"))
	})

	It("raises the level to restricted with the level label, and names it", func() {
		runsAsRoot := pod(func(p *corev1.Pod) { p.Spec.SecurityContext = nil })
		Expect(Enforce(runsAsRoot, baseline)).To(Succeed())
		err := Enforce(runsAsRoot, restricted)
		Expect(err).To(MatchError(ContainSubstring(`level "restricted" that namespace team enforces for its sandboxed pods (label runtime.gardener.cloud/sandbox-enforce and runtime.gardener.cloud/sandbox-enforce-level=restricted)`)))
		Expect(err).To(MatchError(ContainSubstring("runAsNonRoot != true")))
		Expect(err).To(MatchError(ContainSubstring("seccompProfile")))
		Expect(Enforce(pod(), restricted)).To(Succeed())
	})
})

var _ = Describe("Violations", func() {
	It("applies the checks of the shoot's Kubernetes version", func() {
		// Since v1.34, a Pod Security check forbids probes and lifecycle handlers that reach another host; v1.33 had none.
		hostProbe := pod(func(p *corev1.Pod) {
			p.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.1"}}}
		})
		Expect(Violations(hostProbe, apipod.LevelBaseline, psaapi.MajorMinorVersion(1, 33))).To(BeEmpty())
		Expect(Violations(hostProbe, apipod.LevelBaseline, v136)).To(ConsistOf(ContainSubstring("probe or lifecycle host")))
		Expect(Violations(hostProbe, apipod.LevelBaseline, psaapi.LatestVersion())).NotTo(BeEmpty())
	})
})

var _ = Describe("Warnings", func() {
	It("names the sandbox and each broken baseline check, and is empty for a pod that passes", func() {
		Expect(Warnings(pod(func(p *corev1.Pod) { p.Spec.HostPID = true }), v136)).To(ConsistOf(
			`the sandbox "gvisor" does not protect the node from what this pod shares with it; it breaks the Pod Security Standards level "baseline": host namespaces: hostPID=true`))
		Expect(Warnings(pod(), v136)).To(BeEmpty())
	})

	It("names each Kata annotation a pod may not set, which the node ignores", func() {
		Expect(Warnings(pod(func(p *corev1.Pod) {
			p.Annotations = map[string]string{"io.katacontainers.config.hypervisor.kernel": "/evil", "io.katacontainers.config.hypervisor.default_vcpus": "2"}
		}), v136)).To(ConsistOf(MatchRegexp(`^the pod's annotation io.katacontainers.config.hypervisor.kernel="/evil" is not one a sandbox takes from a pod \(allowed: .*io.katacontainers.config.hypervisor.default_vcpus.*\): remove it; the node ignores it$`)))
	})
})
