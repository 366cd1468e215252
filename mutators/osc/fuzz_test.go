package osc_test

import (
	"encoding/json"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"

	. "github.com/gardener/gardener-extension-runtime-sandbox/mutators/osc"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// FuzzMutate mutates arbitrary OSCs of a pool that requests gVisor and Kata with arbitrary providerConfigs (seeds in
// testdata/fuzz/FuzzMutate: the OSCs of the tests, with foreign entries at and below the runtime handlers' plugin
// paths). Mutating never panics, and mutating the result again changes nothing: mutate(mutate(x)) == mutate(x).
func FuzzMutate(f *testing.F) {
	seed, err := json.Marshal(newOSC("p"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, []byte(`{`+gvisorAPI+`,"configFlags":{"debug":"true"}}`), []byte(`{`+kataAPI+`,"hypervisors":["fc"]}`))

	f.Fuzz(func(t *testing.T, oscJSON, gvisorConfig, kataConfig []byte) {
		obj := &extensionsv1alpha1.OperatingSystemConfig{}
		if err := json.Unmarshal(oscJSON, obj); err != nil {
			return
		}
		// The pool's OSC as the webhook sees it: whatever else it holds, it is one this extension mutates.
		if obj.Labels == nil {
			obj.Labels = map[string]string{}
		}
		obj.Labels["worker.gardener.cloud/pool"] = "p"
		obj.Spec.Purpose = extensionsv1alpha1.OperatingSystemConfigPurposeReconcile
		shoot := fuzzShoot(gvisorConfig, kataConfig)

		once := obj.DeepCopy()
		if err := mutateAll(once, shoot); err != nil {
			return
		}
		twice := once.DeepCopy()
		if err := mutateAll(twice, shoot); err != nil {
			t.Fatalf("mutating a mutated OSC fails: %v", err)
		}
		if !apiequality.Semantic.DeepEqual(once, twice) {
			a, _ := json.Marshal(once)
			b, _ := json.Marshal(twice)
			t.Fatalf("mutating twice differs from mutating once:\nonce:  %s\ntwice: %s", a, b)
		}
	})
}

// mutateAll mutates obj for every runtime, as the OSC webhook does.
func mutateAll(obj *extensionsv1alpha1.OperatingSystemConfig, shoot *gardencorev1beta1.Shoot) error {
	for _, rt := range runtimes.All() {
		if err := Mutate(obj, shoot, rt); err != nil {
			return err
		}
	}
	return nil
}

// fuzzShoot returns a Shoot whose pool "p" requests gVisor and Kata with the given providerConfigs.
func fuzzShoot(gvisorConfig, kataConfig []byte) *gardencorev1beta1.Shoot {
	return &gardencorev1beta1.Shoot{
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "garden-a"},
		Spec: gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: []gardencorev1beta1.Worker{{
			Name: "p",
			CRI: &gardencorev1beta1.CRI{Name: gardencorev1beta1.CRINameContainerD, ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{
				{Type: "gvisor", ProviderConfig: &runtime.RawExtension{Raw: gvisorConfig}},
				{Type: "kata", ProviderConfig: &runtime.RawExtension{Raw: kataConfig}},
			}},
		}}}},
	}
}
