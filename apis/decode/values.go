package decode

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkValue checks that value, decoded generically from JSON (nil, bool, int64, float64, string, []any or
// map[string]any), fits Go type t like encoding/json would decode it, and returns an Invalid error at fldPath for
// each value that does not. It replaces those values by nil (in place within objects and lists) and returns the
// possibly replaced value, so that the rest can still be decoded. Values of types that decode themselves from
// arbitrary JSON are not checked.
func checkValue(value any, t reflect.Type, fldPath *field.Path) (any, field.ErrorList) {
	if value == nil && t != nil && t.Kind() != reflect.Pointer && isScalar(t) {
		// encoding/json would silently decode null as the zero value, e.g. "" for a flag value.
		return nil, field.ErrorList{typeError(value, t, fldPath)}
	}
	t = deref(t)
	if value == nil || t == nil || decodesCustom(t) {
		return value, nil
	}

	fits := true
	var errs field.ErrorList
	switch {
	case decodesText(t):
		_, fits = value.(string)
	case t.Kind() == reflect.Interface:
	case t.Kind() == reflect.String:
		_, fits = value.(string)
	case t.Kind() == reflect.Bool:
		_, fits = value.(bool)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uintptr:
		_, fits = value.(int64)
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		switch value.(type) {
		case int64, float64:
		default:
			fits = false
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		_, fits = value.(string)
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		var list []any
		if list, fits = value.([]any); fits {
			for i := range list {
				var elemErrs field.ErrorList
				list[i], elemErrs = checkValue(list[i], t.Elem(), fldPath.Index(i))
				errs = append(errs, elemErrs...)
			}
		}
	case t.Kind() == reflect.Map:
		var object map[string]any
		if object, fits = value.(map[string]any); fits {
			for _, key := range slices.Sorted(maps.Keys(object)) {
				var entryErrs field.ErrorList
				object[key], entryErrs = checkValue(object[key], t.Elem(), fldPath.Key(key))
				errs = append(errs, entryErrs...)
			}
		}
	case t.Kind() == reflect.Struct:
		var object map[string]any
		if object, fits = value.(map[string]any); fits {
			fields := jsonFields(t)
			for _, key := range slices.Sorted(maps.Keys(object)) {
				f, known := fields[key]
				if !known || f.quoted {
					continue // Unknown fields are reported by strict decoding, quoted ones by decoding.
				}
				var fieldErrs field.ErrorList
				object[key], fieldErrs = checkValue(object[key], f.typ, fldPath.Child(key))
				errs = append(errs, fieldErrs...)
			}
		}
	}
	if !fits {
		return nil, field.ErrorList{typeError(value, t, fldPath)}
	}
	return value, errs
}

// typeError returns the error about value not fitting Go type t.
func typeError(value any, t reflect.Type, fldPath *field.Path) *field.Error {
	want := describeType(t)
	detail := fmt.Sprintf("must be %s, not %s", want, describeValue(value))
	switch value.(type) {
	case bool, int64, float64:
		if want == "a string" {
			detail += fmt.Sprintf(": quote the value, e.g. %q", fmt.Sprint(value))
		}
	}
	return field.Invalid(fldPath, value, detail)
}

// describeType describes the JSON values Go type t decodes from, e.g. "a string".
func describeType(t reflect.Type) string {
	t = deref(t)
	switch {
	case decodesText(t):
		return "a string"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uintptr:
		return "an integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return "a base64-encoded string"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "a list"
	case t.Kind() == reflect.Map || t.Kind() == reflect.Struct:
		return "an object"
	default:
		return "a " + t.String()
	}
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
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("a %T", value)
	}
}

// isScalar tells whether t (not a pointer) decodes from a JSON string, boolean or number, for which null is not a
// value but a mistake.
func isScalar(t reflect.Type) bool {
	if decodesCustom(t) {
		return false
	}
	switch k := t.Kind(); {
	case k == reflect.String, k == reflect.Bool, k >= reflect.Int && k <= reflect.Float64:
		return true
	default:
		return false
	}
}
