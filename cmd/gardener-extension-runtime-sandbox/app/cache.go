package app

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/runtime"

	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
)

// TrimCluster is the seed component's cache transform for Clusters (exported for the benchmarks, which read Clusters as
// the component's cache holds them): it keeps of a Cluster's CloudProfile and Seed
// only their apiVersion, kind and name, and the Shoot as it is. Every reader of Clusters in this component uses
// nothing else: the OSC webhook, the ContainerRuntime actuator and the CA refresh read the Shoot's worker pools and
// Kubernetes version; Gardener's ContainerRuntime and health check controllers and their predicates read the
// Shoot's status, hibernation and deletion (extensionscontroller.IsFailed, IsHibernationEnabled,
// ShootNeedsForceDeletion), through extensionscontroller.GetCluster, which decodes the trimmed parts as before.
// gardenlet puts a whole CloudProfile (often more than 100 KiB: machine images by region) into every Cluster of a
// seed, so with hundreds of shoots the cache would otherwise hold hundreds of copies of it. A reader that needs
// more of the CloudProfile or the Seed must change this.
func TrimCluster(obj any) (any, error) {
	cluster, ok := obj.(*extensionsv1alpha1.Cluster)
	if !ok {
		return obj, nil
	}
	cluster.Spec.CloudProfile = identityOf(cluster.Spec.CloudProfile)
	if cluster.Spec.Seed != nil {
		seed := identityOf(*cluster.Spec.Seed)
		cluster.Spec.Seed = &seed
	}
	return cluster, nil
}

// identity is what TrimCluster keeps of an embedded object.
type identity struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Metadata   struct {
		Name string `json:"name,omitempty"`
	} `json:"metadata"`
}

// identityOf returns raw with only its apiVersion, kind and name; raw that is empty or not a JSON object is kept.
func identityOf(raw runtime.RawExtension) runtime.RawExtension {
	if len(raw.Raw) == 0 {
		return raw
	}
	var id identity
	if err := json.Unmarshal(raw.Raw, &id); err != nil {
		return raw
	}
	trimmed, err := json.Marshal(id)
	if err != nil {
		return raw
	}
	return runtime.RawExtension{Raw: trimmed}
}
