package decode

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Decoded tells whether into holds the document after Decode returned errs: true when every error concerns an
// individual field (an unknown, duplicate or wrongly typed one, which Decode leaves out), so the rest of the
// document can still be validated and all problems reported at once. It is false when the document could not be
// read or its apiVersion or kind is wrong.
func Decoded(errs field.ErrorList, fldPath *field.Path) bool {
	fatal := map[string]bool{
		fldPath.String():                     true,
		fldPath.Child("apiVersion").String(): true,
		fldPath.Child("kind").String():       true,
	}
	for _, err := range errs {
		if fatal[err.Field] || err.Type == field.ErrorTypeInternal {
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
