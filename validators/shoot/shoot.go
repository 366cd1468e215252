// Package shoot validates the sandbox container runtimes that a Shoot's worker pools request: strict decoding and
// validation of each providerConfig, one entry per runtime type and pool, and the machine capabilities a runtime
// needs. It is pure logic over typed objects; the admission wiring lives in webhooks/.
package shoot

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// Input is everything Validate looks at.
type Input struct {
	// Runtimes are the sandbox runtimes whose worker pools are judged.
	Runtimes []runtimes.Runtime
	// Shoot is the Shoot as it would be stored.
	Shoot *gardencorev1beta1.Shoot
	// OldShoot is the stored Shoot on UPDATE, nil on CREATE.
	OldShoot *gardencorev1beta1.Shoot
	// RequiredCapabilities are the machine type capabilities that pools of a runtime type need, by type.
	RequiredCapabilities map[string][]CapabilityRequirement
	// CloudProfile is the spec of the Shoot's (Namespaced)CloudProfile. It is only read when a runtime with
	// required capabilities has pools to judge (see NeedsCloudProfile).
	CloudProfile *gardencorev1beta1.CloudProfileSpec
}

// Validate judges every worker pool that requests one of in.Runtimes and whose container runtimes or machine type
// changed (all of them on CREATE). It returns admission warnings by runtime type and every problem found, each
// with its full field path, ordered by field. A Shoot that is being deleted is not judged.
func Validate(in Input) (map[string][]string, field.ErrorList) {
	warnings := map[string][]string{}
	var allErrs field.ErrorList
	for _, rt := range in.Runtimes {
		for _, i := range PoolsToJudge(rt.Type(), in.Shoot, in.OldShoot) {
			w, errs := validatePool(rt, in, i)
			warnings[rt.Type()] = append(warnings[rt.Type()], w...)
			allErrs = append(allErrs, errs...)
		}
	}
	slices.SortStableFunc(allErrs, func(a, b *field.Error) int { return strings.Compare(a.Field, b.Field) })
	return warnings, allErrs
}

// validatePool judges the entries of rt's type in pool i and the pool's machine type.
func validatePool(rt runtimes.Runtime, in Input, i int) ([]string, field.ErrorList) {
	var (
		warnings []string
		allErrs  field.ErrorList
		pool     = in.Shoot.Spec.Provider.Workers[i]
		poolPath = runtimes.PoolPath(i)
		seen     = false
	)
	for j, cr := range pool.CRI.ContainerRuntimes {
		if cr.Type != rt.Type() {
			continue
		}
		crPath := runtimes.ContainerRuntimePath(i, j)
		if seen {
			allErrs = append(allErrs, field.Invalid(crPath.Child("type"), cr.Type, "each container runtime type may appear only once per worker pool"))
			continue
		}
		seen = true
		cfg, errs := rt.Decode(cr.ProviderConfig, runtimes.ProviderConfigPath(i, j))
		if cfg != nil {
			warnings = append(warnings, cfg.Warnings()...)
		}
		allErrs = append(allErrs, errs...)
	}
	// Gardener defaults an unset architecture to amd64.
	if arch := ptr.Deref(pool.Machine.Architecture, v1beta1constants.ArchitectureAMD64); !slices.Contains(rt.Architectures(), arch) {
		allErrs = append(allErrs, field.NotSupported(poolPath.Child("machine", "architecture"), arch, rt.Architectures()))
	}
	if required := in.RequiredCapabilities[rt.Type()]; len(required) > 0 && in.CloudProfile != nil {
		allErrs = append(allErrs, checkCapabilities(in.CloudProfile, pool, poolPath, rt.Type(), required)...)
	}
	return warnings, allErrs
}

// NeedsCloudProfile tells whether Validate would read the CloudProfile for this input, so that callers fetch it
// only then.
func NeedsCloudProfile(in Input) bool {
	for _, rt := range in.Runtimes {
		if len(in.RequiredCapabilities[rt.Type()]) > 0 && len(PoolsToJudge(rt.Type(), in.Shoot, in.OldShoot)) > 0 {
			return true
		}
	}
	return false
}

// PoolsToJudge returns the indices of the worker pools of shoot that request runtimeType and are new or changed
// against old: a different list of runtimes of that type (type or providerConfig) or a different machine type.
// Unchanged pools are not judged again, so that an existing Shoot never gets stuck on an unrelated update.
// A Shoot with a deletion timestamp yields no pools.
func PoolsToJudge(runtimeType string, shoot, old *gardencorev1beta1.Shoot) []int {
	if shoot == nil || shoot.DeletionTimestamp != nil {
		return nil
	}
	oldPools := map[string]gardencorev1beta1.Worker{}
	if old != nil {
		for _, p := range old.Spec.Provider.Workers {
			oldPools[p.Name] = p
		}
	}
	var out []int
	for i, pool := range shoot.Spec.Provider.Workers {
		entries := runtimesOfType(pool, runtimeType)
		if len(entries) == 0 {
			continue
		}
		if oldPool, ok := oldPools[pool.Name]; ok && oldPool.Machine.Type == pool.Machine.Type &&
			sameRuntimes(entries, runtimesOfType(oldPool, runtimeType)) {
			continue
		}
		out = append(out, i)
	}
	return out
}

func runtimesOfType(pool gardencorev1beta1.Worker, runtimeType string) []gardencorev1beta1.ContainerRuntime {
	if pool.CRI == nil {
		return nil
	}
	var out []gardencorev1beta1.ContainerRuntime
	for _, cr := range pool.CRI.ContainerRuntimes {
		if cr.Type == runtimeType {
			out = append(out, cr)
		}
	}
	return out
}

// sameRuntimes compares container runtime entries by type and by the JSON value of their providerConfig, so that
// a different serialisation of the same document does not count as a change.
func sameRuntimes(a, b []gardencorev1beta1.ContainerRuntime) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || !sameJSON(a[i].ProviderConfig, b[i].ProviderConfig) {
			return false
		}
	}
	return true
}

func sameJSON(a, b *runtime.RawExtension) bool {
	return reflect.DeepEqual(jsonValue(a), jsonValue(b))
}

// jsonValue returns the decoded JSON value of a providerConfig; nil and "null" are the same absent value, and
// bytes that are not JSON are compared as they are.
func jsonValue(raw *runtime.RawExtension) any {
	if raw == nil || len(raw.Raw) == 0 {
		return nil
	}
	var out any
	if err := json.Unmarshal(raw.Raw, &out); err != nil {
		return string(raw.Raw)
	}
	return out
}
