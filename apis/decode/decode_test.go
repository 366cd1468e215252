package decode_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
	gvisorv1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	katav1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/kata/v1alpha1"
)

const (
	gvisorAPIVersion           = "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1"
	deprecatedGVisorAPIVersion = "gvisor.os.extensions.gardener.cloud/v1alpha1"
	kataAPIVersion             = "kata.runtime.extensions.config.gardener.cloud/v1alpha1"
)

var (
	fldPath = field.NewPath("spec", "provider", "workers").Index(0).
		Child("cri", "containerRuntimes").Index(0).Child("providerConfig")

	gvisorGVK           = schema.GroupVersionKind{Group: "gvisor.runtime.extensions.config.gardener.cloud", Version: "v1alpha1", Kind: "GVisorConfiguration"}
	deprecatedGVisorGVK = schema.GroupVersionKind{Group: "gvisor.os.extensions.gardener.cloud", Version: "v1alpha1", Kind: "GVisorConfiguration"}
	kataGVK             = schema.GroupVersionKind{Group: "kata.runtime.extensions.config.gardener.cloud", Version: "v1alpha1", Kind: "KataConfiguration"}

	gvisorAPIVersions = []string{gvisorAPIVersion, deprecatedGVisorAPIVersion}
	gvisorFields      = `supported fields: "apiVersion", "configFlags", "kind", "testImageTag"`
	kataFields        = `supported fields: "apiVersion", "hypervisors", "kind"`
)

// nestedConfig has a field of a shape no providerConfig API has.
type nestedConfig struct {
	metav1.TypeMeta `json:",inline"`
	Count           int `json:"count"`
}

// DeepCopyObject returns a shallow copy, which is enough for these tests.
func (c *nestedConfig) DeepCopyObject() runtime.Object {
	out := *c
	return &out
}

// newDecoder returns a Decoder for a scheme with the APIs that addToScheme adds.
func newDecoder(addToScheme ...func(*runtime.Scheme) error) *Decoder {
	scheme := runtime.NewScheme()
	for _, add := range addToScheme {
		Expect(add(scheme)).To(Succeed())
	}
	return NewDecoder(scheme)
}

var _ = Describe("Decoder", func() {
	var (
		gvisorDecoder *Decoder
		kataDecoder   *Decoder
	)

	BeforeEach(func() {
		gvisorDecoder = newDecoder(gvisorv1alpha1.AddToScheme)
		kataDecoder = newDecoder(katav1alpha1.AddToScheme)
	})

	decodeGVisor := func(raw string) (*gvisorv1alpha1.GVisorConfiguration, schema.GroupVersionKind, field.ErrorList) {
		cfg := &gvisorv1alpha1.GVisorConfiguration{}
		gvk, errs := gvisorDecoder.Decode([]byte(raw), cfg, fldPath)
		return cfg, gvk, errs
	}
	decodeKata := func(raw string) (*katav1alpha1.KataConfiguration, schema.GroupVersionKind, field.ErrorList) {
		cfg := &katav1alpha1.KataConfiguration{}
		gvk, errs := kataDecoder.Decode([]byte(raw), cfg, fldPath)
		return cfg, gvk, errs
	}

	Describe("gVisor", func() {
		typeMeta := func(apiVersion string) metav1.TypeMeta {
			return metav1.TypeMeta{APIVersion: apiVersion, Kind: "GVisorConfiguration"}
		}

		DescribeTable("decodes valid documents without defaulting them",
			func(raw string, expectedGVK schema.GroupVersionKind, expected *gvisorv1alpha1.GVisorConfiguration) {
				cfg, gvk, errs := decodeGVisor(raw)
				Expect(errs).To(BeEmpty())
				Expect(gvk).To(Equal(expectedGVK))
				Expect(cfg).To(Equal(expected))
			},
			Entry("JSON",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"debug":"true","net-raw":"false"}}`,
				gvisorGVK, &gvisorv1alpha1.GVisorConfiguration{
					TypeMeta: typeMeta(gvisorAPIVersion), ConfigFlags: map[string]string{"debug": "true", "net-raw": "false"},
				}),
			Entry("JSON with surrounding whitespace",
				"\n  {\"apiVersion\":\""+gvisorAPIVersion+"\",\"kind\":\"GVisorConfiguration\"}  \n",
				gvisorGVK, &gvisorv1alpha1.GVisorConfiguration{TypeMeta: typeMeta(gvisorAPIVersion)}),
			Entry("absent flags, which stay nil",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration"}`,
				gvisorGVK, &gvisorv1alpha1.GVisorConfiguration{TypeMeta: typeMeta(gvisorAPIVersion)}),
			Entry("null flags, which stay nil",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":null}`,
				gvisorGVK, &gvisorv1alpha1.GVisorConfiguration{TypeMeta: typeMeta(gvisorAPIVersion)}),
			Entry("empty flags",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{}}`,
				gvisorGVK, &gvisorv1alpha1.GVisorConfiguration{TypeMeta: typeMeta(gvisorAPIVersion), ConfigFlags: map[string]string{}}),
			Entry("unknown flags and values, which are for validation to refuse",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"foo":"bar"}}`,
				gvisorGVK, &gvisorv1alpha1.GVisorConfiguration{
					TypeMeta: typeMeta(gvisorAPIVersion), ConfigFlags: map[string]string{"foo": "bar"},
				}),
			Entry("the deprecated apiVersion in JSON, reporting it",
				`{"apiVersion":"`+deprecatedGVisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"debug":"true"}}`,
				deprecatedGVisorGVK, &gvisorv1alpha1.GVisorConfiguration{
					TypeMeta: typeMeta(deprecatedGVisorAPIVersion), ConfigFlags: map[string]string{"debug": "true"},
				}),
		)

		DescribeTable("refuses invalid documents with precise field errors",
			func(raw string, expectedGVK schema.GroupVersionKind, expected field.ErrorList) {
				_, gvk, errs := decodeGVisor(raw)
				Expect(errs).To(Equal(expected))
				Expect(gvk).To(Equal(expectedGVK))
			},
			Entry("a missing apiVersion",
				`{"kind":"GVisorConfiguration"}`,
				schema.GroupVersionKind{Kind: "GVisorConfiguration"}, field.ErrorList{
					field.Required(fldPath.Child("apiVersion"),
						`must be set; supported values: "`+gvisorAPIVersion+`", "`+deprecatedGVisorAPIVersion+`"`),
				}),
			Entry("a missing kind",
				`{"apiVersion":"`+gvisorAPIVersion+`"}`,
				schema.GroupVersionKind{Group: gvisorGVK.Group, Version: "v1alpha1"}, field.ErrorList{
					field.Required(fldPath.Child("kind"), `must be set; supported values: "GVisorConfiguration"`),
				}),
			Entry("an empty apiVersion and a null kind",
				`{"apiVersion":"","kind":null}`,
				schema.GroupVersionKind{}, field.ErrorList{
					field.Required(fldPath.Child("apiVersion"),
						`must be set; supported values: "`+gvisorAPIVersion+`", "`+deprecatedGVisorAPIVersion+`"`),
					field.Required(fldPath.Child("kind"), `must be set; supported values: "GVisorConfiguration"`),
				}),
			Entry("a missing apiVersion and kind with an unknown field and a wrong type, all of them",
				`{"configFlags":{"debug":true},"x":"y"}`,
				schema.GroupVersionKind{}, field.ErrorList{
					field.Required(fldPath.Child("apiVersion"),
						`must be set; supported values: "`+gvisorAPIVersion+`", "`+deprecatedGVisorAPIVersion+`"`),
					field.Invalid(fldPath.Child("configFlags").Key("debug"), true,
						`must be a string, not a boolean: quote the value, e.g. "true"`),
					field.Required(fldPath.Child("kind"), `must be set; supported values: "GVisorConfiguration"`),
					field.Forbidden(fldPath.Child("x"), `unknown field "x"; `+gvisorFields),
				}),
			Entry("an unknown version",
				`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1beta1","kind":"GVisorConfiguration"}`,
				schema.GroupVersionKind{Group: gvisorGVK.Group, Version: "v1beta1", Kind: "GVisorConfiguration"}, field.ErrorList{
					field.NotSupported(fldPath.Child("apiVersion"), "gvisor.runtime.extensions.config.gardener.cloud/v1beta1", gvisorAPIVersions),
				}),
			Entry("a version without group",
				`{"apiVersion":"v1alpha1","kind":"GVisorConfiguration"}`,
				schema.GroupVersionKind{Version: "v1alpha1", Kind: "GVisorConfiguration"}, field.ErrorList{
					field.NotSupported(fldPath.Child("apiVersion"), "v1alpha1", gvisorAPIVersions),
				}),
			Entry("the Kata API",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"KataConfiguration","hypervisors":["qemu"]}`,
				kataGVK, field.ErrorList{
					field.NotSupported(fldPath.Child("apiVersion"), kataAPIVersion, gvisorAPIVersions),
					field.NotSupported(fldPath.Child("kind"), "KataConfiguration", []string{"GVisorConfiguration"}),
				}),
			Entry("the Kata apiVersion with the gVisor kind",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"GVisorConfiguration"}`,
				kataGVK.GroupVersion().WithKind("GVisorConfiguration"), field.ErrorList{
					field.NotSupported(fldPath.Child("apiVersion"), kataAPIVersion, gvisorAPIVersions),
				}),
			Entry("a wrong kind",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfig"}`,
				gvisorGVK.GroupVersion().WithKind("GVisorConfig"), field.ErrorList{
					field.NotSupported(fldPath.Child("kind"), "GVisorConfig", []string{"GVisorConfiguration"}),
				}),
			Entry("a kind in the wrong case",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"gvisorconfiguration"}`,
				gvisorGVK.GroupVersion().WithKind("gvisorconfiguration"), field.ErrorList{
					field.NotSupported(fldPath.Child("kind"), "gvisorconfiguration", []string{"GVisorConfiguration"}),
				}),
			Entry("an apiVersion that is not a string",
				`{"apiVersion":1,"kind":"GVisorConfiguration"}`,
				schema.GroupVersionKind{Kind: "GVisorConfiguration"}, field.ErrorList{
					field.Invalid(fldPath.Child("apiVersion"), int64(1),
						`must be a string, not a number; supported values: "`+gvisorAPIVersion+`", "`+deprecatedGVisorAPIVersion+`"`),
				}),
			Entry("an unknown top-level field",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlag":{"debug":"true"}}`,
				gvisorGVK, field.ErrorList{
					field.Forbidden(fldPath.Child("configFlag"), `unknown field "configFlag"; `+gvisorFields),
				}),
			Entry("a field in the wrong case",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","ConfigFlags":{}}`,
				gvisorGVK, field.ErrorList{
					field.Forbidden(fldPath.Child("ConfigFlags"), `unknown field "ConfigFlags"; `+gvisorFields),
				}),
			Entry("an unknown field with a dot in its name",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","x.y":{"z":1}}`,
				gvisorGVK, field.ErrorList{
					field.Forbidden(fldPath.Child("x", "y"), `unknown field "x.y"; `+gvisorFields),
				}),
			Entry("a duplicate top-level field in JSON",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"debug":"true"},"configFlags":{}}`,
				gvisorGVK, field.ErrorList{
					field.Duplicate(fldPath.Child("configFlags"), "configFlags"),
				}),
			Entry("a duplicate apiVersion in JSON",
				`{"apiVersion":"`+kataAPIVersion+`","apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration"}`,
				gvisorGVK, field.ErrorList{
					field.Duplicate(fldPath.Child("apiVersion"), "apiVersion"),
				}),
			Entry("a duplicate flag in JSON",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"debug":"true","debug":"false"}}`,
				gvisorGVK, field.ErrorList{
					field.Duplicate(fldPath.Child("configFlags").Key("debug"), "debug"),
				}),
			Entry("a duplicate flag with a dot in its name in JSON",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"a.b":"true","a.b":"false"}}`,
				gvisorGVK, field.ErrorList{
					field.Duplicate(fldPath.Child("configFlags").Key("a.b"), "a.b"),
				}),
			Entry("duplicate fields and flags",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"debug":"true","debug":"false"},"configFlags":{}}`,
				gvisorGVK, field.ErrorList{
					field.Duplicate(fldPath.Child("configFlags"), "configFlags"),
					field.Duplicate(fldPath.Child("configFlags").Key("debug"), "debug"),
				}),
			Entry("an unquoted boolean flag value",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"debug":true}}`,
				gvisorGVK, field.ErrorList{
					field.Invalid(fldPath.Child("configFlags").Key("debug"), true,
						`must be a string, not a boolean: quote the value, e.g. "true"`),
				}),
			Entry("boolean and number flag values in JSON, each of them",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"nvproxy":1,"debug":true,"net-raw":"true"}}`,
				gvisorGVK, field.ErrorList{
					field.Invalid(fldPath.Child("configFlags").Key("debug"), true,
						`must be a string, not a boolean: quote the value, e.g. "true"`),
					field.Invalid(fldPath.Child("configFlags").Key("nvproxy"), int64(1),
						`must be a string, not a number: quote the value, e.g. "1"`),
				}),
			Entry("an object as flag value",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"debug":{"enabled":"true"}}}`,
				gvisorGVK, field.ErrorList{
					field.Invalid(fldPath.Child("configFlags").Key("debug"), map[string]any{"enabled": "true"},
						"must be a string, not an object"),
				}),
			Entry("a list as flags",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":["debug"]}`,
				gvisorGVK, field.ErrorList{
					field.Invalid(fldPath.Child("configFlags"), []any{"debug"}, "must be an object, not a list"),
				}),
			Entry("a string as flags",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":"debug=true"}`,
				gvisorGVK, field.ErrorList{
					field.Invalid(fldPath.Child("configFlags"), "debug=true", "must be an object, not a string"),
				}),
			Entry("all problems at once, sorted by field",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration","configFlags":{"net-raw":"true","debug":false,"net-raw":"false"},"configFlag":{},"zzz":1}`,
				gvisorGVK, field.ErrorList{
					field.Forbidden(fldPath.Child("configFlag"), `unknown field "configFlag"; `+gvisorFields),
					field.Invalid(fldPath.Child("configFlags").Key("debug"), false,
						`must be a string, not a boolean: quote the value, e.g. "false"`),
					field.Duplicate(fldPath.Child("configFlags").Key("net-raw"), "net-raw"),
					field.Forbidden(fldPath.Child("zzz"), `unknown field "zzz"; `+gvisorFields),
				}),
		)

		It("does not report problems below a wrong apiVersion or kind", func() {
			_, _, errs := decodeGVisor(`{"apiVersion":"` + kataAPIVersion + `","kind":"KataConfiguration","hypervisors":["qemu"],"configFlags":{"debug":true}}`)
			Expect(errs).To(HaveLen(2))
			Expect(errs[0].Field).To(Equal(fldPath.Child("apiVersion").String()))
			Expect(errs[1].Field).To(Equal(fldPath.Child("kind").String()))
		})
	})

	Describe("Kata", func() {
		typeMeta := metav1.TypeMeta{APIVersion: kataAPIVersion, Kind: "KataConfiguration"}

		DescribeTable("decodes valid documents without defaulting them",
			func(raw string, expected *katav1alpha1.KataConfiguration) {
				cfg, gvk, errs := decodeKata(raw)
				Expect(errs).To(BeEmpty())
				Expect(gvk).To(Equal(kataGVK))
				// Equal tells nil from empty slices.
				Expect(cfg).To(Equal(expected))
			},
			Entry("JSON",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"KataConfiguration","hypervisors":["fc","qemu"]}`,
				&katav1alpha1.KataConfiguration{TypeMeta: typeMeta, Hypervisors: []katav1alpha1.Hypervisor{"fc", "qemu"}}),
			Entry("absent hypervisors, which stay nil",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"KataConfiguration"}`,
				&katav1alpha1.KataConfiguration{TypeMeta: typeMeta}),
			Entry("an empty list of hypervisors, which stays empty for validation to refuse",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"KataConfiguration","hypervisors":[]}`,
				&katav1alpha1.KataConfiguration{TypeMeta: typeMeta, Hypervisors: []katav1alpha1.Hypervisor{}}),
			Entry("unknown and duplicate hypervisors, which are for validation to refuse",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"KataConfiguration","hypervisors":["xen","xen"]}`,
				&katav1alpha1.KataConfiguration{TypeMeta: typeMeta, Hypervisors: []katav1alpha1.Hypervisor{"xen", "xen"}}),
		)

		DescribeTable("refuses invalid documents with precise field errors",
			func(raw string, expected field.ErrorList) {
				_, _, errs := decodeKata(raw)
				Expect(errs).To(Equal(expected))
			},
			Entry("the gVisor API",
				`{"apiVersion":"`+gvisorAPIVersion+`","kind":"GVisorConfiguration"}`, field.ErrorList{
					field.NotSupported(fldPath.Child("apiVersion"), gvisorAPIVersion, []string{kataAPIVersion}),
					field.NotSupported(fldPath.Child("kind"), "GVisorConfiguration", []string{"KataConfiguration"}),
				}),
			Entry("the deprecated gVisor apiVersion",
				`{"apiVersion":"`+deprecatedGVisorAPIVersion+`","kind":"KataConfiguration"}`, field.ErrorList{
					field.NotSupported(fldPath.Child("apiVersion"), deprecatedGVisorAPIVersion, []string{kataAPIVersion}),
				}),
			Entry("an unknown version",
				`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1","kind":"KataConfiguration"}`, field.ErrorList{
					field.NotSupported(fldPath.Child("apiVersion"), "kata.runtime.extensions.config.gardener.cloud/v1", []string{kataAPIVersion}),
				}),
			Entry("a missing apiVersion and kind",
				`{"hypervisors":["qemu"]}`, field.ErrorList{
					field.Required(fldPath.Child("apiVersion"), `must be set; supported values: "`+kataAPIVersion+`"`),
					field.Required(fldPath.Child("kind"), `must be set; supported values: "KataConfiguration"`),
				}),
			Entry("an unknown field",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"KataConfiguration","hypervisor":"qemu"}`, field.ErrorList{
					field.Forbidden(fldPath.Child("hypervisor"), `unknown field "hypervisor"; `+kataFields),
				}),
			Entry("a duplicate field",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"KataConfiguration","hypervisors":["qemu"],"hypervisors":["fc"]}`, field.ErrorList{
					field.Duplicate(fldPath.Child("hypervisors"), "hypervisors"),
				}),
			Entry("a string instead of a list",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"KataConfiguration","hypervisors":"qemu"}`, field.ErrorList{
					field.Invalid(fldPath.Child("hypervisors"), "qemu", "must be a list, not a string"),
				}),
			Entry("entries that are not strings, each of them",
				`{"apiVersion":"`+kataAPIVersion+`","kind":"KataConfiguration","hypervisors":[1,"qemu",true,{"name":"fc"}]}`, field.ErrorList{
					field.Invalid(fldPath.Child("hypervisors").Index(0), int64(1), `must be a string, not a number: quote the value, e.g. "1"`),
					field.Invalid(fldPath.Child("hypervisors").Index(2), true, `must be a string, not a boolean: quote the value, e.g. "true"`),
					field.Invalid(fldPath.Child("hypervisors").Index(3), map[string]any{"name": "fc"}, "must be a string, not an object"),
				}),
		)

		It("reports the problems of both APIs separately when both are in one scheme", func() {
			kataDecoder = newDecoder(gvisorv1alpha1.AddToScheme, katav1alpha1.AddToScheme)
			_, gvk, errs := decodeKata(`{"apiVersion":"` + gvisorAPIVersion + `","kind":"GVisorConfiguration"}`)
			Expect(gvk).To(Equal(gvisorGVK))
			Expect(errs).To(Equal(field.ErrorList{
				field.NotSupported(fldPath.Child("apiVersion"), gvisorAPIVersion, []string{kataAPIVersion}),
				field.NotSupported(fldPath.Child("kind"), "GVisorConfiguration", []string{"KataConfiguration"}),
			}))
		})
	})

	DescribeTable("refuses bytes that are not a JSON object",
		func(raw string, detail string) {
			_, gvk, errs := decodeGVisor(raw)
			Expect(gvk).To(BeZero())
			Expect(errs).To(Equal(field.ErrorList{field.Invalid(fldPath, "<not shown>", detail)}))
			Expect(errs.ToAggregate().Error()).To(HavePrefix(fldPath.String() + `: Invalid value: "<not shown>": cannot be decoded: `))
		},
		Entry("garbage", "\x00\x01\x02garbage{{{", "cannot be decoded: invalid JSON: invalid character '\\x00' looking for beginning of value"),
		Entry("broken JSON", `{"apiVersion":`, "cannot be decoded: invalid JSON: unexpected end of JSON input"),
		Entry("JSON that is not quite JSON", `{apiVersion: x}`, "cannot be decoded: invalid JSON: invalid character 'a' looking for beginning of object key string"),
		Entry("YAML, which API servers never send", "apiVersion: x\nkind: y\n", "cannot be decoded: invalid JSON: invalid character 'a' looking for beginning of value"),
		Entry("no bytes", "", "cannot be decoded: the document is empty"),
		Entry("only whitespace", " \n\t", "cannot be decoded: the document is empty"),
		Entry("null", "null", "cannot be decoded: the document is empty"),
		Entry("a list", `[{"apiVersion":"x"}]`, "cannot be decoded: the document must be an object, not a list"),
		Entry("a string", `"just a string"`, "cannot be decoded: the document must be an object, not a string"),
		Entry("a number", "42", "cannot be decoded: the document must be an object, not a number"),
	)

	DescribeTable("reports an internal error when it cannot decode into the given object",
		func(into runtime.Object, detail string) {
			gvk, errs := gvisorDecoder.Decode([]byte(`{}`), into, fldPath)
			Expect(gvk).To(BeZero())
			Expect(errs).To(HaveLen(1))
			Expect(errs[0].Type).To(Equal(field.ErrorTypeInternal))
			Expect(errs[0].Field).To(Equal(fldPath.String()))
			Expect(errs[0].Detail).To(ContainSubstring(detail))
		},
		Entry("nil", nil, "no object to decode into"),
		Entry("a type the scheme does not know", &katav1alpha1.KataConfiguration{}, "KataConfiguration"),
	)

	It("reports an internal error for a type with a field of a shape no providerConfig API has", func() {
		scheme := runtime.NewScheme()
		scheme.AddKnownTypeWithName(schema.GroupVersionKind{Group: "test.example.com", Version: "v1", Kind: "Nested"}, &nestedConfig{})
		_, errs := NewDecoder(scheme).Decode([]byte(`{"apiVersion":"test.example.com/v1","kind":"Nested"}`), &nestedConfig{}, fldPath)
		Expect(errs).To(HaveLen(1))
		Expect(errs[0].Type).To(Equal(field.ErrorTypeInternal))
		Expect(errs[0].Detail).To(ContainSubstring(`field "count" has Go type int, which is not a string, a list of strings or a map of strings`))
	})
})

var _ = Describe("Decoded and Merge", func() {
	DescribeTable("Decoded tells whether the document was read as the API's",
		func(errs field.ErrorList, expected bool) {
			Expect(Decoded(errs, fldPath)).To(Equal(expected))
		},
		Entry("no errors", nil, true),
		Entry("errors of fields", field.ErrorList{
			field.Forbidden(fldPath.Child("x"), "unknown"),
			field.Duplicate(fldPath.Child("apiVersion"), "apiVersion"),
			field.Required(fldPath.Child("kind"), "must be set"),
		}, true),
		Entry("an undecodable document", field.ErrorList{field.Invalid(fldPath, NotShown, "cannot be decoded")}, false),
		Entry("another API's apiVersion", field.ErrorList{field.NotSupported(fldPath.Child("apiVersion"), "v1", []string{"x"})}, false),
		Entry("a kind that is not a string", field.ErrorList{field.Invalid(fldPath.Child("kind"), int64(1), "must be a string")}, false),
		Entry("an internal error", field.ErrorList{field.InternalError(fldPath.Child("x"), errors.New("boom"))}, false),
	)

	It("Merge drops validation errors of fields decoding reported already", func() {
		debug := fldPath.Child("configFlags").Key("debug")
		decodeErrs := field.ErrorList{field.Invalid(debug, true, "must be a string")}
		validationErrs := field.ErrorList{
			field.NotSupported(debug, "", []string{"true", "false"}),
			field.NotSupported(fldPath.Child("configFlags").Key("foo"), "foo", []string{"debug"}),
		}
		Expect(Merge(decodeErrs, validationErrs)).To(Equal(field.ErrorList{decodeErrs[0], validationErrs[1]}))
	})
})

var _ = DescribeTable("IsEmpty",
	func(providerConfig *runtime.RawExtension, expected bool) {
		Expect(IsEmpty(providerConfig)).To(Equal(expected))
	},
	Entry("nil", nil, true),
	Entry("no bytes", &runtime.RawExtension{}, true),
	Entry("whitespace", &runtime.RawExtension{Raw: []byte(" \n")}, true),
	Entry("null", &runtime.RawExtension{Raw: []byte(" null ")}, true),
	Entry("an empty object", &runtime.RawExtension{Raw: []byte("{}")}, false),
	Entry("a document", &runtime.RawExtension{Raw: []byte(`{"kind":"GVisorConfiguration"}`)}, false),
	Entry("garbage", &runtime.RawExtension{Raw: []byte("nul")}, false),
	Entry("an object without bytes", &runtime.RawExtension{Object: &gvisorv1alpha1.GVisorConfiguration{}}, false),
)
