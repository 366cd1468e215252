package bench

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
)

// Sizes of the realistic CloudProfile: a public cloud's profile as Gardener landscapes carry it, with a provider
// config that maps every machine image version to an image id per region and architecture (the bulk of it).
const (
	profileRegions       = 20
	profileImages        = 3
	profileImageVersions = 12
	profileMachineTypes  = 100
	profileK8sVersions   = 15
)

// The sandbox pools of the realistic Shoot, named after their runtime (OSC probes use them).
const (
	GVisorPool = "gvisor"
	KataPool   = "kata"
)

var (
	benchTime = metav1.NewTime(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	supported = []gardencorev1beta1.LifecycleStage{{Classification: gardencorev1beta1.ClassificationSupported}}
)

// RealisticCluster returns the Cluster resource gardenlet keeps in a seed for Shoot number i: a Shoot with four
// worker pools (two plain ones, a gVisor and a Kata pool), extensions, status and conditions; the CloudProfile it
// uses; and its Seed. Like gardenlet, it embeds the three without their managedFields.
func RealisticCluster(i int) (*extensionsv1alpha1.Cluster, error) {
	shoot := realisticShoot(i)
	parts := map[string]runtime.Object{"shoot": shoot, "cloudProfile": realisticCloudProfile(), "seed": realisticSeed()}
	raw := map[string][]byte{}
	for name, obj := range parts {
		data, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("encoding the %s: %w", name, err)
		}
		raw[name] = data
	}
	return &extensionsv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: shoot.Status.TechnicalID},
		Spec: extensionsv1alpha1.ClusterSpec{
			Shoot:        runtime.RawExtension{Raw: raw["shoot"]},
			CloudProfile: runtime.RawExtension{Raw: raw["cloudProfile"]},
			Seed:         &runtime.RawExtension{Raw: raw["seed"]},
		},
	}, nil
}

func condition(t, reason, message string) gardencorev1beta1.Condition {
	return gardencorev1beta1.Condition{Type: gardencorev1beta1.ConditionType(t), Status: gardencorev1beta1.ConditionTrue,
		LastTransitionTime: benchTime, LastUpdateTime: benchTime, Reason: reason, Message: message}
}

func realisticShoot(i int) *gardencorev1beta1.Shoot {
	project := fmt.Sprintf("proj%02d", i%40)
	name := fmt.Sprintf("shoot%04d", i)
	technicalID := "shoot--" + project + "--" + name
	gvisorConfig := `{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"net-raw":"true"}}`
	kataConfig := `{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["qemu","clh"]}`
	pool := func(name, machineType string, minimum, maximum int32, runtimeType, config string) gardencorev1beta1.Worker {
		w := gardencorev1beta1.Worker{
			Name:           name,
			Machine:        gardencorev1beta1.Machine{Type: machineType, Image: &gardencorev1beta1.ShootMachineImage{Name: "gardenlinux", Version: new("1877.3.0")}, Architecture: new("amd64")},
			Minimum:        minimum,
			Maximum:        maximum,
			MaxSurge:       new(intstr.FromInt32(1)),
			MaxUnavailable: new(intstr.FromInt32(0)),
			Volume:         &gardencorev1beta1.Volume{Type: new("gp3"), VolumeSize: "50Gi", Encrypted: new(true)},
			Zones:          []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
			Labels:         map[string]string{"pool": name, "team": "platform"},
			CRI:            &gardencorev1beta1.CRI{Name: gardencorev1beta1.CRINameContainerD},
			SystemComponents: &gardencorev1beta1.WorkerSystemComponents{
				Allow: name == "system",
			},
		}
		if runtimeType != "" {
			w.CRI.ContainerRuntimes = []gardencorev1beta1.ContainerRuntime{{Type: runtimeType, ProviderConfig: &runtime.RawExtension{Raw: []byte(config)}}}
			w.Taints = []corev1.Taint{{Key: "sandbox", Value: runtimeType, Effect: corev1.TaintEffectNoSchedule}}
		}
		return w
	}
	return &gardencorev1beta1.Shoot{
		TypeMeta: metav1.TypeMeta{APIVersion: gardencorev1beta1.SchemeGroupVersion.String(), Kind: "Shoot"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			Namespace:         "garden-" + project,
			UID:               types.UID(fmt.Sprintf("0b9d3a61-6a3c-4f1e-9c53-%012d", i)),
			ResourceVersion:   fmt.Sprintf("%d", 1000000+i),
			Generation:        7,
			CreationTimestamp: benchTime,
			Labels: map[string]string{
				"shoot.gardener.cloud/status":                                 "healthy",
				"extensions.gardener.cloud/dns-external":                      "true",
				"containerruntime.extensions.gardener.cloud/gvisor":           "true",
				"containerruntime.extensions.gardener.cloud/kata":             "true",
				"extensions.extensions.gardener.cloud/shoot-dns-service":      "true",
				"networking.extensions.gardener.cloud/calico":                 "true",
				"operatingsystemconfig.extensions.gardener.cloud/gardenlinux": "true",
				"provider.extensions.gardener.cloud/aws":                      "true",
				"name":                                                        name,
			},
			Annotations: map[string]string{
				"gardener.cloud/created-by":                                     "jane.doe@example.com",
				"shoot.gardener.cloud/cloud-config-execution-max-delay-seconds": "300",
				"authentication.gardener.cloud/issuer":                          "managed",
			},
			Finalizers: []string{"gardener"},
		},
		Spec: gardencorev1beta1.ShootSpec{
			CloudProfile:           &gardencorev1beta1.CloudProfileReference{Kind: "CloudProfile", Name: "aws"},
			Region:                 "eu-west-1",
			CredentialsBindingName: new("aws-credentials"),
			SeedName:               new("aws-eu1"),
			Purpose:                new(gardencorev1beta1.ShootPurposeProduction),
			Kubernetes: gardencorev1beta1.Kubernetes{
				Version: "1.36.0",
				KubeAPIServer: &gardencorev1beta1.KubeAPIServerConfig{
					AdmissionPlugins: []gardencorev1beta1.AdmissionPlugin{{Name: "PodNodeSelector"}, {Name: "AlwaysPullImages"}},
				},
				Kubelet: &gardencorev1beta1.KubeletConfig{FailSwapOn: new(true), MaxPods: new(int32(110))},
			},
			Networking: &gardencorev1beta1.Networking{
				Type:           new("calico"),
				Nodes:          new("10.250.0.0/16"),
				Pods:           new("100.96.0.0/11"),
				Services:       new("100.64.0.0/13"),
				ProviderConfig: &runtime.RawExtension{Raw: []byte(`{"apiVersion":"calico.networking.extensions.gardener.cloud/v1alpha1","kind":"NetworkConfig","ipam":{"type":"host-local","cidr":"usePodCIDR"},"overlay":{"enabled":false},"snatToUpstreamDNS":{"enabled":true}}`)},
			},
			Provider: gardencorev1beta1.Provider{
				Type:                 "aws",
				InfrastructureConfig: &runtime.RawExtension{Raw: []byte(`{"apiVersion":"aws.provider.extensions.gardener.cloud/v1alpha1","kind":"InfrastructureConfig","networks":{"vpc":{"cidr":"10.250.0.0/16"},"zones":[{"name":"eu-west-1a","internal":"10.250.112.0/22","public":"10.250.96.0/22","workers":"10.250.0.0/19"},{"name":"eu-west-1b","internal":"10.250.116.0/22","public":"10.250.100.0/22","workers":"10.250.32.0/19"},{"name":"eu-west-1c","internal":"10.250.120.0/22","public":"10.250.104.0/22","workers":"10.250.64.0/19"}]}}`)},
				ControlPlaneConfig:   &runtime.RawExtension{Raw: []byte(`{"apiVersion":"aws.provider.extensions.gardener.cloud/v1alpha1","kind":"ControlPlaneConfig","cloudControllerManager":{"useCustomRouteController":true},"storage":{"managedDefaultClass":true}}`)},
				Workers: []gardencorev1beta1.Worker{
					pool("system", "m6i.xlarge", 2, 4, "", ""),
					pool("workers", "m6i.2xlarge", 3, 20, "", ""),
					pool(GVisorPool, "m6i.2xlarge", 1, 10, "gvisor", gvisorConfig),
					pool(KataPool, "m6i.metal", 1, 4, "kata", kataConfig),
				},
			},
			DNS: &gardencorev1beta1.DNS{Domain: new(name + "." + project + ".shoot.example.com")},
			Extensions: []gardencorev1beta1.Extension{
				{Type: "shoot-dns-service", ProviderConfig: &runtime.RawExtension{Raw: []byte(`{"apiVersion":"service.dns.extensions.gardener.cloud/v1alpha1","kind":"DNSConfig","syncProvidersFromShootSpecDNS":true}`)}},
				{Type: "shoot-cert-service", ProviderConfig: &runtime.RawExtension{Raw: []byte(`{"apiVersion":"service.cert.extensions.gardener.cloud/v1alpha1","kind":"CertConfig","shootIssuers":{"enabled":true}}`)}},
			},
			Maintenance: &gardencorev1beta1.Maintenance{
				AutoUpdate: &gardencorev1beta1.MaintenanceAutoUpdate{KubernetesVersion: true, MachineImageVersion: new(true)},
				TimeWindow: &gardencorev1beta1.MaintenanceTimeWindow{Begin: "220000+0000", End: "230000+0000"},
			},
			Hibernation: &gardencorev1beta1.Hibernation{Schedules: []gardencorev1beta1.HibernationSchedule{{Start: new("00 20 * * 1,2,3,4,5"), End: new("00 07 * * 1,2,3,4,5"), Location: new("Europe/Berlin")}}},
		},
		Status: gardencorev1beta1.ShootStatus{
			Conditions: []gardencorev1beta1.Condition{
				condition("APIServerAvailable", "HealthzRequestSucceeded", "API server /healthz endpoint responded with success status code."),
				condition("ControlPlaneHealthy", "ControlPlaneRunning", "All control plane components are healthy."),
				condition("ObservabilityComponentsHealthy", "ObservabilityComponentsRunning", "All observability components are healthy."),
				condition("EveryNodeReady", "EveryNodeReady", "All nodes are ready."),
				condition("SystemComponentsHealthy", "SystemComponentsRunning", "All system components are healthy."),
			},
			Constraints: []gardencorev1beta1.Condition{
				condition("HibernationPossible", "NoProblematicWebhooks", "All webhooks are properly configured."),
				condition("MaintenancePreconditionsSatisfied", "NoProblematicWebhooks", "All webhooks are properly configured."),
			},
			Gardener:           gardencorev1beta1.Gardener{ID: "gardenlet-7c9d8f5b6-x2k4p", Name: "gardenlet-7c9d8f5b6-x2k4p", Version: "v1.149.3"},
			LastOperation:      &gardencorev1beta1.LastOperation{Description: "Shoot cluster has been successfully reconciled.", LastUpdateTime: benchTime, Progress: 100, State: gardencorev1beta1.LastOperationStateSucceeded, Type: gardencorev1beta1.LastOperationTypeReconcile},
			ObservedGeneration: 7,
			SeedName:           new("aws-eu1"),
			TechnicalID:        technicalID,
			UID:                types.UID(fmt.Sprintf("0b9d3a61-6a3c-4f1e-9c53-%012d", i)),
			ClusterIdentity:    new(technicalID + "-0b9d3a61-landscape"),
			AdvertisedAddresses: []gardencorev1beta1.ShootAdvertisedAddress{
				{Name: "external", URL: "https://api." + name + "." + project + ".shoot.example.com"},
				{Name: "internal", URL: "https://api." + name + "." + project + ".internal.example.com"},
				{Name: "service-account-issuer", URL: "https://discovery.example.com/projects/" + project + "/shoots/0b9d3a61/issuer"},
			},
			Networking: &gardencorev1beta1.NetworkingStatus{Nodes: []string{"10.250.0.0/16"}, Pods: []string{"100.96.0.0/11"}, Services: []string{"100.64.0.0/13"}},
		},
	}
}

func realisticCloudProfile() *gardencorev1beta1.CloudProfile {
	var regions []gardencorev1beta1.Region
	var regionNames []string
	for r := range profileRegions {
		name := fmt.Sprintf("region-%02d", r)
		regionNames = append(regionNames, name)
		var zones []gardencorev1beta1.AvailabilityZone
		for _, z := range []string{"a", "b", "c"} {
			zones = append(zones, gardencorev1beta1.AvailabilityZone{Name: name + z})
		}
		regions = append(regions, gardencorev1beta1.Region{Name: name, Zones: zones, Labels: map[string]string{"topology.example.com/continent": "eu"}})
	}

	type regionImage struct {
		Name         string `json:"name"`
		AMI          string `json:"ami"`
		Architecture string `json:"architecture"`
	}
	type imageVersion struct {
		Version string        `json:"version"`
		Regions []regionImage `json:"regions"`
	}
	type image struct {
		Name     string         `json:"name"`
		Versions []imageVersion `json:"versions"`
	}
	var images []gardencorev1beta1.MachineImage
	var providerImages []image
	for m := range profileImages {
		name := []string{"gardenlinux", "suse-chost", "ubuntu"}[m%3]
		mi := gardencorev1beta1.MachineImage{Name: name, UpdateStrategy: new(gardencorev1beta1.UpdateStrategyMajor)}
		pi := image{Name: name}
		for v := range profileImageVersions {
			version := fmt.Sprintf("%d.%d.0", 1800+v*10, v)
			mi.Versions = append(mi.Versions, gardencorev1beta1.MachineImageVersion{
				ExpirableVersion:         gardencorev1beta1.ExpirableVersion{Version: version, Lifecycle: supported},
				CRI:                      []gardencorev1beta1.CRI{{Name: gardencorev1beta1.CRINameContainerD, ContainerRuntimes: []gardencorev1beta1.ContainerRuntime{{Type: "gvisor"}, {Type: "kata"}}}},
				Architectures:            []string{"amd64", "arm64"},
				KubeletVersionConstraint: new(">= 1.30"),
			})
			pv := imageVersion{Version: version}
			for _, region := range regionNames {
				for _, arch := range []string{"amd64", "arm64"} {
					pv.Regions = append(pv.Regions, regionImage{Name: region, AMI: fmt.Sprintf("ami-%017x", (m*1000+v)*1000+len(pv.Regions)), Architecture: arch})
				}
			}
			pi.Versions = append(pi.Versions, pv)
		}
		images = append(images, mi)
		providerImages = append(providerImages, pi)
	}
	providerConfig, _ := json.Marshal(map[string]any{
		"apiVersion":    "aws.provider.extensions.gardener.cloud/v1alpha1",
		"kind":          "CloudProfileConfig",
		"machineImages": providerImages,
	})

	var machineTypes []gardencorev1beta1.MachineType
	for t := range profileMachineTypes {
		family := []string{"m6i", "c6i", "r6i", "m7g", "c7g"}[t%5]
		size := []string{"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge", "metal"}[(t/5)%10]
		arch := "amd64"
		if strings.HasSuffix(family, "g") {
			arch = "arm64"
		}
		machineTypes = append(machineTypes, gardencorev1beta1.MachineType{
			Name:         fmt.Sprintf("%s.%s-v%d", family, size, t/50),
			CPU:          resource.MustParse(fmt.Sprint(2 << ((t / 5) % 7))),
			GPU:          resource.MustParse("0"),
			Memory:       resource.MustParse(fmt.Sprintf("%dGi", 8<<((t/5)%7))),
			Usable:       new(true),
			Architecture: new(arch),
		})
	}
	var k8sVersions []gardencorev1beta1.ExpirableVersion
	for v := range profileK8sVersions {
		k8sVersions = append(k8sVersions, gardencorev1beta1.ExpirableVersion{Version: fmt.Sprintf("1.%d.%d", 36-v/3, v%3), Lifecycle: supported})
	}
	return &gardencorev1beta1.CloudProfile{
		TypeMeta:   metav1.TypeMeta{APIVersion: gardencorev1beta1.SchemeGroupVersion.String(), Kind: "CloudProfile"},
		ObjectMeta: metav1.ObjectMeta{Name: "aws", UID: "5d1c0b0e-2b8e-4c1f-9f0a-6f3b1c2d4e5f", ResourceVersion: "987654", Generation: 42, CreationTimestamp: benchTime},
		Spec: gardencorev1beta1.CloudProfileSpec{
			Type:           "aws",
			Kubernetes:     gardencorev1beta1.KubernetesSettings{Versions: k8sVersions},
			MachineImages:  images,
			MachineTypes:   machineTypes,
			Regions:        regions,
			VolumeTypes:    []gardencorev1beta1.VolumeType{{Name: "gp3", Class: "standard", Usable: new(true)}, {Name: "io2", Class: "premium", Usable: new(true)}},
			ProviderConfig: &runtime.RawExtension{Raw: providerConfig},
		},
	}
}

func realisticSeed() *gardencorev1beta1.Seed {
	return &gardencorev1beta1.Seed{
		TypeMeta:   metav1.TypeMeta{APIVersion: gardencorev1beta1.SchemeGroupVersion.String(), Kind: "Seed"},
		ObjectMeta: metav1.ObjectMeta{Name: "aws-eu1", UID: "9e8d7c6b-5a49-4382-9171-605f4e3d2c1b", ResourceVersion: "123456", Generation: 12, CreationTimestamp: benchTime, Labels: map[string]string{"seed.gardener.cloud/gardenlet": "true", "environment": "production"}},
		Spec: gardencorev1beta1.SeedSpec{
			Provider: gardencorev1beta1.SeedProvider{Type: "aws", Region: "eu-west-1", Zones: []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}},
			Networks: gardencorev1beta1.SeedNetworks{Nodes: new("10.242.0.0/16"), Pods: "10.243.128.0/17", Services: "10.243.0.0/17",
				ShootDefaults: &gardencorev1beta1.ShootNetworks{Pods: new("100.96.0.0/11"), Services: new("100.64.0.0/13")}},
			DNS:     gardencorev1beta1.SeedDNS{Provider: &gardencorev1beta1.SeedDNSProvider{Type: "aws-route53", CredentialsRef: &corev1.ObjectReference{APIVersion: "v1", Kind: "Secret", Namespace: "garden", Name: "seed-dns"}}},
			Ingress: &gardencorev1beta1.Ingress{Domain: "ingress.aws-eu1.seed.example.com", Controller: gardencorev1beta1.IngressController{Kind: "nginx"}},
			Backup:  &gardencorev1beta1.Backup{Provider: "aws", Region: new("eu-west-1"), CredentialsRef: &corev1.ObjectReference{APIVersion: "v1", Kind: "Secret", Namespace: "garden", Name: "seed-backup"}},
			Settings: &gardencorev1beta1.SeedSettings{
				Scheduling:            &gardencorev1beta1.SeedSettingScheduling{Visible: true},
				VerticalPodAutoscaler: &gardencorev1beta1.SeedSettingVerticalPodAutoscaler{Enabled: true},
			},
		},
		Status: gardencorev1beta1.SeedStatus{
			Gardener:          &gardencorev1beta1.Gardener{ID: "gardenlet-7c9d8f5b6-x2k4p", Name: "gardenlet-7c9d8f5b6-x2k4p", Version: "v1.149.3"},
			KubernetesVersion: new("1.35.4"),
			Conditions: []gardencorev1beta1.Condition{
				condition("GardenletReady", "GardenletReady", "Gardenlet is posting ready status."),
				condition("BackupBucketsReady", "BackupBucketsAvailable", "Backup Buckets are available."),
				condition("ExtensionsReady", "AllExtensionsReady", "All extensions installed into the seed cluster are ready and healthy."),
				condition("SeedSystemComponentsHealthy", "SystemComponentsRunning", "All system components are healthy."),
			},
			ObservedGeneration: 12,
			ClusterIdentity:    new("aws-eu1-landscape"),
			Capacity:           corev1.ResourceList{"shoots": resource.MustParse("250")},
			Allocatable:        corev1.ResourceList{"shoots": resource.MustParse("250")},
			LastOperation:      &gardencorev1beta1.LastOperation{Description: "Seed has been reconciled.", LastUpdateTime: benchTime, Progress: 100, State: gardencorev1beta1.LastOperationStateSucceeded, Type: gardencorev1beta1.LastOperationTypeReconcile},
		},
	}
}
