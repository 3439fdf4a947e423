package envelope

import "strings"

// categories are the event categories that have a topic of their own.
var categories = map[string]bool{
	"appointment":         true,
	"patient":             true,
	"task":                true,
	"note":                true,
	"document":            true,
	"message":             true,
	"telephone_encounter": true,
}

// CategoryTest is the category of test.event, which is stored but never alerts.
const CategoryTest = "test"

// Classify returns the category and kind of an event type, known or not.
// Category "" means the type has no known category (its alerts go to "other").
//
// The category is the part of the type before the first dot, with
// telephone_encounter_action folded into telephone_encounter. Types under
// patient.insurance have category patient by the same rule. test.event has
// category CategoryTest. Any other prefix outside the seven categories gives
// "".
//
// The kind of a catalogue type is its catalogue kind. For any other type it
// is KindFailure when the type ends in ".failed" or "_failed", KindPartial
// when the part after its last dot ends in "_partial" (such as
// ".created_partial"), and KindUnknown otherwise. The suffixes are matched
// case-insensitively, so that a failure is never missed for its spelling.
func Classify(eventType string) (category string, kind Kind) {
	return classifyCategory(eventType), classifyKind(eventType)
}

func classifyCategory(eventType string) string {
	if eventType == "test.event" {
		return CategoryTest
	}
	prefix, _, _ := strings.Cut(eventType, ".")
	if prefix == "telephone_encounter_action" {
		prefix = "telephone_encounter"
	}
	if !categories[prefix] {
		return ""
	}
	return prefix
}

func classifyKind(eventType string) Kind {
	if spec, ok := lookup(eventType); ok {
		return spec.Kind
	}

	lower := strings.ToLower(eventType)
	if strings.HasSuffix(lower, ".failed") || strings.HasSuffix(lower, "_failed") {
		return KindFailure
	}
	dot := strings.LastIndexByte(lower, '.')
	if dot >= 0 && strings.HasSuffix(lower[dot+1:], "_partial") {
		return KindPartial
	}
	return KindUnknown
}
