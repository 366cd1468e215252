package app

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
)

var _ = Describe("TrimCluster", func() {
	raw := func(obj runtime.Object, kind string) runtime.RawExtension {
		obj.GetObjectKind().SetGroupVersionKind(gardencorev1beta1.SchemeGroupVersion.WithKind(kind))
		data, err := json.Marshal(obj)
		Expect(err).NotTo(HaveOccurred())
		return runtime.RawExtension{Raw: data}
	}

	var cluster *extensionsv1alpha1.Cluster
	BeforeEach(func() {
		shoot := &gardencorev1beta1.Shoot{
			ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "garden-p", Annotations: map[string]string{"confirmation.gardener.cloud/deletion": "true"}},
			Spec: gardencorev1beta1.ShootSpec{
				Kubernetes:  gardencorev1beta1.Kubernetes{Version: "1.36.0"},
				Provider:    gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{{Name: "gvisor", CRI: &gardencorev1beta1.CRI{Name: "containerd", ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{{Type: "gvisor"}}}}}},
				Hibernation: &gardencorev1beta1.Hibernation{Enabled: new(true)},
			},
			Status: gardencorev1beta1.ShootStatus{LastOperation: &gardencorev1beta1.LastOperation{State: gardencorev1beta1.LastOperationStateFailed}},
		}
		profile := &gardencorev1beta1.CloudProfile{
			ObjectMeta: metav1.ObjectMeta{Name: "aws", Labels: map[string]string{"a": "b"}},
			Spec:       gardencorev1beta1.CloudProfileSpec{Type: "aws", Regions: []gardencorev1beta1.Region{{Name: "eu-west-1"}}},
		}
		seed := &gardencorev1beta1.Seed{ObjectMeta: metav1.ObjectMeta{Name: "seed"}, Spec: gardencorev1beta1.SeedSpec{Provider: gardencorev1beta1.SeedProvider{Type: "aws"}}}
		seedRaw := raw(seed, "Seed")
		cluster = &extensionsv1alpha1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Name: "shoot--p--s"},
			Spec:       extensionsv1alpha1.ClusterSpec{Shoot: raw(shoot, "Shoot"), CloudProfile: raw(profile, "CloudProfile"), Seed: &seedRaw},
		}
	})

	It("keeps the Shoot and only the identity of the CloudProfile and the Seed, which still decode", func() {
		shootRaw := string(cluster.Spec.Shoot.Raw)
		obj, err := TrimCluster(cluster)
		Expect(err).NotTo(HaveOccurred())
		trimmed := obj.(*extensionsv1alpha1.Cluster)
		Expect(string(trimmed.Spec.Shoot.Raw)).To(Equal(shootRaw))
		Expect(string(trimmed.Spec.CloudProfile.Raw)).To(Equal(`{"apiVersion":"core.gardener.cloud/v1beta1","kind":"CloudProfile","metadata":{"name":"aws"}}`))
		Expect(string(trimmed.Spec.Seed.Raw)).To(Equal(`{"apiVersion":"core.gardener.cloud/v1beta1","kind":"Seed","metadata":{"name":"seed"}}`))

		profile, err := extensionscontroller.CloudProfileFromCluster(trimmed)
		Expect(err).NotTo(HaveOccurred())
		Expect(profile.Name).To(Equal("aws"))
		seed, err := extensionscontroller.SeedFromCluster(trimmed)
		Expect(err).NotTo(HaveOccurred())
		Expect(seed.Name).To(Equal("seed"))
	})

	It("keeps what Gardener's controllers read from the Shoot", func() {
		obj, err := TrimCluster(cluster)
		Expect(err).NotTo(HaveOccurred())
		s, err := extensionscontroller.ShootFromCluster(obj.(*extensionsv1alpha1.Cluster))
		Expect(err).NotTo(HaveOccurred())
		decoded := &extensionscontroller.Cluster{Shoot: s}
		Expect(extensionscontroller.IsFailed(decoded)).To(BeTrue())
		Expect(extensionscontroller.IsHibernationEnabled(decoded)).To(BeTrue())
		Expect(s.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].Type).To(Equal("gvisor"))
		Expect(s.Spec.Kubernetes.Version).To(Equal("1.36.0"))
	})

	It("keeps a Cluster without a Seed, and embedded objects that are not JSON objects, as they are", func() {
		cluster.Spec.Seed = nil
		cluster.Spec.CloudProfile = runtime.RawExtension{Raw: []byte(`"not an object"`)}
		obj, err := TrimCluster(cluster)
		Expect(err).NotTo(HaveOccurred())
		Expect(obj.(*extensionsv1alpha1.Cluster).Spec.Seed).To(BeNil())
		Expect(string(obj.(*extensionsv1alpha1.Cluster).Spec.CloudProfile.Raw)).To(Equal(`"not an object"`))
	})

	It("leaves other objects alone", func() {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Data: map[string][]byte{"k": []byte("v")}}
		obj, err := TrimCluster(secret)
		Expect(err).NotTo(HaveOccurred())
		Expect(obj).To(BeIdenticalTo(secret))
		Expect(secret.Data).To(HaveKey("k"))
	})
})
