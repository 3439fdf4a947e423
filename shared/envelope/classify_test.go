package envelope_test

import (
	"fmt"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

// documentedTypes is every documented event type with its category and kind,
// written out independently of the catalogue.
var documentedTypes = []struct {
	typ      string
	category string
	kind     envelope.Kind
}{
	{"appointment.created", "appointment", envelope.KindSuccess},
	{"appointment.updated", "appointment", envelope.KindSuccess},
	{"appointment.failed", "appointment", envelope.KindFailure},
	{"appointment.update_failed", "appointment", envelope.KindFailure},
	{"patient.created", "patient", envelope.KindSuccess},
	{"patient.failed", "patient", envelope.KindFailure},
	{"patient.insurance.added", "patient", envelope.KindSuccess},
	{"patient.insurance.failed", "patient", envelope.KindFailure},
	{"task.created", "task", envelope.KindSuccess},
	{"task.failed", "task", envelope.KindFailure},
	{"note.uploaded", "note", envelope.KindSuccess},
	{"note.failed", "note", envelope.KindFailure},
	{"document.uploaded", "document", envelope.KindSuccess},
	{"document.failed", "document", envelope.KindFailure},
	{"document.upload_failed", "document", envelope.KindFailure},
	{"message.created", "message", envelope.KindSuccess},
	{"message.failed", "message", envelope.KindFailure},
	{"telephone_encounter.created", "telephone_encounter", envelope.KindSuccess},
	{"telephone_encounter.created_partial", "telephone_encounter", envelope.KindPartial},
	{"telephone_encounter.failed", "telephone_encounter", envelope.KindFailure},
	{"telephone_encounter_action.created", "telephone_encounter", envelope.KindSuccess},
	{"telephone_encounter_action.failed", "telephone_encounter", envelope.KindFailure},
	{"test.event", "test", envelope.KindTest},
}

func TestClassifyDocumentedTypes(t *testing.T) {
	for _, tt := range documentedTypes {
		t.Run(tt.typ, func(t *testing.T) {
			category, kind := envelope.Classify(tt.typ)
			if category != tt.category {
				t.Errorf("category = %q, want %q", category, tt.category)
			}
			if kind != tt.kind {
				t.Errorf("kind = %q, want %q", kind, tt.kind)
			}
		})
	}
}

func TestClassifyUnknownTypes(t *testing.T) {
	tests := []struct {
		typ      string
		category string
		kind     envelope.Kind
	}{
		{"foo.bar_failed", "", envelope.KindFailure},
		{"foo.failed", "", envelope.KindFailure},
		{"appointment.cancelled", "appointment", envelope.KindUnknown},
		{"appointment.status_updated", "appointment", envelope.KindUnknown},
		{"appointment.cancel_failed", "appointment", envelope.KindFailure},
		{"x.created_partial", "", envelope.KindPartial},
		{"note.upload_partial", "note", envelope.KindPartial},
		{"patient.updated", "patient", envelope.KindUnknown},
		{"patient.insurance.updated", "patient", envelope.KindUnknown},
		{"patient.insurance.verify_failed", "patient", envelope.KindFailure},
		{"patient.live_fetch_completed", "patient", envelope.KindUnknown},
		{"note.created", "note", envelope.KindUnknown},
		{"telephone_encounter_action.deleted", "telephone_encounter", envelope.KindUnknown},
		{"telephone_encounter_action.update_failed", "telephone_encounter", envelope.KindFailure},
		{"Appointment.FAILED", "", envelope.KindFailure},
		{"test.failed", "", envelope.KindFailure},
		{"test.other", "", envelope.KindUnknown},
		{"appointment", "appointment", envelope.KindUnknown},
		{"failed", "", envelope.KindUnknown},
		{"created_partial", "", envelope.KindUnknown},
		{"x.partial", "", envelope.KindUnknown},
		{"x.failed.later", "", envelope.KindUnknown},
		{".failed", "", envelope.KindFailure},
		{"", "", envelope.KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			category, kind := envelope.Classify(tt.typ)
			if category != tt.category {
				t.Errorf("category = %q, want %q", category, tt.category)
			}
			if kind != tt.kind {
				t.Errorf("kind = %q, want %q", kind, tt.kind)
			}
		})
	}
}

func ExampleClassify() {
	for _, typ := range []string{"patient.insurance.failed", "telephone_encounter_action.created", "billing.sync_failed"} {
		category, kind := envelope.Classify(typ)
		fmt.Printf("%s: category %q, kind %s\n", typ, category, kind)
	}
	// Output:
	// patient.insurance.failed: category "patient", kind failure
	// telephone_encounter_action.created: category "telephone_encounter", kind success
	// billing.sync_failed: category "", kind failure
}
