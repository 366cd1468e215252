package decode

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
)

const (
	unknownFieldPrefix   = "unknown field "
	duplicateFieldPrefix = "duplicate field "
)

// fieldPather is implemented by the strict errors of sigs.k8s.io/json. FieldPath returns the path of the offending
// field, its elements joined with "." and list indices in brackets, e.g. "spec.items[0].name".
type fieldPather interface {
	FieldPath() string
}

// strictFieldPath returns the path of a strict decoding error of sigs.k8s.io/json, e.g. `unknown field "a.b"`.
func strictFieldPath(err error) string {
	var pather fieldPather
	if errors.As(err, &pather) {
		return pather.FieldPath()
	}
	msg := err.Error()
	for _, prefix := range []string{unknownFieldPrefix, duplicateFieldPrefix} {
		if quoted, ok := strings.CutPrefix(msg, prefix); ok {
			if path, err := strconv.Unquote(quoted); err == nil {
				return path
			}
		}
	}
	return ""
}

// strictError turns a strict decoding error of sigs.k8s.io/json about a value of Go type t at fldPath into a field
// error on the path of the offending field. Errors it cannot place are reported on fldPath.
func strictError(err error, t reflect.Type, fldPath *field.Path) *field.Error {
	msg := err.Error()
	jsonPath := strictFieldPath(err)
	if jsonPath == "" {
		return field.Invalid(fldPath, NotShown, "cannot be decoded: "+msg)
	}
	path, parent, name := resolvePath(jsonPath, t, fldPath)
	switch {
	case strings.HasPrefix(msg, duplicateFieldPrefix):
		return field.Duplicate(path, name)
	case strings.HasPrefix(msg, unknownFieldPrefix):
		detail := fmt.Sprintf("unknown field %q", jsonPath)
		if names := fieldNames(parent); len(names) > 0 {
			detail += "; supported fields: " + quoteAll(names)
		}
		return field.Forbidden(path, detail)
	default:
		return field.Invalid(path, NotShown, "cannot be decoded: "+msg)
	}
}

// decodeError turns an error of decoding a value of Go type t at fldPath that is not a strict decoding error into
// a field error. checkValue finds values of the wrong type beforehand, so this is a fallback for what it misses,
// e.g. numbers that overflow their Go type.
func decodeError(err error, t reflect.Type, fldPath *field.Path) *field.Error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Type != nil {
		// Field names the struct field ("a.b"), not the map key or list index below it.
		path, _, _ := resolvePath(typeErr.Field, t, fldPath)
		return field.Invalid(path, NotShown, fmt.Sprintf("cannot be decoded: a JSON %s does not fit Go type %s", typeErr.Value, typeErr.Type))
	}
	return field.Invalid(fldPath, NotShown, "cannot be decoded: "+err.Error())
}

// duplicates returns a Duplicate error for every field given more than once in the document, which decodes into a
// value of Go type t at fldPath.
func (d *document) duplicates(t reflect.Type, fldPath *field.Path) field.ErrorList {
	if d.yaml {
		// Converting YAML to JSON keeps only the last of duplicate keys, so they are looked for in the YAML itself.
		var root yaml.Node
		if err := yaml.Unmarshal(d.raw, &root); err != nil {
			return nil // The document was converted to JSON fine; this YAML library is merely stricter.
		}
		return yamlDuplicates(&root, t, fldPath)
	}

	var ignored any
	strictErrs, err := sigsjson.UnmarshalStrict(d.json, &ignored, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return nil // The document was parsed fine before; this cannot happen.
	}
	var errs field.ErrorList
	for _, strictErr := range strictErrs {
		errs = append(errs, strictError(strictErr, t, fldPath))
	}
	return errs
}

// yamlDuplicates returns a Duplicate error for every key repeated in a mapping of the YAML node, which decodes into a
// value of Go type t at fldPath. Keys merged in with "<<" may be overridden and are not duplicates.
func yamlDuplicates(node *yaml.Node, t reflect.Type, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch node.Kind {
	case yaml.DocumentNode:
		for _, child := range node.Content {
			errs = append(errs, yamlDuplicates(child, t, fldPath)...)
		}
	case yaml.MappingNode:
		seen := map[string]bool{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			key, value := node.Content[i], node.Content[i+1]
			if key.Kind != yaml.ScalarNode || key.Tag == "!!merge" {
				continue
			}
			path, childType := stepName(fldPath, t, key.Value)
			if seen[key.Value] {
				errs = append(errs, field.Duplicate(path, key.Value))
			}
			seen[key.Value] = true
			errs = append(errs, yamlDuplicates(value, childType, path)...)
		}
	case yaml.SequenceNode:
		elemType := elem(t)
		for i, child := range node.Content {
			errs = append(errs, yamlDuplicates(child, elemType, fldPath.Index(i))...)
		}
	}
	return errs
}
