package podpolicy

import (
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	psaapi "k8s.io/pod-security-admission/api"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	validatorpod "github.com/gardener/gardener-extension-runtime-sandbox/validators/pod"
)

// filled renders a template as the policies do: each placeholder quoted where the rules quoted it, as is elsewhere.
func filled(template string, values map[string]string) string {
	for placeholder, value := range values {
		template = strings.ReplaceAll(template, `"`+placeholder+`"`, strconv.Quote(value))
		template = strings.ReplaceAll(template, placeholder, value)
	}
	return template
}

func message(err error) string {
	var r *apipod.Refusal
	Expect(err).To(BeAssignableToTypeOf(r))
	return err.(*apipod.Refusal).Message
}

var _ = Describe("The pod admission policies", func() {
	offer := mutatorpod.Offer{Classes: []string{"gvisor", "kata-qemu"}, Pools: map[string][]string{"gvisor": {"sandbox"}, "kata-qemu": {"vm"}}}

	DescribeTable("are built for every offer: the pod policies, their bindings and the namespace policies",
		func(offer mutatorpod.Offer) {
			objs, err := ShootPolicies(offer)
			Expect(err).NotTo(HaveOccurred())
			var names []string
			for _, obj := range objs {
				names = append(names, strings.ToLower(obj.GetObjectKind().GroupVersionKind().Kind)+"/"+obj.GetName())
			}
			Expect(names).To(ConsistOf(
				"mutatingadmissionpolicy/"+AnnotatedName, "mutatingadmissionpolicybinding/"+AnnotatedName,
				"validatingadmissionpolicy/"+AnnotatedName, "validatingadmissionpolicybinding/"+AnnotatedName,
				"mutatingadmissionpolicy/"+NamespaceName, "mutatingadmissionpolicybinding/"+NamespaceName,
				"validatingadmissionpolicy/"+NamespaceName, "validatingadmissionpolicybinding/"+NamespaceName,
				"validatingadmissionpolicy/"+EnforceName, "validatingadmissionpolicybinding/"+EnforceName,
				"mutatingadmissionpolicy/"+NamespacesName, "mutatingadmissionpolicybinding/"+NamespacesName,
				"validatingadmissionpolicy/"+NamespacesName, "validatingadmissionpolicybinding/"+NamespacesName,
			))
			for _, obj := range objs {
				if p, ok := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy); ok {
					Expect(*p.Spec.FailurePolicy).To(Equal(admissionregistrationv1.Fail), "a policy that cannot run must refuse, not admit")
				}
				if p, ok := obj.(*admissionregistrationv1.MutatingAdmissionPolicy); ok {
					Expect(*p.Spec.FailurePolicy).To(Equal(admissionregistrationv1.Fail))
				}
			}
		},
		Entry("nothing offered", mutatorpod.Offer{}),
		Entry("gvisor and kata-qemu by pool", offer),
		Entry("classes without pools", mutatorpod.Offer{Classes: []string{"kata-fc", "gvisor"}}),
	)

	Describe("their messages, filled with a pod's values, are the Go rules' messages for that pod", func() {
		var t *tables
		BeforeEach(func() {
			var err error
			t, err = newTables(offer)
			Expect(err).NotTo(HaveOccurred())
		})

		It("for an unknown sandbox", func() {
			pod := standIn(map[string]string{apipod.AnnotationSandbox: "vmware"}, "", false)
			Expect(filled(t.unknownName, map[string]string{holeName: "vmware"})).To(Equal(message(mutatorpod.DefaultAnnotated(pod, offer))))
		})

		It("for a conflicting spec.runtimeClassName", func() {
			pod := standIn(map[string]string{apipod.AnnotationSandbox: "kata"}, "runc", false)
			Expect(filled(t.conflicts["name:kata"], map[string]string{holeClass: "runc"})).To(Equal(message(mutatorpod.DefaultAnnotated(pod, offer))))
		})

		It("for a node selector no offered pool meets", func() {
			pod := standIn(map[string]string{apipod.AnnotationUntrustedWorkload: "true"}, "", false)
			pod.Spec.NodeSelector = map[string]string{"worker.gardener.cloud/pool": "plain"}
			Expect(filled(t.unmet["untrusted|"], map[string]string{holeUnmet: "spec.nodeSelector worker.gardener.cloud/pool=plain"})).To(Equal(message(mutatorpod.DefaultAnnotated(pod, offer))))
		})

		It("for a misspelt annotation", func() {
			pod := standIn(map[string]string{"runtime.gardener.cloud/sandbx": "gvisor"}, "", false)
			Expect(filled(t.annotationMisspelt, map[string]string{holeKey: "runtime.gardener.cloud/sandbx", holeValue: "gvisor"})).To(Equal(message(mutatorpod.CheckAnnotations(pod))))
		})

		It("for a pod outside its enforced namespace's class, and one with an unsafe Kata annotation", func() {
			pod := standIn(nil, "kata-qemu", false)
			want := message(validatorpod.Enforce(pod, validatorpod.Enforcement{Namespace: "team", Class: "gvisor", Level: apipod.LevelBaseline, Version: psaapi.LatestVersion()}))
			Expect(filled(t.outside["gvisor|class"], map[string]string{holeNamespace: "team", holeClass: "kata-qemu"})).To(Equal(want))

			key := "io.katacontainers.config.hypervisor.kernel"
			pod = standIn(map[string]string{key: "/evil"}, "kata-qemu", false)
			want = message(validatorpod.Enforce(pod, validatorpod.Enforcement{Namespace: "team", Class: "kata", Level: apipod.LevelBaseline, Version: psaapi.LatestVersion()}))
			Expect(filled(t.unsafe["io.katacontainers."], map[string]string{holeKey: key, holeValue: "/evil"})).To(Equal(want))
		})
	})
})
