// Package samples builds the sample objects the tests share from example/: the sample Shoot, its seed-side
// Cluster and OSCs of its pools. It holds no test environment, so unit tests may use it too.
package samples

import (
	"encoding/json"
	"fmt"
	"io/fs"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	"github.com/gardener/gardener-extension-runtime-sandbox/example"
)

// ShootNamespace is the seed namespace of the sample Shoot, where its Cluster and OSCs live.
const ShootNamespace = "shoot--local--sandbox"

var codecs = func() serializer.CodecFactory {
	scheme := runtime.NewScheme()
	if err := gardencorev1beta1.AddToScheme(scheme); err != nil {
		panic(fmt.Errorf("registering the Gardener core API: %w", err))
	}
	return serializer.NewCodecFactory(scheme)
}()

// Shoot returns example/shoot.yaml as a typed Shoot.
func Shoot() (*gardencorev1beta1.Shoot, error) {
	data, err := fs.ReadFile(example.Manifests, "shoot.yaml")
	if err != nil {
		return nil, fmt.Errorf("reading example/shoot.yaml: %w", err)
	}
	shoot := &gardencorev1beta1.Shoot{}
	if _, _, err := codecs.UniversalDeserializer().Decode(data, nil, shoot); err != nil {
		return nil, fmt.Errorf("decoding example/shoot.yaml: %w", err)
	}
	return shoot, nil
}

// ClusterFor returns the Cluster resource of a Shoot whose seed namespace is namespace.
func ClusterFor(namespace string, shoot *gardencorev1beta1.Shoot) (*extensionsv1alpha1.Cluster, error) {
	shoot = shoot.DeepCopy()
	shoot.SetGroupVersionKind(gardencorev1beta1.SchemeGroupVersion.WithKind("Shoot"))
	seed := &gardencorev1beta1.Seed{ObjectMeta: metav1.ObjectMeta{Name: "local"}}
	seed.SetGroupVersionKind(gardencorev1beta1.SchemeGroupVersion.WithKind("Seed"))
	profile := &gardencorev1beta1.CloudProfile{ObjectMeta: metav1.ObjectMeta{Name: "local"}}
	profile.SetGroupVersionKind(gardencorev1beta1.SchemeGroupVersion.WithKind("CloudProfile"))

	raw := func(obj runtime.Object) (runtime.RawExtension, error) {
		data, err := json.Marshal(obj)
		return runtime.RawExtension{Raw: data}, err
	}
	shootRaw, err := raw(shoot)
	if err != nil {
		return nil, fmt.Errorf("encoding the Shoot: %w", err)
	}
	seedRaw, _ := raw(seed)
	profileRaw, _ := raw(profile)
	return &extensionsv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: namespace},
		Spec:       extensionsv1alpha1.ClusterSpec{Shoot: shootRaw, Seed: &seedRaw, CloudProfile: profileRaw},
	}, nil
}

// OSC returns a reconcile OperatingSystemConfig of a pool of the sample Shoot, labelled the way gardenlet
// labels it (with the pool name; gardenlet puts no container runtime label on OSCs).
func OSC(name, pool string) *extensionsv1alpha1.OperatingSystemConfig {
	labels := map[string]string{
		v1beta1constants.LabelWorkerPool:                                    pool,
		v1beta1constants.LabelExtensionProviderMutatedByControlplaneWebhook: "true",
	}
	return &extensionsv1alpha1.OperatingSystemConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ShootNamespace, Labels: labels},
		Spec: extensionsv1alpha1.OperatingSystemConfigSpec{
			DefaultSpec: extensionsv1alpha1.DefaultSpec{Type: "gardenlinux"},
			Purpose:     extensionsv1alpha1.OperatingSystemConfigPurposeReconcile,
			CRIConfig: &extensionsv1alpha1.CRIConfig{
				Name:       extensionsv1alpha1.CRINameContainerD,
				Containerd: &extensionsv1alpha1.ContainerdConfig{SandboxImage: "registry.k8s.io/pause:3.10"},
			},
			Files: []extensionsv1alpha1.File{{
				Path:    "/etc/motd",
				Content: extensionsv1alpha1.FileContent{Inline: &extensionsv1alpha1.FileContentInline{Data: "sandbox pool"}},
			}},
		},
	}
}
