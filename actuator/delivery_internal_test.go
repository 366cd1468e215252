package actuator

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
)

var _ = Describe("The pod admission delivery of a shoot", func() {
	clusterOf := func(version string) *extensionscontroller.Cluster {
		return &extensionscontroller.Cluster{Shoot: &gardencorev1beta1.Shoot{Spec: gardencorev1beta1.ShootSpec{Kubernetes: gardencorev1beta1.Kubernetes{Version: version}}}}
	}

	DescribeTable("follows the flag and the shoot's Kubernetes version",
		func(mode, version, want string) {
			got, err := (&actuator{cfg: Config{PodAdmission: mode}}).delivery(clusterOf(version))
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
		},
		Entry("auto, 1.36: policies", PodAdmissionAuto, "1.36.0", PodAdmissionPolicy),
		Entry("auto, 1.37: policies", PodAdmissionAuto, "1.37.2", PodAdmissionPolicy),
		Entry("auto, 1.35: webhooks", PodAdmissionAuto, "1.35.9", PodAdmissionWebhook),
		Entry("auto, version unknown: webhooks", PodAdmissionAuto, "", PodAdmissionWebhook),
		Entry("unset means auto", "", "1.36.3", PodAdmissionPolicy),
		Entry("webhook, 1.36: webhooks", PodAdmissionWebhook, "1.36.3", PodAdmissionWebhook),
		Entry("policy, 1.36: policies", PodAdmissionPolicy, "1.36.3", PodAdmissionPolicy),
	)

	It("refuses policies for a shoot that does not serve them, naming the field and what to do", func() {
		_, err := (&actuator{cfg: Config{PodAdmission: PodAdmissionPolicy}}).delivery(clusterOf("1.35.4"))
		Expect(err).To(MatchError(And(ContainSubstring("spec.kubernetes.version"), ContainSubstring(`"1.35.4"`), ContainSubstring("--pod-admission=policy"))))
	})
})
