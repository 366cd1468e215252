// Package decode strictly decodes the providerConfig documents of the sandbox runtimes and reports every problem
// as a field error relative to the providerConfig, so that admission can tell users exactly what to fix.
//
// A providerConfig arrives as JSON: the API servers store a RawExtension as JSON and send it so to webhooks and
// controllers. The providerConfig APIs are flat: string fields, lists of strings and maps of strings. Syntax and
// duplicate fields are left to sigs.k8s.io/json's strict decoding (the library behind apimachinery's strict
// serializers); this package adds what those stop short of: every unknown field and every value of the wrong type at
// once, each on its own field path, and errors that say how to fix them.
package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
)

// NotShown is the bad value of errors about documents that cannot be decoded at all: the document itself is not
// repeated in the error.
const NotShown = "<not shown>"

// Decoder strictly decodes providerConfig documents of one API. Unlike apimachinery's strict serializers, it does
// not take a missing apiVersion or kind from the target type, and it reports all problems at once. A Decoder is safe
// for concurrent use once its scheme is complete.
type Decoder struct {
	scheme *runtime.Scheme
}

// NewDecoder returns a Decoder for the types registered in scheme. The apiVersions and kind a document may declare
// are those the scheme knows for the type it is decoded into.
func NewDecoder(scheme *runtime.Scheme) *Decoder {
	return &Decoder{scheme: scheme}
}

// Decode decodes raw, a JSON object, into into, which must be a new, empty object of a type registered in the
// Decoder's scheme. It returns the GroupVersionKind the document declares (as far as it could be read, so callers
// can e.g. warn about deprecated apiVersions) and all problems as field errors relative to fldPath, the path of the
// providerConfig, sorted by field:
//
//   - a missing apiVersion or kind is Required, one the scheme does not know for into's type is NotSupported;
//   - an unknown field is Forbidden, a duplicate field is a Duplicate, each on the path of the field;
//   - a value of the wrong type (e.g. a boolean where a string is expected) is Invalid on the path of the value;
//   - bytes that are not a JSON object are Invalid on fldPath.
//
// Decode applies no defaults. When Decoded(errs, fldPath), into holds the document without the values errs name
// (of duplicates, the last value); otherwise its contents are unspecified.
func (d *Decoder) Decode(raw []byte, into runtime.Object, fldPath *field.Path) (gvk schema.GroupVersionKind, errs field.ErrorList) {
	allowed, fields, err := d.describe(into)
	if err != nil {
		return schema.GroupVersionKind{}, field.ErrorList{field.InternalError(fldPath, err)}
	}
	object, duplicates, err := parse(raw)
	if err != nil {
		return schema.GroupVersionKind{}, field.ErrorList{field.Invalid(fldPath, NotShown, "cannot be decoded: "+err.Error())}
	}

	gvk, errs = checkTypeMeta(object, allowed, fldPath)
	if !Decoded(errs, fldPath) {
		return gvk, errs
	}
	for _, jsonPath := range duplicates {
		errs = append(errs, duplicateError(jsonPath, fields, fldPath))
	}
	for _, name := range slices.Sorted(maps.Keys(object)) {
		path := fldPath.Child(name)
		t, known := fields[name]
		if !known {
			errs = append(errs, field.Forbidden(path, fmt.Sprintf("unknown field %q; supported fields: %s",
				name, quoteAll(slices.Sorted(maps.Keys(fields))))))
			delete(object, name)
			continue
		}
		var valueErrs field.ErrorList
		object[name], valueErrs = checkField(object[name], t, path)
		errs = append(errs, valueErrs...)
	}

	// What is left fits into, so decoding it cannot fail on content.
	data, err := json.Marshal(object)
	if err == nil {
		err = sigsjson.UnmarshalCaseSensitivePreserveInts(data, into)
	}
	if err != nil {
		errs = append(errs, field.InternalError(fldPath, fmt.Errorf("decoding the checked document into %T: %w", into, err)))
	}
	slices.SortStableFunc(errs, func(a, b *field.Error) int { return strings.Compare(a.Field, b.Field) })
	return gvk, errs
}

// Decoded tells whether into holds the document after Decode returned errs: false when the document could not be
// read or declares an apiVersion or kind of another API; true when every error concerns an individual field (an
// unknown, duplicate, missing or wrongly typed one), so that the rest of the document can still be validated and all
// problems reported at once.
func Decoded(errs field.ErrorList, fldPath *field.Path) bool {
	typeMeta := []string{fldPath.Child("apiVersion").String(), fldPath.Child("kind").String()}
	for _, err := range errs {
		switch {
		case err.Type == field.ErrorTypeInternal, err.Field == fldPath.String():
			return false
		case slices.Contains(typeMeta, err.Field) && (err.Type == field.ErrorTypeNotSupported || err.Type == field.ErrorTypeInvalid):
			return false
		}
	}
	return true
}

// Merge returns the decoding errors followed by the validation errors of fields that no decoding error names
// already: a value Decode left out must not be reported twice (e.g. as the empty value it decoded to).
func Merge(decodeErrs, validationErrs field.ErrorList) field.ErrorList {
	reported := make(map[string]bool, len(decodeErrs))
	for _, err := range decodeErrs {
		reported[err.Field] = true
	}
	out := decodeErrs
	for _, err := range validationErrs {
		if !reported[err.Field] {
			out = append(out, err)
		}
	}
	return out
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

// describe returns the apiVersions and kinds the scheme knows for the type of into, in registration order, and the
// Go types of its JSON fields by name.
func (d *Decoder) describe(into runtime.Object) (kinds, map[string]reflect.Type, error) {
	if into == nil {
		return kinds{}, nil, errors.New("decoding a providerConfig: no object to decode into")
	}
	gvks, _, err := d.scheme.ObjectKinds(into)
	if err != nil {
		return kinds{}, nil, fmt.Errorf("decoding a providerConfig into %T: %w", into, err)
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
	fields, err := fieldTypes(reflect.TypeOf(into).Elem())
	if err != nil {
		return kinds{}, nil, fmt.Errorf("decoding a providerConfig into %T: %w", into, err)
	}
	return k, fields, nil
}

// fieldTypes returns the Go types of the JSON fields of struct type t by name. The fields of an embedded struct
// without a JSON name (metav1.TypeMeta) count as t's own; fields without a JSON name are not part of the API. Only
// the shapes of the providerConfig APIs are supported: strings, lists of strings and maps of strings, or pointers
// to them.
func fieldTypes(t reflect.Type) (map[string]reflect.Type, error) {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			embedded, err := fieldTypes(f.Type)
			if err != nil {
				return nil, err
			}
			maps.Copy(out, embedded)
		case name == "" || name == "-":
		case describeType(f.Type) == "":
			return nil, fmt.Errorf("field %q has Go type %s, which is not a string, a list of strings or a map of strings", name, f.Type)
		default:
			out[name] = f.Type
		}
	}
	return out, nil
}

// describeType describes the JSON value a Go type of a providerConfig field decodes from, e.g. "a list", or returns
// "" for a type that is not a string, a list of strings or a map of strings (or a pointer to one).
func describeType(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "a list"
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String:
		return "an object"
	default:
		return ""
	}
}

// parse parses raw as a JSON object and returns it with the paths of the fields it has more than once, as
// sigs.k8s.io/json reports them (elements joined with ".", e.g. "configFlags.debug"). Of duplicate fields, the object
// holds the last value.
func parse(raw []byte) (map[string]any, []string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil, errors.New("the document is empty")
	}
	var value any
	strictErrs, err := sigsjson.UnmarshalStrict(raw, &value, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid JSON: %w", err)
	}
	object, ok := value.(map[string]any)
	switch {
	case value == nil:
		return nil, nil, errors.New("the document is empty")
	case !ok:
		return nil, nil, fmt.Errorf("the document must be an object, not %s", describeValue(value))
	}
	duplicates := make([]string, 0, len(strictErrs))
	for _, strictErr := range strictErrs {
		var fieldErr sigsjson.FieldError
		if !errors.As(strictErr, &fieldErr) {
			return nil, nil, fmt.Errorf("strict decoding: %w", strictErr)
		}
		duplicates = append(duplicates, fieldErr.FieldPath())
	}
	return object, duplicates, nil
}

// duplicateError returns the error about a duplicate field at jsonPath (see parse). Its first element is a field of
// the API; the rest, if any, is a key of that field's map, whatever dots it holds.
func duplicateError(jsonPath string, fields map[string]reflect.Type, fldPath *field.Path) *field.Error {
	name, key, nested := strings.Cut(jsonPath, ".")
	if t, known := fields[name]; nested && known && describeType(t) == "an object" {
		return field.Duplicate(fldPath.Child(name).Key(key), key)
	}
	// A field of the API, or something below an unknown field (which is reported, too).
	return field.Duplicate(fldPath.Child(jsonPath), jsonPath)
}

// checkField checks that value, a field of Go type t decoded generically from JSON (nil, bool, int64, float64,
// string, []any or map[string]any), has the type's shape (see describeType). It returns an Invalid error for each
// value that does not fit and the value with those replaced by null, so that the rest can still be decoded (a
// list keeps its indices). null is the absent value of a field, but not a string in a list or map.
func checkField(value any, t reflect.Type, path *field.Path) (any, field.ErrorList) {
	want := describeType(t)
	var errs field.ErrorList
	switch v := value.(type) {
	case nil:
		return nil, nil
	case []any:
		if want != "a list" {
			break
		}
		for i := range v {
			if _, ok := v[i].(string); !ok {
				errs = append(errs, typeError(v[i], "a string", path.Index(i)))
				v[i] = nil
			}
		}
		return v, errs
	case map[string]any:
		if want != "an object" {
			break
		}
		for _, key := range slices.Sorted(maps.Keys(v)) {
			if _, ok := v[key].(string); !ok {
				errs = append(errs, typeError(v[key], "a string", path.Key(key)))
				v[key] = nil
			}
		}
		return v, errs
	case string:
		if want == "a string" {
			return v, nil
		}
	}
	return nil, field.ErrorList{typeError(value, want, path)}
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

// typeError returns the error about value not being what is wanted, e.g. "a string": for a boolean or number where
// a string is wanted (an unquoted YAML value), it says to quote it.
func typeError(value any, want string, path *field.Path) *field.Error {
	detail := fmt.Sprintf("must be %s, not %s", want, describeValue(value))
	switch value.(type) {
	case bool, int64, float64:
		if want == "a string" {
			detail += fmt.Sprintf(": quote the value, e.g. %q", fmt.Sprint(value))
		}
	}
	return field.Invalid(path, value, detail)
}

// describeValue describes the kind of a generically decoded JSON value, e.g. "a boolean".
func describeValue(value any) string {
	switch value.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case []any:
		return "a list"
	default:
		return "an object"
	}
}

// quoteAll quotes values and joins them with commas, like field.NotSupported does.
func quoteAll(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return strings.Join(quoted, ", ")
}
