package shoot_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	. "github.com/gardener/gardener-extension-runtime-sandbox/validators/shoot"
)

const (
	gvisorAPI = `"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"`
	kataAPI   = `"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration"`
)

func cr(runtimeType, providerConfig string) gardencorev1beta1.ContainerRuntime {
	out := gardencorev1beta1.ContainerRuntime{Type: runtimeType}
	if providerConfig != "" {
		out.ProviderConfig = &runtime.RawExtension{Raw: []byte(providerConfig)}
	}
	return out
}

func pool(name, machineType string, runtimes ...gardencorev1beta1.ContainerRuntime) gardencorev1beta1.Worker {
	w := gardencorev1beta1.Worker{Name: name, Machine: gardencorev1beta1.Machine{Type: machineType}}
	if runtimes != nil {
		w.CRI = &gardencorev1beta1.CRI{Name: gardencorev1beta1.CRINameContainerD, ContainerRuntimes: runtimes}
	}
	return w
}

// onArch sets the machine architecture of w.
func onArch(w gardencorev1beta1.Worker, arch string) gardencorev1beta1.Worker {
	w.Machine.Architecture = &arch
	return w
}

func shootWith(pools ...gardencorev1beta1.Worker) *gardencorev1beta1.Shoot {
	return &gardencorev1beta1.Shoot{
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "garden-local"},
		Spec:       gardencorev1beta1.ShootSpec{Provider: gardencorev1beta1.Provider{Workers: pools}},
	}
}

func fieldErr(t field.ErrorType, path string) any {
	return PointTo(MatchFields(IgnoreExtras, Fields{"Type": Equal(t), "Field": Equal(path)}))
}

var profile = &gardencorev1beta1.CloudProfileSpec{
	MachineCapabilities: []gardencorev1beta1.CapabilityDefinition{
		{Name: "architecture", Values: []string{"amd64"}},
		{Name: "nestedVirtualization", Values: []string{"supported", "unsupported"}},
	},
	MachineTypes: []gardencorev1beta1.MachineType{
		{Name: "nested", Capabilities: gardencorev1beta1.Capabilities{"nestedVirtualization": {"supported"}}},
		{Name: "flat", Capabilities: gardencorev1beta1.Capabilities{"nestedVirtualization": {"unsupported"}}},
		{Name: "unspecified"},
	},
}

var nested = []CapabilityRequirement{{Name: "nestedVirtualization", Value: "supported"}}

var _ = Describe("Validate", func() {
	DescribeTable("gVisor pools",
		func(shoot *gardencorev1beta1.Shoot, matchers ...any) {
			_, errs := Validate(Input{Runtimes: gvisorOnly(), Shoot: shoot})
			if len(matchers) == 0 {
				Expect(errs).To(BeEmpty())
				return
			}
			Expect(errs).To(ConsistOf(matchers...))
		},
		Entry("no pools", shootWith()),
		Entry("pool without CRI", shootWith(pool("a", "flat"))),
		Entry("absent providerConfig", shootWith(pool("a", "flat", cr("gvisor", "")))),
		Entry("valid flags", shootWith(pool("a", "flat", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"debug":"true","net-raw":"false","nvproxy":"true"}}`)))),
		Entry("unknown flag, with the full path",
			shootWith(pool("a", "flat"), pool("b", "flat", cr("kata", ""), cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"foo":"true"}}`))),
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[1].cri.containerRuntimes[1].providerConfig.configFlags[foo]")),
		Entry("bad value",
			shootWith(pool("a", "flat", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"net-raw":"yes"}}`))),
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[net-raw]")),
		Entry("problems in several pools, all at once",
			shootWith(
				pool("a", "flat", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"foo":"true"}}`)),
				pool("b", "flat", cr("gvisor", `{"apiVersion":"v1","kind":"GVisorConfiguration"}`)),
			),
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[foo]"),
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.apiVersion")),
		Entry("the same runtime twice in a pool",
			shootWith(pool("a", "flat", cr("gvisor", ""), cr("gvisor", ""))),
			fieldErr(field.ErrorTypeInvalid, "spec.provider.workers[0].cri.containerRuntimes[1].type")),
		Entry("an arm64 pool", shootWith(onArch(pool("a", "flat", cr("gvisor", "")), "arm64"))),
		Entry("an architecture without a payload",
			shootWith(onArch(pool("a", "flat", cr("gvisor", "")), "ppc64le")),
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[0].machine.architecture")),
		Entry("kata problems are not gVisor's business",
			shootWith(pool("a", "flat", cr("kata", `{`+kataAPI+`,"hypervisors":["vmware"]}`)))),
	)

	DescribeTable("Kata pools",
		func(shoot *gardencorev1beta1.Shoot, required []CapabilityRequirement, matchers ...any) {
			_, errs := Validate(Input{Runtimes: kataOnly(), Shoot: shoot, RequiredCapabilities: map[string][]CapabilityRequirement{"kata": required}, CloudProfile: profile})
			if len(matchers) == 0 {
				Expect(errs).To(BeEmpty())
				return
			}
			Expect(errs).To(ConsistOf(matchers...))
		},
		Entry("defaults", shootWith(pool("a", "nested", cr("kata", ""))), nested),
		Entry("all hypervisors", shootWith(pool("a", "nested", cr("kata", `{`+kataAPI+`,"hypervisors":["qemu","clh","fc"]}`))), nested),
		Entry("unknown hypervisor",
			shootWith(pool("a", "nested", cr("kata", `{`+kataAPI+`,"hypervisors":["vmware"]}`))), nested,
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.hypervisors[0]")),
		Entry("machine type lacking the capability",
			shootWith(pool("a", "flat", cr("kata", ""))), nested,
			fieldErr(field.ErrorTypeInvalid, "spec.provider.workers[0].machine.type")),
		Entry("machine type that does not restrict the capability",
			shootWith(pool("a", "unspecified", cr("kata", ""))), nested),
		Entry("machine type unknown to the CloudProfile is left to Gardener",
			shootWith(pool("a", "unknown", cr("kata", ""))), nested),
		Entry("no requirement configured", shootWith(pool("a", "flat", cr("kata", ""))), nil),
		Entry("an explicit amd64 pool", shootWith(onArch(pool("a", "nested", cr("kata", "")), "amd64")), nested),
		Entry("an arm64 pool: Kata's payload and configuration are x86_64's",
			shootWith(onArch(pool("a", "nested", cr("kata", "")), "arm64")), nested,
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[0].machine.architecture")),
		Entry("config and capability problems together",
			shootWith(pool("a", "flat", cr("kata", `{`+kataAPI+`,"hypervisors":[]}`))), nested,
			fieldErr(field.ErrorTypeRequired, "spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.hypervisors"),
			fieldErr(field.ErrorTypeInvalid, "spec.provider.workers[0].machine.type")),
	)

	It("names pool, machine type and missing capability", func() {
		_, errs := Validate(Input{Runtimes: kataOnly(), Shoot: shootWith(pool("kata-pool", "flat", cr("kata", ""))), RequiredCapabilities: kataNested, CloudProfile: profile})
		Expect(errs).To(HaveLen(1))
		Expect(errs[0].Error()).To(And(ContainSubstring(`worker pool "kata-pool"`), ContainSubstring(`"flat"`), ContainSubstring("nestedVirtualization=supported")))
	})

	It("warns about the deprecated gVisor apiVersion and names the current one", func() {
		warnings, errs := Validate(Input{Runtimes: runtimes.All(), Shoot: shootWith(pool("a", "flat", cr("gvisor", `{"apiVersion":"gvisor.os.extensions.gardener.cloud/v1alpha1","kind":"GVisorConfiguration"}`)))})
		Expect(errs).To(BeEmpty())
		Expect(warnings).To(HaveKey("gvisor"))
		Expect(warnings["kata"]).To(BeEmpty())
		Expect(warnings["gvisor"]).To(ConsistOf(And(
			ContainSubstring("spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.apiVersion"),
			ContainSubstring("use gvisor.runtime.extensions.config.gardener.cloud/v1alpha1"))))
	})

	It("lets a Shoot that is being deleted through", func() {
		shoot := shootWith(pool("a", "flat", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"foo":"true"}}`)))
		shoot.DeletionTimestamp = &metav1.Time{}
		_, errs := Validate(Input{Runtimes: runtimes.All(), Shoot: shoot})
		Expect(errs).To(BeEmpty())
	})

	It("reports the problems of every runtime type at once, ordered by field", func() {
		_, errs := Validate(Input{
			Runtimes: runtimes.All(),
			Shoot: shootWith(
				pool("k", "flat", cr("kata", `{`+kataAPI+`,"hypervisors":["vmware"]}`)),
				pool("g", "flat", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"foo":"true"}}`)),
			),
			RequiredCapabilities: kataNested,
			CloudProfile:         profile,
		})
		Expect(errs).To(ConsistOf(
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.hypervisors[0]"),
			fieldErr(field.ErrorTypeInvalid, "spec.provider.workers[0].machine.type"),
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.configFlags[foo]"),
		))
		Expect(errs[2].Field).To(HavePrefix("spec.provider.workers[1]"))
	})

	It("reports decoding and validation problems of one providerConfig together", func() {
		_, errs := Validate(Input{Runtimes: runtimes.All(), Shoot: shootWith(
			pool("g", "flat", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"debug":true,"foo":"bar","net-raw":null}}`)),
			pool("k", "flat", cr("kata", `{`+kataAPI+`,"hypervisors":[1,"qemu","qemu","vmware"],"extra":1}`)),
		)})
		Expect(errs).To(ConsistOf(
			fieldErr(field.ErrorTypeInvalid, "spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[debug]"),
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[foo]"),
			fieldErr(field.ErrorTypeInvalid, "spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags[net-raw]"),
			fieldErr(field.ErrorTypeForbidden, "spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.extra"),
			fieldErr(field.ErrorTypeInvalid, "spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.hypervisors[0]"),
			fieldErr(field.ErrorTypeInvalid, "spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.hypervisors[2]"),
			fieldErr(field.ErrorTypeNotSupported, "spec.provider.workers[1].cri.containerRuntimes[0].providerConfig.hypervisors[3]"),
		))
	})

	It("says when the CloudProfile does not define a required capability", func() {
		_, errs := Validate(Input{
			Runtimes:             kataOnly(),
			Shoot:                shootWith(pool("kata-pool", "plain", cr("kata", ""))),
			RequiredCapabilities: kataNested,
			CloudProfile:         &gardencorev1beta1.CloudProfileSpec{MachineTypes: []gardencorev1beta1.MachineType{{Name: "plain"}}},
		})
		Expect(errs).To(ConsistOf(fieldErr(field.ErrorTypeInvalid, "spec.provider.workers[0].machine.type")))
		Expect(errs[0].Detail).To(ContainSubstring("CloudProfile defines no capability nestedVirtualization"))
	})
})

func gvisorOnly() []runtimes.Runtime { return []runtimes.Runtime{gvisor.New()} }
func kataOnly() []runtimes.Runtime   { return []runtimes.Runtime{kata.New()} }

var kataNested = map[string][]CapabilityRequirement{"kata": nested}

var _ = Describe("PoolsToJudge", func() {
	bad := cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"foo":"true"}}`)

	DescribeTable("judges new and changed pools only",
		func(old, shoot *gardencorev1beta1.Shoot, want []int) {
			if want == nil {
				Expect(PoolsToJudge("gvisor", shoot, old)).To(BeEmpty())
				return
			}
			Expect(PoolsToJudge("gvisor", shoot, old)).To(Equal(want))
		},
		Entry("CREATE: every pool of the type", nil, shootWith(pool("a", "m", bad), pool("b", "m"), pool("c", "m", cr("gvisor", ""))), []int{0, 2}),
		Entry("unchanged", shootWith(pool("a", "m", bad)), shootWith(pool("a", "m", bad)), nil),
		Entry("unchanged but re-serialised providerConfig",
			shootWith(pool("a", "m", bad)),
			shootWith(pool("a", "m", cr("gvisor", `{ "configFlags": {"foo": "true"}, `+gvisorAPI+` }`))), nil),
		Entry("unrelated changes elsewhere", shootWith(pool("a", "m", bad)), func() *gardencorev1beta1.Shoot {
			s := shootWith(pool("a", "m", bad), pool("new-plain", "m"))
			s.Labels = map[string]string{"x": "y"}
			s.Spec.Provider.Workers[0].Maximum = 9
			return s
		}(), nil),
		Entry("changed providerConfig", shootWith(pool("a", "m", bad)), shootWith(pool("a", "m", cr("gvisor", `{`+gvisorAPI+`,"configFlags":{"foo":"false"}}`))), []int{0}),
		Entry("changed machine type", shootWith(pool("a", "m", bad)), shootWith(pool("a", "n", bad)), []int{0}),
		Entry("runtime added to a pool", shootWith(pool("a", "m")), shootWith(pool("a", "m", bad)), []int{0}),
		Entry("new pool", shootWith(pool("a", "m", bad)), shootWith(pool("a", "m", bad), pool("b", "m", bad)), []int{1}),
		Entry("renamed pool", shootWith(pool("a", "m", bad)), shootWith(pool("b", "m", bad)), []int{0}),
	)
})

var _ = Describe("ParseCapabilityRequirements", func() {
	types := []string{"gvisor", "kata"}

	It("parses requirements per runtime type", func() {
		out, err := ParseCapabilityRequirements([]string{"kata:nestedVirtualization=supported", "kata:architecture=amd64"}, types)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(map[string][]CapabilityRequirement{"kata": {
			{Name: "nestedVirtualization", Value: "supported"}, {Name: "architecture", Value: "amd64"},
		}}))
	})

	DescribeTable("refuses malformed requirements",
		func(spec, fragment string) {
			_, err := ParseCapabilityRequirements([]string{spec}, types)
			Expect(err).To(MatchError(ContainSubstring(fragment)))
		},
		Entry("no type", "nestedVirtualization=supported", "want <runtime type>:<capability>=<value>"),
		Entry("no value", "kata:nestedVirtualization", "want <runtime type>:<capability>=<value>"),
		Entry("empty value", "kata:nestedVirtualization=", "want <runtime type>:<capability>=<value>"),
		Entry("unknown type", "vmware:nestedVirtualization=supported", `unknown container runtime type "vmware", known types: gvisor, kata`),
	)
})
