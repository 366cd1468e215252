package faults_test

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/samples"
)

const (
	gvisorAPI = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`
	// admissionWebhookConfig is the admission component's webhook configuration in the garden.
	admissionWebhookConfig = "gardener-extension-admission-runtime-sandbox"
)

// newImageVersion is a machine image version the spec adds to the CloudProfile, for maintenance to update to.
const newImageVersion = "1877.1.0"

// sampleShoot returns the sample Shoot (pools gvisor, kata, plain) named name.
func sampleShoot(name string) *gardencorev1beta1.Shoot {
	GinkgoHelper()
	shoot, err := samples.Shoot()
	Expect(err).NotTo(HaveOccurred())
	shoot.Name = name
	return shoot
}

// createShoot creates shoot through gardener-apiserver and deletes it after the container.
func createShoot(shoot *gardencorev1beta1.Shoot) {
	GinkgoHelper()
	Expect(land.Client.Create(ctx, shoot)).To(Succeed())
	deleteAfter(shoot)
}

// deleteAfter deletes shoot after the container.
func deleteAfter(shoot *gardencorev1beta1.Shoot) {
	DeferCleanup(func() {
		current := &gardencorev1beta1.Shoot{}
		if err := land.Client.Get(ctx, client.ObjectKeyFromObject(shoot), current); err != nil {
			Expect(client.IgnoreNotFound(err)).To(Succeed())
			return
		}
		patch := client.MergeFrom(current.DeepCopy())
		metav1.SetMetaDataAnnotation(&current.ObjectMeta, "confirmation.gardener.cloud/deletion", "true")
		current.Finalizers = nil
		Expect(client.IgnoreNotFound(land.Client.Patch(ctx, current, patch))).To(Succeed())
		Expect(client.IgnoreNotFound(land.Client.Delete(ctx, current))).To(Succeed())
	})
}

// hugeGVisorConfig is a gVisor providerConfig of about size bytes: many flags this extension refuses.
func hugeGVisorConfig(size int) []byte {
	var flags []string
	for i := 0; len(flags)*520 < size; i++ {
		flags = append(flags, fmt.Sprintf(`"flag-%05d-%s":"true"`, i, strings.Repeat("x", 500)))
	}
	return []byte(`{` + gvisorAPI + `,"configFlags":{` + strings.Join(flags, ",") + `}}`)
}

// shootWrite is an update of a Shoot, by Gardener or its owner.
type shootWrite struct {
	name    string
	write   func(shoot *gardencorev1beta1.Shoot) error
	blocked bool
}

// patchShoot returns a write that changes the Shoot with change, as a merge patch (of its status with status).
func patchShoot(change func(*gardencorev1beta1.Shoot), status bool) func(*gardencorev1beta1.Shoot) error {
	return func(shoot *gardencorev1beta1.Shoot) error {
		patch := client.MergeFrom(shoot.DeepCopy())
		change(shoot)
		if status {
			return land.Client.Status().Patch(ctx, shoot, patch)
		}
		return land.Client.Patch(ctx, shoot, patch)
	}
}

var shootWrites = []shootWrite{
	{"add a finalizer", patchShoot(func(s *gardencorev1beta1.Shoot) {
		s.Finalizers = append(s.Finalizers, "gardener.cloud/faults")
	}, false), false},
	{"set an annotation (gardener.cloud/operation=reconcile)", patchShoot(func(s *gardencorev1beta1.Shoot) {
		metav1.SetMetaDataAnnotation(&s.ObjectMeta, "gardener.cloud/operation", "reconcile")
	}, false), false},
	{"set a label", patchShoot(func(s *gardencorev1beta1.Shoot) { metav1.SetMetaDataLabel(&s.ObjectMeta, "faults", "true") }, false), false},
	{"write the status (gardenlet)", patchShoot(func(s *gardencorev1beta1.Shoot) {
		s.Status.LastOperation = &gardencorev1beta1.LastOperation{Type: gardencorev1beta1.LastOperationTypeReconcile, State: gardencorev1beta1.LastOperationStateProcessing, Description: "faults", LastUpdateTime: metav1.Now(), Progress: 10}
	}, true), false},
	{"change the maintenance time window", patchShoot(func(s *gardencorev1beta1.Shoot) {
		s.Spec.Maintenance = &gardencorev1beta1.Maintenance{TimeWindow: &gardencorev1beta1.MaintenanceTimeWindow{Begin: "010000+0000", End: "020000+0000"}}
	}, false), false},
	{"update the machine image version of every pool (maintenance), change their sizes and labels", patchShoot(func(s *gardencorev1beta1.Shoot) {
		for i := range s.Spec.Provider.Workers {
			s.Spec.Provider.Workers[i].Machine.Image.Version = new(newImageVersion)
			s.Spec.Provider.Workers[i].Maximum++
			s.Spec.Provider.Workers[i].Labels = map[string]string{"faults": "true"}
		}
	}, false), false},
	{"add a pool without a sandbox", patchShoot(func(s *gardencorev1beta1.Shoot) {
		plain := *s.Spec.Provider.Workers[2].DeepCopy()
		plain.Name = "plain2"
		s.Spec.Provider.Workers = append(s.Spec.Provider.Workers, plain)
	}, false), false},
	{"change the gVisor pool's providerConfig", patchShoot(func(s *gardencorev1beta1.Shoot) {
		s.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(`{` + gvisorAPI + `,"configFlags":{"debug":"false"}}`)}
	}, false), true},
	{"change the Kata pool's machine type", patchShoot(func(s *gardencorev1beta1.Shoot) {
		s.Spec.Provider.Workers[1].Machine.Type = "local-small"
	}, false), true},
	{"add gVisor to the plain pool", patchShoot(func(s *gardencorev1beta1.Shoot) {
		s.Spec.Provider.Workers[2].CRI = &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{{Type: "gvisor"}}}
	}, false), true},
}

var _ = Describe("An outage of the admission component", Ordered, func() {
	var shoot, big *gardencorev1beta1.Shoot

	BeforeAll(func() {
		By("adding a machine image version to the CloudProfile")
		profile := &gardencorev1beta1.CloudProfile{}
		Expect(land.Client.Get(ctx, client.ObjectKey{Name: "local"}, profile)).To(Succeed())
		original := profile.DeepCopy()
		image := &profile.Spec.MachineImages[0]
		added := *image.Versions[0].DeepCopy()
		added.Version = newImageVersion
		image.Versions = append(image.Versions, added)
		Expect(land.Client.Patch(ctx, profile, client.MergeFrom(original))).To(Succeed())
		DeferCleanup(func() {
			current := &gardencorev1beta1.CloudProfile{}
			Expect(land.Client.Get(ctx, client.ObjectKey{Name: "local"}, current)).To(Succeed())
			current.Spec.MachineImages = original.Spec.MachineImages
			Expect(land.Client.Update(ctx, current)).To(Succeed())
		})

		By("creating a Shoot with gVisor, Kata and plain pools while the component is up")
		shoot = sampleShoot("faults-a")
		createShoot(shoot)

		By("storing a Shoot whose gVisor providerConfig is 1 MiB, which the component would refuse, with its webhook configuration taken away")
		stopAdmission()
		Expect(land.Client.Delete(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: admissionWebhookConfig}})).To(Succeed())
		big = sampleShoot("faults-big")
		big.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: hugeGVisorConfig(1 << 20)}
		Eventually(func() error { return land.Client.Create(ctx, big.DeepCopy()) }).WithTimeout(time.Minute).Should(Succeed())
		deleteAfter(big)
	})

	AfterAll(func() {
		if admission == nil {
			startAdmission()
		}
	})

	It("judges a 1 MiB providerConfig only when it changes, within the CEL cost limits", func() {
		By("starting the component again, which registers its webhook configuration")
		startAdmission()
		Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(big), big)).To(Succeed())
		Expect(patchShoot(func(s *gardencorev1beta1.Shoot) { metav1.SetMetaDataLabel(&s.ObjectMeta, "faults", "big") }, false)(big)).To(Succeed(),
			"the match condition compares both 1 MiB providerConfigs and lets the label through")
		err := patchShoot(func(s *gardencorev1beta1.Shoot) {
			s.Spec.Provider.Workers[0].Maximum++
			s.Spec.Provider.Workers[0].Machine.Type = "local-nested"
		}, false)(big)
		Expect(err).To(MatchError(ContainSubstring("spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[flag-00000-")), "a changed pool is judged by the webhook")
		Expect(err).NotTo(MatchError(ContainSubstring("cost")))
	})

	It("lets Gardener's own updates through while it is down, and blocks only changes it must judge", func() {
		stopAdmission()
		var matrix []string
		for _, w := range shootWrites {
			for _, s := range []*gardencorev1beta1.Shoot{shoot, big} {
				current := &gardencorev1beta1.Shoot{}
				Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(s), current)).To(Succeed())
				err := w.write(current)
				if s == shoot {
					outcome := "passes"
					if err != nil {
						outcome = "blocked: " + err.Error()
					}
					matrix = append(matrix, fmt.Sprintf("%-75s %s", w.name, outcome))
				}
				if w.blocked {
					Expect(err).To(MatchError(webhookUnreachable), "%s of %s", w.name, s.Name)
				} else {
					Expect(err).NotTo(HaveOccurred(), "%s of %s", w.name, s.Name)
				}
			}
		}
		err := land.Client.Create(ctx, sampleShoot("faults-new"), client.DryRunAll)
		Expect(err).To(MatchError(webhookUnreachable), "a new Shoot with sandbox pools")
		matrix = append(matrix, fmt.Sprintf("%-75s %s", "create a Shoot with sandbox pools", "blocked"))
		AddReportEntry("Shoot writes while the admission component is down", strings.Join(matrix, "\n"))
	})

	It("judges again once it is back", func() {
		startAdmission()
		current := &gardencorev1beta1.Shoot{}
		Expect(land.Client.Get(ctx, client.ObjectKeyFromObject(shoot), current)).To(Succeed())
		err := patchShoot(func(s *gardencorev1beta1.Shoot) {
			s.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].ProviderConfig = &runtime.RawExtension{Raw: []byte(`{` + gvisorAPI + `,"configFlags":{"host-uds":"all"}}`)}
		}, false)(current)
		Expect(err).To(MatchError(ContainSubstring("spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[host-uds]")))
	})
})
