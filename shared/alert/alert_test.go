package alert_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/internal/alerttest"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

type object = alerttest.Object

// appointmentFailed returns a typical appointment.failed event.
func appointmentFailed() *envelope.Envelope {
	return alerttest.Event("evt_1", "appointment.failed", "appointment", envelope.KindFailure, object{
		{"appointment_id", "apt_778"},
		{"mrn", "00012345"},
		{"failure_reason", "Patient with MRN 00012345 was not found."},
		{"reasons", alerttest.Reasons("PATIENT_NOT_FOUND", "Patient with MRN 00012345 was not found.")},
	})
}

// decodeDocument decodes an alert's JSON document.
func decodeDocument(t *testing.T, a *alert.Alert) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(a.Document, &doc); err != nil {
		t.Fatalf("document is not JSON: %v\n%s", err, a.Document)
	}
	return doc
}

// attributeMap returns the alert's attributes by name.
func attributeMap(t *testing.T, a *alert.Alert) map[string]alert.Attribute {
	t.Helper()
	m := make(map[string]alert.Attribute)
	for _, at := range a.Attributes {
		if _, dup := m[at.Name]; dup {
			t.Errorf("attribute %s appears twice", at.Name)
		}
		m[at.Name] = at
	}
	return m
}

func TestBuildByKind(t *testing.T) {
	tests := []struct {
		name      string
		kind      envelope.Kind
		wantAlert bool
	}{
		{"success", envelope.KindSuccess, false},
		{"test", envelope.KindTest, false},
		{"unknown", envelope.KindUnknown, false},
		{"empty kind", "", false},
		{"failure", envelope.KindFailure, true},
		{"partial", envelope.KindPartial, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := appointmentFailed()
			env.Kind = tt.kind
			got := alert.Build(env, alert.Options{})
			if (got != nil) != tt.wantAlert {
				t.Fatalf("Build for kind %q returned %v, want alert: %v", tt.kind, got, tt.wantAlert)
			}
		})
	}
}

func TestBuildNilEnvelope(t *testing.T) {
	if got := alert.Build(nil, alert.Options{}); got != nil {
		t.Errorf("Build(nil) = %+v, want nil", got)
	}
}

func TestBuildTopicByCategory(t *testing.T) {
	tests := []struct {
		name, eventType, category, wantTopic string
	}{
		{"appointment", "appointment.failed", "appointment", "appointment"},
		{"patient", "patient.failed", "patient", "patient"},
		{"patient insurance", "patient.insurance.failed", "patient", "patient"},
		{"task", "task.failed", "task", "task"},
		{"note", "note.failed", "note", "note"},
		{"document", "document.upload_failed", "document", "document"},
		{"message", "message.failed", "message", "message"},
		{"telephone encounter", "telephone_encounter.failed", "telephone_encounter", "telephone_encounter"},
		{"telephone encounter action", "telephone_encounter_action.failed", "telephone_encounter", "telephone_encounter"},
		{"no category", "invoice.failed", "", alert.TopicOther},
		{"unlisted category", "invoice.failed", "invoice", alert.TopicOther},
		{"category differs in case", "Task.failed", "Task", alert.TopicOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := alerttest.Event("evt_1", tt.eventType, tt.category, envelope.KindFailure, object{})
			a := alert.Build(env, alert.Options{})
			if a == nil {
				t.Fatal("Build returned nil for a failure")
			}
			if a.Topic != tt.wantTopic {
				t.Errorf("Topic = %q, want %q", a.Topic, tt.wantTopic)
			}
			doc := decodeDocument(t, a)
			if doc["topic"] != tt.wantTopic {
				t.Errorf("document topic = %v, want %q", doc["topic"], tt.wantTopic)
			}
			wantCategory := tt.category
			if wantCategory == "" {
				wantCategory = alert.TopicOther
			}
			if got := attributeMap(t, a)["category"].Value(); got != wantCategory {
				t.Errorf("category attribute = %q, want %q", got, wantCategory)
			}
		})
	}
}

func TestTopicsListsEveryCategoryAndOther(t *testing.T) {
	want := append(append([]string(nil), alert.Categories...), alert.TopicOther)
	if got := alert.Topics(); !reflect.DeepEqual(got, want) {
		t.Errorf("Topics() = %v, want %v", got, want)
	}
	if len(alert.Topics()) != 8 {
		t.Errorf("Topics() has %d topics, want 8", len(alert.Topics()))
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name      string
		eventType string
		clinic    string
		codes     []string
		want      string // "" to check only the bounds
	}{
		{"type clinic and code", "appointment.failed", "clinic_1", []string{"PATIENT_NOT_FOUND", "TERMINAL_FAILURE"},
			"Cobalt appointment.failed: clinic_1: PATIENT_NOT_FOUND"},
		{"no code", "telephone_encounter.failed", "clinic_1", nil,
			"Cobalt telephone_encounter.failed: clinic_1"},
		{"no clinic", "task.failed", "", []string{"ASSIGNEE_NOT_FOUND"},
			"Cobalt task.failed: ASSIGNEE_NOT_FOUND"},
		{"no type", "", "", nil, "Cobalt event"},
		{"blank type", " \t\n ", "", nil, "Cobalt event"},
		{"line breaks", "appointment.failed\r\nBcc: x@example.com", "clinic\n1", []string{"A\rB"},
			"Cobalt appointment.failed Bcc: x@example.com: clinic 1: A B"},
		{"control characters", "a\x00b\x1bc\x7f", "d\u0085e", []string{"\u2028f"}, "Cobalt a b c: d e: f"},
		{"emoji", "appointment.failed🔥", "clinic 🏥", []string{"CODE_😀"}, "Cobalt appointment.failed?: clinic ?: CODE_?"},
		{"invalid UTF-8", "task.\xff\xfefailed", "clinic_\xc3", nil, "Cobalt task.??failed: clinic_?"},
		{"10 KB type", strings.Repeat("appointment.", 900) + "failed", "clinic_1", []string{"PATIENT_NOT_FOUND"}, ""},
		{"10 KB of emoji", strings.Repeat("🔥", 2500), strings.Repeat("🏥", 2500), []string{strings.Repeat("😀", 2500)}, ""},
		{"10 KB of control characters", strings.Repeat("\x01\n", 5000), strings.Repeat("\r", 10000), nil, "Cobalt event"},
		{"long clinic", "patient.failed", strings.Repeat("c", 300), []string{"DUPLICATE_PATIENT"}, ""},
		{"long code", "patient.failed", "clinic_1", []string{strings.Repeat("X", 120)}, ""},
		{"everything long", strings.Repeat("t", 200), strings.Repeat("c", 200), []string{strings.Repeat("X", 200)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			for _, c := range tt.codes {
				args = append(args, c, "description")
			}
			env := alerttest.Event("evt_1", tt.eventType, "appointment", envelope.KindFailure, object{
				{"reasons", alerttest.Reasons(args...)},
			})
			env.Clinic = tt.clinic
			a := alert.Build(env, alert.Options{})
			s := a.Subject
			if tt.want != "" && s != tt.want {
				t.Errorf("Subject = %q, want %q", s, tt.want)
			}
			if len(s) >= 100 {
				t.Errorf("Subject has %d bytes, want under 100: %q", len(s), s)
			}
			if !strings.HasPrefix(s, "Cobalt ") || len(s) <= len("Cobalt ") {
				t.Errorf("Subject %q does not name an event", s)
			}
			for i := 0; i < len(s); i++ {
				if s[i] < 0x20 || s[i] > 0x7e {
					t.Errorf("Subject byte %d is %#x, want printable ASCII: %q", i, s[i], s)
					break
				}
			}
			if strings.TrimSpace(s) != s {
				t.Errorf("Subject %q has leading or trailing space", s)
			}
		})
	}
}

func TestSubjectCutsLongPartsWithMarker(t *testing.T) {
	env := alerttest.Event("evt_1", "appointment.failed", "appointment", envelope.KindFailure, object{
		{"reasons", alerttest.Reasons(strings.Repeat("CODE", 30), "x")},
	})
	env.Clinic = strings.Repeat("clinic", 20)
	a := alert.Build(env, alert.Options{})
	parts := strings.Split(strings.TrimPrefix(a.Subject, "Cobalt "), ": ")
	if len(parts) != 3 {
		t.Fatalf("Subject %q has %d parts, want 3", a.Subject, len(parts))
	}
	if parts[0] != "appointment.failed" {
		t.Errorf("Subject type part = %q, want appointment.failed whole", parts[0])
	}
	for _, p := range parts[1:] {
		if !strings.HasSuffix(p, "...") {
			t.Errorf("cut subject part %q does not end in ...", p)
		}
	}
}

func TestAttributes(t *testing.T) {
	env := alerttest.Event("evt_1", "patient.failed", "patient", envelope.KindFailure, object{
		{"patient_id", "pat_1"},
		{"reasons", alerttest.Reasons(
			"INSURANCE_NOT_FOUND", "No insurance on file.",
			"PHARMACY_NOT_FOUND", "Pharmacy missing.",
			"INSURANCE_NOT_FOUND", "Second insurance missing.",
			"", "A reason without a code.",
		)},
	})
	a := alert.Build(env, alert.Options{})
	want := []alert.Attribute{
		{Name: "event_type", Type: "String", Values: []string{"patient.failed"}},
		{Name: "category", Type: "String", Values: []string{"patient"}},
		{Name: "event_id", Type: "String", Values: []string{"evt_1"}},
		{Name: "access_token_reference_id", Type: "String", Values: []string{"clinic_1"}},
		{Name: "job_id", Type: "String", Values: []string{"12345"}},
		{Name: "error_codes", Type: "String.Array", Values: []string{"INSURANCE_NOT_FOUND", "PHARMACY_NOT_FOUND"}},
	}
	if !reflect.DeepEqual(a.Attributes, want) {
		t.Errorf("Attributes =\n%+v\nwant\n%+v", a.Attributes, want)
	}
	codes := attributeMap(t, a)["error_codes"]
	if got, want := codes.Value(), `["INSURANCE_NOT_FOUND","PHARMACY_NOT_FOUND"]`; got != want {
		t.Errorf("error_codes value = %s, want %s", got, want)
	}
}

func TestAttributesOmitEmptyValues(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*envelope.Envelope)
		absent  []string
		present []string
	}{
		{"no job id", func(e *envelope.Envelope) { e.JobID = "" }, []string{"job_id"}, []string{"event_id"}},
		{"no clinic", func(e *envelope.Envelope) { e.Clinic = "" }, []string{"access_token_reference_id"}, []string{"job_id"}},
		{"blank clinic", func(e *envelope.Envelope) { e.Clinic = " \n" }, []string{"access_token_reference_id"}, nil},
		{"no reasons", func(e *envelope.Envelope) {
			e.Data = alerttest.Value(object{{"failure_reason", "x"}})
		}, []string{"error_codes"}, []string{"event_type"}},
		{"blank codes", func(e *envelope.Envelope) {
			e.Data = alerttest.Value(object{{"reasons", alerttest.Reasons(" ", "x", "", "y")}})
		}, []string{"error_codes"}, nil},
		{"failure is not partial", func(*envelope.Envelope) {}, []string{"partial"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := appointmentFailed()
			tt.edit(env)
			attrs := attributeMap(t, alert.Build(env, alert.Options{}))
			for _, name := range tt.absent {
				if at, ok := attrs[name]; ok {
					t.Errorf("attribute %s = %+v, want it absent", name, at)
				}
			}
			for _, name := range tt.present {
				if _, ok := attrs[name]; !ok {
					t.Errorf("attribute %s is missing", name)
				}
			}
			for name, at := range attrs {
				for _, v := range at.Values {
					if strings.TrimSpace(v) == "" {
						t.Errorf("attribute %s has an empty value", name)
					}
				}
			}
		})
	}
}

func TestAttributesPartial(t *testing.T) {
	env := alerttest.Event("evt_2", "telephone_encounter.created_partial", "telephone_encounter", envelope.KindPartial, object{
		{"telephone_encounter_id", "te_1"},
		{"refill_medication_name", "Lisinopril 10 mg"},
		{"refill_failure_reason", "Medication not found in formulary."},
	})
	a := alert.Build(env, alert.Options{})
	attrs := attributeMap(t, a)
	if got := attrs["partial"]; !reflect.DeepEqual(got, alert.Attribute{Name: "partial", Type: "String", Values: []string{"true"}}) {
		t.Errorf("partial attribute = %+v, want String true", got)
	}
	if doc := decodeDocument(t, a); doc["kind"] != "partial" {
		t.Errorf("document kind = %v, want partial", doc["kind"])
	}
}

func TestAttributesBoundHostileValues(t *testing.T) {
	env := appointmentFailed()
	env.ID = strings.Repeat("i", 1024)
	env.Type = strings.Repeat("appointment.\x00🔥", 1000) + "failed"
	env.Clinic = strings.Repeat("c\n", 5000)
	env.JobID = strings.Repeat("9", 5000)
	env.Data = alerttest.Value(object{{"reasons", alerttest.Reasons(strings.Repeat("C\x01", 1000), "x")}})
	a := alert.Build(env, alert.Options{})
	for _, at := range a.Attributes {
		for _, v := range at.Values {
			limit := 256
			if at.Name == "event_id" {
				limit = 1024
			}
			if len(v) > limit {
				t.Errorf("attribute %s value has %d bytes, want at most %d", at.Name, len(v), limit)
			}
			if !utf8.ValidString(v) {
				t.Errorf("attribute %s value is not valid UTF-8", at.Name)
			}
			if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("attribute %s value has a control character: %q", at.Name, v)
			}
		}
	}
	if got := attributeMap(t, a)["event_id"].Value(); got != env.ID {
		t.Errorf("event_id attribute has %d bytes, want the whole 1024-byte id", len(got))
	}
}

func TestDocument(t *testing.T) {
	env := alerttest.Event("evt_1", "appointment.failed", "appointment", envelope.KindFailure, object{
		{"appointment_id", "apt_778"},
		{"mrn", "00012345"},
		{"provider_id", 42},
		{"provider_name", "Dr. Rivera"},
		{"emr_appointment_id", "E-1"},
		{"date_time", "2025-10-22T09:00:00Z"},
		{"failure_reason", "Provider is unavailable; time slot is taken."},
		{"reasons", alerttest.Reasons(
			"PROVIDER_UNAVAILABLE", "Provider is unavailable.",
			"TIME_SLOT_UNAVAILABLE", "Time slot is taken.",
		)},
	})
	a := alert.Build(env, alert.Options{})
	var doc struct {
		EventID   string   `json:"event_id"`
		EventType string   `json:"event_type"`
		Category  string   `json:"category"`
		Topic     string   `json:"topic"`
		Kind      string   `json:"kind"`
		Created   string   `json:"created"`
		JobID     string   `json:"job_id"`
		Clinic    string   `json:"access_token_reference_id"`
		Codes     []string `json:"codes"`
		Reasons   []struct {
			Code        string `json:"code"`
			Description string `json:"description"`
		} `json:"reasons"`
		FailureReason string            `json:"failure_reason"`
		Data          map[string]string `json:"data"`
		PHIMasked     *bool             `json:"phi_masked"`
		Truncated     *bool             `json:"truncated"`
	}
	if err := json.Unmarshal(a.Document, &doc); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}

	checks := []struct{ name, got, want string }{
		{"event_id", doc.EventID, "evt_1"},
		{"event_type", doc.EventType, "appointment.failed"},
		{"category", doc.Category, "appointment"},
		{"topic", doc.Topic, "appointment"},
		{"kind", doc.Kind, "failure"},
		{"created", doc.Created, "2025-10-21T14:30:00.000Z"},
		{"job_id", doc.JobID, "12345"},
		{"access_token_reference_id", doc.Clinic, "clinic_1"},
		{"failure_reason", doc.FailureReason, "Provider is unavailable; time slot is taken."},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("document %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if want := []string{"PROVIDER_UNAVAILABLE", "TIME_SLOT_UNAVAILABLE"}; !reflect.DeepEqual(doc.Codes, want) {
		t.Errorf("document codes = %v, want %v", doc.Codes, want)
	}
	if len(doc.Reasons) != 2 || doc.Reasons[1].Code != "TIME_SLOT_UNAVAILABLE" || doc.Reasons[1].Description != "Time slot is taken." {
		t.Errorf("document reasons = %+v, want both reasons with their descriptions", doc.Reasons)
	}

	wantData := map[string]string{
		"appointment_id":     "apt_778",
		"mrn":                alert.Mask,
		"provider_id":        "42",
		"provider_name":      "Dr. Rivera",
		"emr_appointment_id": "E-1",
	}
	if !reflect.DeepEqual(doc.Data, wantData) {
		t.Errorf("document data = %v, want %v", doc.Data, wantData)
	}
	if doc.PHIMasked == nil || !*doc.PHIMasked {
		t.Errorf("document phi_masked = %v, want true", doc.PHIMasked)
	}
	if doc.Truncated != nil {
		t.Errorf("document truncated = %v, want it absent", *doc.Truncated)
	}
	if want := `"data":{"appointment_id":"apt_778","mrn":"***","provider_id":"42"`; !strings.Contains(string(a.Document), want) {
		t.Errorf("document data does not keep the event's member order:\n%s", a.Document)
	}
}

func TestDocumentKeepsExactEventID(t *testing.T) {
	env := appointmentFailed()
	env.ID = "evt\x00\n\u2028\"1"
	a := alert.Build(env, alert.Options{})
	if got := decodeDocument(t, a)["event_id"]; got != env.ID {
		t.Errorf("document event_id = %q, want %q", got, env.ID)
	}
	if got, want := attributeMap(t, a)["event_id"].Value(), "evt   \"1"; got != want {
		t.Errorf("event_id attribute = %q, want %q", got, want)
	}
}

func TestDocumentErrorAndOtherShapes(t *testing.T) {
	tests := []struct {
		name string
		data object
		key  string
		want string
	}{
		{"error string", object{{"patient_insurance_id", "pi_1"}, {"error", "Policy type is invalid."}},
			"error", "Policy type is invalid."},
		{"error object", object{{"error", object{{"message", "EHR timeout"}, {"retryable", true}}}},
			"error", `{"message":"EHR timeout","retryable":true}`},
		{"failure_reason number", object{{"failure_reason", 7}}, "failure_reason", "7"},
		{"failure_reason null", object{{"failure_reason", nil}}, "failure_reason", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := alerttest.Event("evt_1", "patient.insurance.failed", "patient", envelope.KindFailure, tt.data)
			doc := decodeDocument(t, alert.Build(env, alert.Options{}))
			got, _ := doc[tt.key].(string)
			if got != tt.want {
				t.Errorf("document %s = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestDocumentReasonShapes(t *testing.T) {
	env := alerttest.Event("evt_1", "task.failed", "task", envelope.KindFailure, object{
		{"reasons", []any{
			"plain string reason",
			object{{"code", 404}, {"description", "numeric code"}},
			nil,
			object{{"code", "NO_DESCRIPTION"}},
			[]any{"nested"},
		}},
	})
	doc := decodeDocument(t, alert.Build(env, alert.Options{}))
	reasons, _ := doc["reasons"].([]any)
	var got []string
	for _, r := range reasons {
		m := r.(map[string]any)
		got = append(got, m["code"].(string)+"|"+m["description"].(string))
	}
	want := []string{"|plain string reason", "404|numeric code", "NO_DESCRIPTION|"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reasons = %q, want %q", got, want)
	}
	if codes := doc["codes"]; !reflect.DeepEqual(codes, []any{"404", "NO_DESCRIPTION"}) {
		t.Errorf("codes = %v, want [404 NO_DESCRIPTION]", codes)
	}
}

func TestText(t *testing.T) {
	a := alert.Build(appointmentFailed(), alert.Options{})
	for _, want := range []string{
		"Cobalt event appointment.failed (failure)\n",
		"Event id: evt_1\n",
		"Category: appointment\n",
		"Clinic: clinic_1\n",
		"Job id: 12345\n",
		"Created: 2025-10-21T14:30:00.000Z\n",
		"- PATIENT_NOT_FOUND: Patient with MRN *** was not found.\n",
		"Failure reason: Patient with MRN *** was not found.\n",
		"  appointment_id: apt_778\n",
		"  mrn: ***\n",
		"PHI values are masked as ***.\n",
	} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, a.Text)
		}
	}
	if strings.Contains(a.Text, "cut to keep") {
		t.Errorf("text of a small event says it was cut:\n%s", a.Text)
	}
}

func TestTextIndentsMultiLineValues(t *testing.T) {
	env := appointmentFailed()
	env.Data = alerttest.Value(object{{"failure_reason", "first line\r\nsecond line\x00"}})
	a := alert.Build(env, alert.Options{})
	if want := "Failure reason: first line\n    second line \n"; !strings.Contains(a.Text, want) {
		t.Errorf("text lacks %q:\n%s", want, a.Text)
	}
}

func TestMessage(t *testing.T) {
	a := alert.Build(appointmentFailed(), alert.Options{})
	var msg map[string]string
	if err := json.Unmarshal([]byte(alert.Message(a)), &msg); err != nil {
		t.Fatalf("Message is not a JSON object of strings: %v", err)
	}
	if msg["default"] != string(a.Document) {
		t.Errorf("message default = %s, want the document %s", msg["default"], a.Document)
	}
	if msg["email"] != a.Text {
		t.Errorf("message email = %q, want the text %q", msg["email"], a.Text)
	}
	if len(msg) != 2 {
		t.Errorf("message has keys %v, want default and email", msg)
	}
}

func TestMessageKeepsHTMLCharacters(t *testing.T) {
	env := appointmentFailed()
	env.Data = alerttest.Value(object{{"failure_reason", "a < b && c > d \u2028"}})
	a := alert.Build(env, alert.Options{})
	if !strings.Contains(string(a.Document), `"failure_reason":"a < b && c > d  "`) {
		t.Errorf("document escapes HTML characters or keeps U+2028: %s", a.Document)
	}
}

func TestSizeCountsEveryPart(t *testing.T) {
	a := alert.Build(appointmentFailed(), alert.Options{})
	want := len(alert.Message(a)) + len(a.Subject)
	for _, at := range a.Attributes {
		want += len(at.Name) + len(at.Type) + len(at.Value())
	}
	if got := a.Size(); got != want {
		t.Errorf("Size() = %d, want %d", got, want)
	}
}
