package webhookserver

import (
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// cacheTransform is the transform of every object the manager's cache keeps: it drops the managedFields, which no
// reader in either component uses (and which, for custom resources that embed objects, such as a Cluster's Shoot,
// CloudProfile and Seed, list every field of them), then applies next, if set. Writers are not affected: an update
// without managedFields keeps the stored ones.
func cacheTransform(next toolscache.TransformFunc) toolscache.TransformFunc {
	strip := cache.TransformStripManagedFields()
	return func(obj any) (any, error) {
		obj, err := strip(obj)
		if err != nil || next == nil {
			return obj, err
		}
		return next(obj)
	}
}
