package decode

import (
	"encoding"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// jsonField is a field of a Go struct as encoding/json sees it.
type jsonField struct {
	// typ is the Go type of the field.
	typ reflect.Type
	// quoted tells whether the field has the ",string" option, so that its JSON value is a string.
	quoted bool
}

// jsonFields returns the fields of struct type t by JSON name, with the fields of embedded structs (e.g. an inline
// metav1.TypeMeta) promoted unless a shallower field has the same name. It returns nil for other types.
func jsonFields(t reflect.Type) map[string]jsonField {
	t = deref(t)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]jsonField{}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if ft := deref(f.Type); ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = jsonField{typ: f.Type, quoted: slices.Contains(strings.Split(opts, ","), "string")}
	}
	for _, et := range embedded {
		for name, f := range jsonFields(et) {
			if _, shadowed := fields[name]; !shadowed {
				fields[name] = f
			}
		}
	}
	return fields
}

// fieldNames returns the sorted JSON names of the fields of struct type t, or nil for other types.
func fieldNames(t reflect.Type) []string {
	return slices.Sorted(maps.Keys(jsonFields(t)))
}

// deref returns the type pointers of type t point to, or t itself. It returns nil for nil.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// elem returns the element type of list type t, or nil if t is not a list.
func elem(t reflect.Type) reflect.Type {
	t = deref(t)
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return t.Elem()
	}
	return nil
}

// decodesCustom tells whether values of type t decode themselves, so that the JSON they accept is unknown.
func decodesCustom(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]())
}

// decodesText tells whether values of type t decode themselves from JSON strings.
func decodesText(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// stepName returns the path and Go type of the member name of a JSON object that decodes into a value of Go type t
// at fldPath: a struct field is a child, a map entry a key. The type is nil when unknown.
func stepName(fldPath *field.Path, t reflect.Type, name string) (*field.Path, reflect.Type) {
	t = deref(t)
	switch {
	case t == nil:
		return fldPath.Child(name), nil
	case t.Kind() == reflect.Map:
		return fldPath.Key(name), t.Elem()
	case t.Kind() == reflect.Struct:
		if f, ok := jsonFields(t)[name]; ok {
			return fldPath.Child(name), f.typ
		}
	}
	return fldPath.Child(name), nil
}

// resolvePath turns the path of a field as encoding/json reports it ("a.b[0].c", relative to a value of Go type t)
// into a field path below fldPath, using t to tell struct fields from map keys. It also returns the Go type
// holding the last element (nil if unknown) and the name of that element.
//
// The JSON path is ambiguous when names contain "." or "[": struct fields are matched by their known names, an
// unknown field is always the last element, and so is a key of a map whose values hold nothing below them.
func resolvePath(jsonPath string, t reflect.Type, fldPath *field.Path) (path *field.Path, parent reflect.Type, name string) {
	path, rest := fldPath, jsonPath
	for rest != "" {
		parent = t
		if index, after, ok := cutIndex(rest); ok {
			path, t, name = path.Index(index), elem(t), strconv.Itoa(index)
			rest = strings.TrimPrefix(after, ".")
			continue
		}
		name, rest = cutName(rest, t)
		path, t = stepName(path, t, name)
		rest = strings.TrimPrefix(rest, ".")
	}
	return path, deref(parent), name
}

// cutIndex cuts a leading list index ("[3]") off a JSON path.
func cutIndex(jsonPath string) (index int, rest string, ok bool) {
	inner, ok := strings.CutPrefix(jsonPath, "[")
	if !ok {
		return 0, jsonPath, false
	}
	digits, rest, ok := strings.Cut(inner, "]")
	if !ok {
		return 0, jsonPath, false
	}
	index, err := strconv.Atoi(digits)
	if err != nil {
		return 0, jsonPath, false
	}
	return index, rest, true
}

// cutName cuts the leading name off a JSON path below a value of Go type t; see resolvePath.
func cutName(jsonPath string, t reflect.Type) (name, rest string) {
	t = deref(t)
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		best := ""
		for fieldName := range jsonFields(t) {
			if len(fieldName) > len(best) && (jsonPath == fieldName ||
				strings.HasPrefix(jsonPath, fieldName+".") || strings.HasPrefix(jsonPath, fieldName+"[")) {
				best = fieldName
			}
		}
		if best == "" {
			return jsonPath, "" // An unknown field: nothing is decoded below it.
		}
		return best, jsonPath[len(best):]
	case t != nil && t.Kind() == reflect.Map && isLeaf(t.Elem()):
		return jsonPath, ""
	}
	if i := strings.IndexAny(jsonPath, ".["); i > 0 {
		return jsonPath[:i], jsonPath[i:]
	}
	return jsonPath, ""
}

// isLeaf tells whether values of Go type t have no fields, keys or elements of their own in JSON.
func isLeaf(t reflect.Type) bool {
	t = deref(t)
	if decodesText(t) && !decodesCustom(t) {
		return true
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct, reflect.Array, reflect.Interface:
		return false
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8 // []byte is a base64 string.
	default:
		return true
	}
}
