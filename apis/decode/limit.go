package decode

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// MaxShown is how many errors a refusal lists at most.
	MaxShown = 20
	// MaxLength is how many bytes of a field path, bad value or detail a refusal shows at most.
	MaxLength = 256
)

// Limit returns what a refusal shows of errs: at most MaxShown of them, in order, each with its field path, bad
// value and detail cut to MaxLength bytes (saying how much was cut), and how many errors it left out. So a refusal,
// and the audit log that records it, stays small whatever the size of the document it judged: a providerConfig with
// thousands of unknown flags, or a flag name of a megabyte, is not repeated in full.
func Limit(errs field.ErrorList) (shown field.ErrorList, omitted int) {
	if len(errs) > MaxShown {
		errs, omitted = errs[:MaxShown], len(errs)-MaxShown
	}
	for _, err := range errs {
		short := *err
		short.Field = shorten(err.Field)
		short.Detail = shorten(err.Detail)
		short.BadValue = shortenValue(err.BadValue)
		shown = append(shown, &short)
	}
	return shown, omitted
}

// OmittedNote says that omitted more problems are not shown, e.g. in a refusal's message.
func OmittedNote(omitted int) string {
	return fmt.Sprintf("%d more problems not shown: fix the ones above and try again to see them", omitted)
}

// LimitedError returns errs as one error with what Limit shows of them, or nil for no errors.
func LimitedError(errs field.ErrorList) error {
	shown, omitted := Limit(errs)
	if omitted > 0 {
		return fmt.Errorf("%w; %s", shown.ToAggregate(), OmittedNote(omitted))
	}
	return shown.ToAggregate()
}

// shorten cuts s to MaxLength bytes (at a character boundary) and says how many bytes were cut.
func shorten(s string) string {
	if len(s) <= MaxLength {
		return s
	}
	n := MaxLength
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s... (%d more bytes not shown)", s[:n], len(s)-n)
}

// shortenValue returns a bad value that would be shown longer than MaxLength as its shortened JSON rendering (a
// string as itself), and any other value unchanged.
func shortenValue(value any) any {
	switch v := value.(type) {
	case nil, bool, int64, int32, int, float64, float32:
		return value
	case string:
		return shorten(v)
	}
	rendered, err := json.Marshal(value)
	if err != nil || len(rendered) <= MaxLength {
		return value
	}
	return shorten(string(rendered))
}
