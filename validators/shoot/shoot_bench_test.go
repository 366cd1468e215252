package shoot_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	. "github.com/gardener/gardener-extension-runtime-sandbox/validators/shoot"
)

// BenchmarkValidate measures judging a Shoot with a gVisor and a Kata pool, and reports it as a ratio against a
// baseline measured in the same run: a plain, non-strict json.Unmarshal of the same two providerConfigs, which is
// the least any validation must do.
func BenchmarkValidate(b *testing.B) {
	shoot := shootWith(
		pool("g", "flat", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"debug":"true","net-raw":"true","nvproxy":"false"}}`)),
		pool("k", "nested", cr("kata", `{`+kataAPI+`,"hypervisors":["qemu","clh","fc"]}`)),
	)
	all := runtimes.All()
	raws := [][]byte{
		shoot.Spec.Provider.Workers[0].CRI.ContainerRuntimes[0].ProviderConfig.Raw,
		shoot.Spec.Provider.Workers[1].CRI.ContainerRuntimes[0].ProviderConfig.Raw,
	}

	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if _, errs := Validate(Input{Runtimes: all, Shoot: shoot, RequiredCapabilities: kataNested, CloudProfile: profile}); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
	validate := time.Since(start)

	baselineStart := time.Now()
	for range b.N {
		for _, raw := range raws {
			var v map[string]any
			if err := json.Unmarshal(raw, &v); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(validate)/float64(time.Since(baselineStart)), "x-json-unmarshal")
}
