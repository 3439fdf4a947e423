package alert_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/internal/alerttest"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

// Fake PHI used throughout; none of it may appear in a masked alert.
var fakePHI = []string{
	"00012345", "7733921", "99001122", "Zelda", "Quixote", "Farnsworth",
	"1984", "03/09", "zelda.q", "example.org", "867-5309", "8675309", "M55501",
}

// phiEvent returns a patient.failed event whose data and free text carry
// fakePHI in many shapes.
func phiEvent() *envelope.Envelope {
	return alerttest.Event("evt_phi", "patient.failed", "patient", envelope.KindFailure, object{
		{"patient_id", "pat_9"},
		{"mrn", "00012345"},
		{"patient_mrn", "A-7733921"},
		{"existing_mrn", 99001122},
		{"first_name", "Zelda"},
		{"last_name", "Quixote-Farnsworth"},
		{"date_of_birth", "1984-03-09"},
		{"email", "zelda.q@example.org"},
		{"phone", "(555) 867-5309"},
		{"provider_name", "Dr. Rivera"},
		{"failure_reason", "Duplicate of QUIXOTE-FARNSWORTH, ZELDA (MRN: 99001122); call 555.867.5309."},
		{"error", object{{"detail", "patient A-7733921 exists"}, {"dob", "03/09/1984"}}},
		{"reason", "Patient: Zelda Quixote-Farnsworth asked to be called"},
		{"reasons", alerttest.Reasons(
			"DUPLICATE_PATIENT", "Patient Zelda Quixote-Farnsworth (DOB 1984-03-09) already exists with MRN 99001122.",
			"INVALID_DATE_OF_BIRTH", "Date of birth 03/09/1984 is invalid.",
			"REQUIRED_FIELD_MISSING", "No phone: tried +1 555 867 5309 and zelda.q@example.org.",
			"TERMINAL_FAILURE", "Record mrn#M55501 is locked.",
		)},
		{"insurance", object{
			{"audit_trail", []any{object{{"field", "member_id"}, {"before", "M55501"}, {"after", "M55502"}}}},
		}},
	})
}

// alertParts returns every text of an alert that a subscriber can see.
func alertParts(a *alert.Alert) map[string]string {
	parts := map[string]string{
		"subject":  a.Subject,
		"document": string(a.Document),
		"text":     a.Text,
		"message":  alert.Message(a),
	}
	for _, at := range a.Attributes {
		parts["attribute "+at.Name] = at.Value()
	}
	return parts
}

func TestMaskingHidesPHIEverywhere(t *testing.T) {
	a := alert.Build(phiEvent(), alert.Options{})
	for name, text := range alertParts(a) {
		lower := strings.ToLower(text)
		for _, phi := range fakePHI {
			if strings.Contains(lower, strings.ToLower(phi)) {
				t.Errorf("%s contains PHI %q:\n%s", name, phi, text)
			}
		}
	}
	for _, want := range []string{"pat_9", "Dr. Rivera", "DUPLICATE_PATIENT", "already exists", "is locked", alert.Mask} {
		if !strings.Contains(string(a.Document), want) {
			t.Errorf("document lacks %q:\n%s", want, a.Document)
		}
		if !strings.Contains(a.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, a.Text)
		}
	}
}

func TestIncludePHIKeepsBodyOnly(t *testing.T) {
	a := alert.Build(phiEvent(), alert.Options{IncludePHI: true})
	for _, want := range []string{"00012345", "Zelda Quixote-Farnsworth", "555.867.5309", "zelda.q@example.org", "03/09/1984"} {
		if !strings.Contains(string(a.Document), want) {
			t.Errorf("document lacks %q with IncludePHI:\n%s", want, a.Document)
		}
		if !strings.Contains(a.Text, want) {
			t.Errorf("text lacks %q with IncludePHI:\n%s", want, a.Text)
		}
	}
	if strings.Contains(a.Text, "masked") {
		t.Errorf("text says PHI is masked with IncludePHI:\n%s", a.Text)
	}
	var doc map[string]any
	if err := json.Unmarshal(a.Document, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["phi_masked"] != false {
		t.Errorf("document phi_masked = %v, want false", doc["phi_masked"])
	}
	limited := map[string]string{"subject": a.Subject}
	for _, at := range a.Attributes {
		limited["attribute "+at.Name] = at.Value()
	}
	for name, text := range limited {
		for _, phi := range fakePHI {
			if strings.Contains(strings.ToLower(text), strings.ToLower(phi)) {
				t.Errorf("%s contains PHI %q with IncludePHI: %s", name, phi, text)
			}
		}
	}
}

func TestCodesMaskedEvenWithIncludePHI(t *testing.T) {
	env := alerttest.Event("evt_1", "patient.failed", "patient", envelope.KindFailure, object{
		{"mrn", "00012345"},
		{"reasons", alerttest.Reasons("NOT_FOUND_00012345", "x", "zelda.q@example.org", "y")},
	})
	a := alert.Build(env, alert.Options{IncludePHI: true})
	codes := attributeMap(t, a)["error_codes"].Values
	want := []string{"NOT_FOUND_***", "***"}
	if strings.Join(codes, "|") != strings.Join(want, "|") {
		t.Errorf("error_codes = %q, want %q", codes, want)
	}
	if want := "Cobalt patient.failed: clinic_1: NOT_FOUND_***"; a.Subject != want {
		t.Errorf("Subject = %q, want %q", a.Subject, want)
	}
}

func TestMaskFreeText(t *testing.T) {
	data := object{
		{"mrn", "00012345"},
		{"patient_name", "Jane Q. Doe"},
		{"phone", "555-010-4477"},
		{"date_of_birth", "1975-12-01"},
		{"patient", object{{"name", object{{"given", "Ørjan"}, {"family", "Lie"}}}}},
	}
	tests := []struct {
		name, description, want string
	}{
		{"no PHI", "Provider Dr. Smith is unavailable at 10:00.", "Provider Dr. Smith is unavailable at 10:00."},
		{"MRN value", "MRN 00012345 not found", "MRN *** not found"},
		{"MRN value inside an id", "lookup id apt-00012345 failed", "lookup id apt-*** failed"},
		{"MRN label without value from data", "Patient with MRN: 778899 was not found", "Patient with MRN: *** was not found"},
		{"MRN label with hash", "mrn#A1B2C3 is locked", "mrn#*** is locked"},
		{"MRN label and words", "MRN not found", "MRN not found"},
		{"medical record number", "medical record number 5566 missing", "medical record number *** missing"},
		{"full name", "Patient Jane Q. Doe not found", "Patient *** not found"},
		{"name reordered", "Found DOE, JANE instead", "Found ***, *** instead"},
		{"short name part", "Q is a letter", "Q is a letter"},
		{"nested name object", "Ørjan Lie called", "*** *** called"},
		{"patient label", "Patient: Mary Ann Smith not matched", "Patient: *** not matched"},
		{"name after patient", "Patient Frank Fictional born 1999 already exists", "Patient *** born 1999 already exists"},
		{"name after patient named", "a patient named Ann-Marie O'Neil exists", "a patient named *** exists"},
		{"name before MRN", "not in the formulary for Testy McTestface (MRN-TEST-0011)", "not in the formulary for *** (MRN-***)"},
		{"upper-case name before MRN", "Duplicate of DOE, JOHN [MRN 42]", "Duplicate of *** [MRN ***]"},
		{"name before DOB", "Chart of Brunhilde, DOB unknown", "Chart of ***, DOB unknown"},
		{"status words after patient", "Patient Not Found in the EHR", "Patient Not Found in the EHR"},
		{"status words before MRN", "Patient With MRN not on file", "Patient With MRN not on file"},
		{"upper-case status", "PATIENT NOT FOUND", "PATIENT NOT FOUND"},
		{"code with patient", "PATIENT_NOT_FOUND for Record MRN 12", "PATIENT_NOT_FOUND for Record MRN ***"},
		{"lower-case words before MRN", "already exists with MRN 7", "already exists with MRN ***"},
		{"e-mail", "send to mary.smith+x@mail.example.com now", "send to *** now"},
		{"phone dashes", "call 555-010-4477", "call ***"},
		{"phone other format", "call (555) 010 4477 or +1.555.010.4477", "call *** or ***"},
		{"unknown phone", "call 212-555-0198", "call ***"},
		{"international phone", "call +44 20 7946 0958", "call ***"},
		{"long digit run", "order 1234567890123456 failed", "order 1234567890123456 failed"},
		{"ISO date of birth", "DOB 1975-12-01 mismatch", "DOB *** mismatch"},
		{"US date", "born 12/01/1975", "born ***"},
		{"month name date", "born Dec 1, 1975 and 1 December 1975", "born *** and ***"},
		{"timestamp", "slot 2025-10-22T09:00 is taken", "slot 2025-10-22T09:00 is taken"},
		{"date and time", "slot 2025-10-22 09:00 is taken", "slot 2025-10-22 09:00 is taken"},
		{"version number", "build 1.2.3 failed", "build 1.2.3 failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := append(object{{"reasons", alerttest.Reasons("CODE", tt.description)}}, data...)
			env := alerttest.Event("evt_1", "patient.failed", "patient", envelope.KindFailure, d)
			var doc struct {
				Reasons []struct{ Description string } `json:"reasons"`
			}
			if err := json.Unmarshal(alert.Build(env, alert.Options{}).Document, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Reasons) != 1 {
				t.Fatalf("document has %d reasons, want 1", len(doc.Reasons))
			}
			if got := doc.Reasons[0].Description; got != tt.want {
				t.Errorf("description = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaskingByCategory(t *testing.T) {
	const mrn, name = "00456789", "Brunhilde"
	tests := []struct {
		eventType, category string
		kind                envelope.Kind
		data                object
	}{
		{"appointment.update_failed", "appointment", envelope.KindFailure, object{
			{"appointment_id", "a1"}, {"mrn", mrn},
			{"reasons", alerttest.Reasons("SECTION_LOCKED", "Chart of Brunhilde (MRN 00456789) is locked")}}},
		{"patient.insurance.failed", "patient", envelope.KindFailure, object{
			{"patient_insurance_id", "pi1"}, {"patient_mrn", mrn}, {"error", "No policy for patient 00456789 (Brunhilde)"},
			{"patient", object{{"first_name", name}}}}},
		{"task.failed", "task", envelope.KindFailure, object{
			{"task_id", "t1"}, {"patient_mrn", mrn}, {"patient_name", name},
			{"failure_reason", "Brunhilde 00456789 not found"}}},
		{"note.failed", "note", envelope.KindFailure, object{
			{"appointment_id", "a1"}, {"mrn", mrn}, {"timezone", "America/Chicago"},
			{"reasons", alerttest.Reasons("PATIENT_NOT_FOUND", "Patient 00456789 not found")}}},
		{"document.upload_failed", "document", envelope.KindFailure, object{
			{"document_id", "d1"}, {"patient_mrn", mrn}, {"folder_name", "Labs for Brunhilde"},
			{"failure_reason", "Upload for MRN 00456789 failed"}}},
		{"message.failed", "message", envelope.KindFailure, object{
			{"message_id", "m1"}, {"provider_id", "p1"}, {"patient_first_name", name},
			{"failure_reason", "Message about Brunhilde too long"}}},
		{"telephone_encounter.created_partial", "telephone_encounter", envelope.KindPartial, object{
			{"telephone_encounter_id", "te1"}, {"emr_encounter_id", "e1"}, {"patient_mrn", mrn},
			{"reason", "Brunhilde called about refill"}, {"refill_medication_name", "Metformin"},
			{"refill_failure_reason", "No refill for 00456789"}}},
		{"telephone_encounter_action.failed", "telephone_encounter", envelope.KindFailure, object{
			{"action_id", "ac1"}, {"emr_appointment_id", nil}, {"patient_mrn", mrn},
			{"failure_reason", "Action for Brunhilde failed"}}},
		{"invoice.failed", "", envelope.KindFailure, object{
			{"invoice_id", "i1"}, {"mrn", mrn}, {"error", "Brunhilde owes nothing"}}},
	}
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			// Every event carries the name somewhere in data besides the
			// field each case puts it in.
			data := append(tt.data, [2]any{"contact", object{{"last_name", name}}})
			env := alerttest.Event("evt_1", tt.eventType, tt.category, tt.kind, data)
			a := alert.Build(env, alert.Options{})
			if a == nil {
				t.Fatal("Build returned nil")
			}
			for part, text := range alertParts(a) {
				if strings.Contains(text, mrn) || strings.Contains(text, name) {
					t.Errorf("%s contains the MRN or name:\n%s", part, text)
				}
			}
			if !strings.Contains(string(a.Document), alert.Mask) {
				t.Errorf("document masks nothing:\n%s", a.Document)
			}
		})
	}
}

func TestMaskingAtCutPoint(t *testing.T) {
	// The name straddles the point where the description is cut, so a cut
	// before masking would leave "Quixo" visible.
	for pad := 2030; pad < 2050; pad++ {
		env := alerttest.Event("evt_1", "patient.failed", "patient", envelope.KindFailure, object{
			{"last_name", "Quixote"},
			{"reasons", alerttest.Reasons("CODE", strings.Repeat("x", pad)+" Quixote "+strings.Repeat("y", 100))},
		})
		a := alert.Build(env, alert.Options{})
		if strings.Contains(string(a.Document), "Quix") || strings.Contains(a.Text, "Quix") {
			t.Fatalf("pad %d: part of the name is visible", pad)
		}
	}
}
