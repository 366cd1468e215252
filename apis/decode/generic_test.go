package decode_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
)

// testConfig exercises what the providerConfig APIs do not have (yet): nested structs, lists and maps of structs,
// numbers, custom decoding and the options of encoding/json.
type testConfig struct {
	metav1.TypeMeta `json:",inline"`

	Spec     testItem            `json:"spec,omitempty"`
	Items    []testItem          `json:"items,omitempty"`
	ByName   map[string]testItem `json:"byName,omitempty"`
	Pointer  *testItem           `json:"pointer,omitempty"`
	Small    int8                `json:"small,omitempty"`
	Ratio    float64             `json:"ratio,omitempty"`
	Data     []byte              `json:"data,omitempty"`
	Count    int                 `json:"count,omitempty,string"`
	Any      any                 `json:"any,omitempty"`
	Duration metav1.Duration     `json:"duration,omitempty"`
	Ignored  string              `json:"-"`
	Untagged string
}

// testItem is an item of a testConfig.
type testItem struct {
	Name    string `json:"name,omitempty"`
	Enabled bool   `json:"enabled,omitempty"`
}

// DeepCopyObject returns a shallow copy, which is enough for these tests.
func (c *testConfig) DeepCopyObject() runtime.Object {
	out := *c
	return &out
}

var _ = Describe("Decoder with nested types", func() {
	const header = `"apiVersion":"test.example.com/v1","kind":"TestConfig"`
	itemFields := `supported fields: "enabled", "name"`

	var decoder *Decoder

	BeforeEach(func() {
		scheme := runtime.NewScheme()
		scheme.AddKnownTypeWithName(schema.GroupVersionKind{Group: "test.example.com", Version: "v1", Kind: "TestConfig"}, &testConfig{})
		decoder = NewDecoder(scheme)
	})

	It("decodes a valid document", func() {
		cfg := &testConfig{}
		_, errs := decoder.Decode([]byte(`{`+header+`,
			"spec":{"name":"a","enabled":true},
			"items":[{"name":"b"}],
			"byName":{"c.d":{"enabled":false}},
			"pointer":{"name":"e"},
			"small":-8,"ratio":1,"data":"aGk=","count":"3","any":{"x":[1]},"duration":"1m","Untagged":"f"}`), cfg, fldPath)
		Expect(errs).To(BeEmpty())
		Expect(cfg).To(Equal(&testConfig{
			TypeMeta: metav1.TypeMeta{APIVersion: "test.example.com/v1", Kind: "TestConfig"},
			Spec:     testItem{Name: "a", Enabled: true},
			Items:    []testItem{{Name: "b"}},
			ByName:   map[string]testItem{"c.d": {}},
			Pointer:  &testItem{Name: "e"},
			Small:    -8,
			Ratio:    1,
			Data:     []byte("hi"),
			Count:    3,
			Any:      map[string]any{"x": []any{int64(1)}},
			Duration: metav1.Duration{Duration: time.Minute},
			Untagged: "f",
		}))
	})

	DescribeTable("places every problem on its path",
		func(body string, expected field.ErrorList) {
			_, errs := decoder.Decode([]byte(`{`+header+`,`+body+`}`), &testConfig{}, fldPath)
			Expect(errs).To(Equal(expected))
		},
		Entry("an unknown field of a nested struct", `"spec":{"nme":"a"}`, field.ErrorList{
			field.Forbidden(fldPath.Child("spec", "nme"), `unknown field "spec.nme"; `+itemFields),
		}),
		Entry("an unknown field in a list", `"items":[{"name":"a"},{"nme":"b"}]`, field.ErrorList{
			field.Forbidden(fldPath.Child("items").Index(1).Child("nme"), `unknown field "items[1].nme"; `+itemFields),
		}),
		Entry("an unknown field in a map", `"byName":{"a":{"nme":"b"}}`, field.ErrorList{
			field.Forbidden(fldPath.Child("byName").Key("a").Child("nme"), `unknown field "byName.a.nme"; `+itemFields),
		}),
		Entry("an unknown field behind a pointer", `"pointer":{"nme":"b"}`, field.ErrorList{
			field.Forbidden(fldPath.Child("pointer", "nme"), `unknown field "pointer.nme"; `+itemFields),
		}),
		Entry("a field that encoding/json ignores", `"Ignored":"a"`, field.ErrorList{
			field.Forbidden(fldPath.Child("Ignored"), `unknown field "Ignored"; supported fields: "Untagged", "any", "apiVersion", "byName", "count", "data", "duration", "items", "kind", "pointer", "ratio", "small", "spec"`),
		}),
		Entry("a wrong type in a nested struct", `"spec":{"enabled":"yes"}`, field.ErrorList{
			field.Invalid(fldPath.Child("spec", "enabled"), "yes", "must be a boolean, not a string"),
		}),
		Entry("a wrong type in a list", `"items":[{"name":"a"},{"name":1}]`, field.ErrorList{
			field.Invalid(fldPath.Child("items").Index(1).Child("name"), int64(1), `must be a string, not a number: quote the value, e.g. "1"`),
		}),
		Entry("a wrong type in a map", `"byName":{"a.b":{"enabled":1}}`, field.ErrorList{
			field.Invalid(fldPath.Child("byName").Key("a.b").Child("enabled"), int64(1), "must be a boolean, not a number"),
		}),
		Entry("a wrong type of an untagged field", `"Untagged":false`, field.ErrorList{
			field.Invalid(fldPath.Child("Untagged"), false, `must be a string, not a boolean: quote the value, e.g. "false"`),
		}),
		Entry("a fraction for an integer", `"small":1.5`, field.ErrorList{
			field.Invalid(fldPath.Child("small"), 1.5, "must be an integer, not a number"),
		}),
		Entry("a number for bytes", `"data":1`, field.ErrorList{
			field.Invalid(fldPath.Child("data"), int64(1), "must be a base64-encoded string, not a number"),
		}),
		Entry("an integer that overflows", `"small":1000`, field.ErrorList{
			field.Invalid(fldPath.Child("small"), NotShown, "cannot be decoded: a JSON number 1000 does not fit Go type int8"),
		}),
		Entry("a wrong type for custom decoding", `"duration":5`, field.ErrorList{
			field.Invalid(fldPath.Child("duration"), NotShown, "cannot be decoded: a JSON number does not fit Go type string"),
		}),
		Entry("a duplicate in a list", `"items":[{"name":"a","name":"b"}]`, field.ErrorList{
			field.Duplicate(fldPath.Child("items").Index(0).Child("name"), "name"),
		}),
		Entry("a duplicate map key", `"byName":{"a":{},"a":{}}`, field.ErrorList{
			field.Duplicate(fldPath.Child("byName").Key("a"), "a"),
		}),
		Entry("all problems at once", `"spec":{"nme":"a","enabled":"no"},"items":[{"name":true}],"spec":{}`, field.ErrorList{
			field.Invalid(fldPath.Child("items").Index(0).Child("name"), true, `must be a string, not a boolean: quote the value, e.g. "true"`),
			field.Duplicate(fldPath.Child("spec"), "spec"),
		}),
	)

	DescribeTable("finds duplicates in YAML",
		func(body string, expected field.ErrorList) {
			_, errs := decoder.Decode([]byte("apiVersion: test.example.com/v1\nkind: TestConfig\n"+body), &testConfig{}, fldPath)
			Expect(errs).To(Equal(expected))
		},
		Entry("in a list", "items:\n- name: a\n  name: b\n", field.ErrorList{
			field.Duplicate(fldPath.Child("items").Index(0).Child("name"), "name"),
		}),
		Entry("in a map", "byName:\n  a.b: {}\n  a.b: {}\n", field.ErrorList{
			field.Duplicate(fldPath.Child("byName").Key("a.b"), "a.b"),
		}),
		Entry("not for keys overriding merged ones", "spec: &s {name: a}\npointer:\n  <<: *s\n  name: b\n", nil),
	)
})
