// Package decode strictly decodes the providerConfig documents of the sandbox runtimes and reports every problem
// as a field error relative to the providerConfig, so that admission can tell users exactly what to fix.
package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// NotShown is the bad value of errors about documents that cannot be decoded at all: the document itself is not
// repeated in the error.
const NotShown = "<not shown>"

// Decoder strictly decodes providerConfig documents of one API.
//
// Unlike the strict serializers of k8s.io/apimachinery, it does not take a missing apiVersion or kind from the
// target type, and it reports all unknown fields, duplicate fields and values of the wrong type at once, each on
// its own precise field path. A Decoder is safe for concurrent use once its scheme is complete.
type Decoder struct {
	scheme *runtime.Scheme
}

// NewDecoder returns a Decoder for the types registered in scheme. The apiVersions and kind a document may declare
// are those the scheme knows for the type it is decoded into.
func NewDecoder(scheme *runtime.Scheme) *Decoder {
	return &Decoder{scheme: scheme}
}

// Decode decodes raw (JSON or YAML bytes) into into, which must be a new, empty object of a type registered in the
// Decoder's scheme. It returns the GroupVersionKind the document declares (as far as it could be read, so callers
// can e.g. warn about deprecated apiVersions) and all problems as field errors relative to fldPath, the path of the
// providerConfig:
//
//   - a missing apiVersion or kind is Required, one the scheme does not know for into's type is NotSupported;
//   - an unknown field is Forbidden, a duplicate field is a Duplicate, each on the path of the field;
//   - a value of the wrong type (e.g. an unquoted YAML boolean where a string is expected) is Invalid on the path
//     of the value;
//   - bytes that are not a JSON or YAML object are Invalid on fldPath.
//
// Decode applies no defaults. When every error concerns an individual field (see Decoded), into holds the rest of
// the document; otherwise its contents are unspecified.
func (d *Decoder) Decode(raw []byte, into runtime.Object, fldPath *field.Path) (gvk schema.GroupVersionKind, errs field.ErrorList) {
	allowed, err := d.allowedKinds(into)
	if err != nil {
		return schema.GroupVersionKind{}, field.ErrorList{field.InternalError(fldPath, err)}
	}

	doc, err := parse(raw)
	if err != nil {
		return schema.GroupVersionKind{}, field.ErrorList{field.Invalid(fldPath, NotShown, "cannot be decoded: "+err.Error())}
	}

	gvk, errs = checkTypeMeta(doc.object, allowed, fldPath)
	if len(errs) > 0 {
		return gvk, errs
	}

	t := reflect.TypeOf(into).Elem()
	dupErrs := doc.duplicates(t, fldPath)
	errs = append(errs, dupErrs...)

	// A value of the wrong type stops encoding/json from reporting anything else, so such values are found and
	// removed beforehand: one error for each of them, and the unknown fields are still found in what remains. Of
	// duplicate fields, only the last value is checked, so then only that is decoded, too.
	sanitized, typeErrs := checkValue(doc.object, t, fldPath)
	errs = append(errs, typeErrs...)
	data := doc.json
	if len(typeErrs) > 0 || len(dupErrs) > 0 {
		if data, err = json.Marshal(sanitized); err != nil {
			return gvk, append(errs, field.InternalError(fldPath, fmt.Errorf("encoding the checked document: %w", err)))
		}
	}

	strictErrs, err := sigsjson.UnmarshalStrict(data, into, sigsjson.DisallowUnknownFields)
	if err != nil {
		errs = append(errs, decodeError(err, t, fldPath))
	}
	for _, strictErr := range strictErrs {
		errs = append(errs, strictError(strictErr, t, fldPath))
	}

	slices.SortStableFunc(errs, func(a, b *field.Error) int { return strings.Compare(a.Field, b.Field) })
	return gvk, errs
}

// IsEmpty reports whether a providerConfig is absent: nil, or without an object and with raw bytes that are empty,
// only whitespace or JSON null.
func IsEmpty(providerConfig *runtime.RawExtension) bool {
	if providerConfig == nil {
		return true
	}
	if providerConfig.Object != nil {
		return false
	}
	raw := bytes.TrimSpace(providerConfig.Raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// kinds are the apiVersions and kinds a document may declare.
type kinds struct {
	apiVersions []string
	kinds       []string
}

// allowedKinds returns the apiVersions and kinds the scheme knows for the type of into, in registration order.
func (d *Decoder) allowedKinds(into runtime.Object) (kinds, error) {
	if into == nil {
		return kinds{}, errors.New("decoding a providerConfig: no object to decode into")
	}
	if t := reflect.TypeOf(into); t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return kinds{}, fmt.Errorf("decoding a providerConfig: %T is not a pointer to a struct", into)
	}
	gvks, _, err := d.scheme.ObjectKinds(into)
	if err != nil {
		return kinds{}, fmt.Errorf("decoding a providerConfig into %T: %w", into, err)
	}
	var k kinds
	for _, gvk := range gvks {
		if apiVersion := gvk.GroupVersion().String(); !slices.Contains(k.apiVersions, apiVersion) {
			k.apiVersions = append(k.apiVersions, apiVersion)
		}
		if !slices.Contains(k.kinds, gvk.Kind) {
			k.kinds = append(k.kinds, gvk.Kind)
		}
	}
	return k, nil
}

// document is a providerConfig document that is syntactically valid and an object.
type document struct {
	// raw are the bytes as given.
	raw []byte
	// json are the bytes as JSON; YAML is converted.
	json []byte
	// yaml tells whether raw is YAML rather than JSON.
	yaml bool
	// object is the document decoded generically.
	object map[string]any
}

// parse parses raw, JSON if it looks like a JSON object and YAML otherwise, like the Kubernetes serializers do.
func parse(raw []byte) (*document, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("the document is empty")
	}
	doc := &document{raw: raw, json: raw}
	if !utilyaml.IsJSONBuffer(raw) {
		converted, err := sigsyaml.YAMLToJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
		doc.json, doc.yaml = converted, true
	}

	var value any
	if err := utiljson.Unmarshal(doc.json, &value); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	switch object := value.(type) {
	case nil:
		return nil, errors.New("the document is empty")
	case map[string]any:
		doc.object = object
		return doc, nil
	default:
		return nil, fmt.Errorf("the document must be an object, not %s", describeValue(value))
	}
}

// checkTypeMeta checks the apiVersion and kind of a document against the allowed ones and returns the
// GroupVersionKind the document declares.
func checkTypeMeta(object map[string]any, allowed kinds, fldPath *field.Path) (schema.GroupVersionKind, field.ErrorList) {
	apiVersion, errs := checkTypeMetaField(object, "apiVersion", allowed.apiVersions, fldPath)
	kind, kindErrs := checkTypeMetaField(object, "kind", allowed.kinds, fldPath)
	return schema.FromAPIVersionAndKind(apiVersion, kind), append(errs, kindErrs...)
}

// checkTypeMetaField checks that the field name of object is a string with one of the allowed values and returns
// the string.
func checkTypeMetaField(object map[string]any, name string, allowed []string, fldPath *field.Path) (string, field.ErrorList) {
	path := fldPath.Child(name)
	value, ok := object[name]
	if !ok || value == nil || value == "" {
		return "", field.ErrorList{field.Required(path, "must be set; supported values: "+quoteAll(allowed))}
	}
	s, ok := value.(string)
	if !ok {
		return "", field.ErrorList{field.Invalid(path, value, fmt.Sprintf("must be a string, not %s; supported values: %s",
			describeValue(value), quoteAll(allowed)))}
	}
	if !slices.Contains(allowed, s) {
		return s, field.ErrorList{field.NotSupported(path, s, allowed)}
	}
	return s, nil
}

// quoteAll quotes values and joins them with commas, like field.NotSupported does.
func quoteAll(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return strings.Join(quoted, ", ")
}
