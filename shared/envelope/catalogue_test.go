package envelope_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

func TestCatalogueMatchesDocumentedTypes(t *testing.T) {
	specs := envelope.Catalogue()
	if len(specs) != len(documentedTypes) {
		t.Errorf("Catalogue() has %d types, want %d", len(specs), len(documentedTypes))
	}

	seen := map[string]bool{}
	for _, spec := range specs {
		if seen[spec.Type] {
			t.Errorf("type %s listed twice", spec.Type)
		}
		seen[spec.Type] = true
		if len(spec.Fields) == 0 {
			t.Errorf("type %s has no fields", spec.Type)
		}
	}

	for _, doc := range documentedTypes {
		spec, ok := envelope.Lookup(doc.typ)
		if !ok {
			t.Errorf("Lookup(%q) found nothing", doc.typ)
			continue
		}
		if spec.Type != doc.typ {
			t.Errorf("Lookup(%q).Type = %q", doc.typ, spec.Type)
		}
		if spec.Category != doc.category {
			t.Errorf("%s: Category = %q, want %q", doc.typ, spec.Category, doc.category)
		}
		if spec.Kind != doc.kind {
			t.Errorf("%s: Kind = %q, want %q", doc.typ, spec.Kind, doc.kind)
		}
	}
}

func TestCatalogueFailureTypesCarryDetail(t *testing.T) {
	for _, spec := range envelope.Catalogue() {
		if spec.Kind != envelope.KindFailure {
			continue
		}
		var names []string
		for _, f := range spec.Fields {
			names = append(names, f.Name)
		}
		detail := slices.Contains(names, "failure_reason") ||
			slices.Contains(names, "reasons") || slices.Contains(names, "error")
		if !detail {
			t.Errorf("%s has none of failure_reason, reasons, error: %q", spec.Type, names)
		}
		if slices.Contains(names, "reasons") && len(spec.Codes) == 0 {
			t.Errorf("%s documents reasons but no codes", spec.Type)
		}
	}
}

func TestLookupUnknownType(t *testing.T) {
	for _, typ := range []string{"appointment.cancelled", "", "APPOINTMENT.CREATED", "appointment.created "} {
		if _, ok := envelope.Lookup(typ); ok {
			t.Errorf("Lookup(%q) found an entry", typ)
		}
	}
}

func TestCatalogueReturnsCopies(t *testing.T) {
	spec, _ := envelope.Lookup("appointment.failed")
	spec.Fields[0].Name = "changed"
	spec.Fields[0].Types[0] = jsjson.Bool
	spec.Codes[0] = "CHANGED"
	envelope.Catalogue()[0].Fields[0].Aliases[0] = "changed"

	again, _ := envelope.Lookup("appointment.failed")
	if again.Fields[0].Name != "appointment_id" {
		t.Errorf("field name = %q after changing a copy", again.Fields[0].Name)
	}
	if again.Fields[0].Types[0] != jsjson.String {
		t.Errorf("field type = %v after changing a copy", again.Fields[0].Types[0])
	}
	if again.Codes[0] != "PATIENT_NOT_FOUND" {
		t.Errorf("code = %q after changing a copy", again.Codes[0])
	}
	if first := envelope.Catalogue()[0]; first.Fields[0].Aliases[0] != "id" {
		t.Errorf("alias = %q after changing a copy", first.Fields[0].Aliases[0])
	}
}

// parseData parses a JSON text for CheckData.
func parseData(t *testing.T, text string) jsjson.Value {
	t.Helper()
	v, err := jsjson.Parse([]byte(text))
	if err != nil {
		t.Fatalf("jsjson.Parse(%s): %v", text, err)
	}
	return v
}

func TestCheckData(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		data string
		want []string
	}{
		{
			name: "appointment created complete",
			typ:  "appointment.created",
			data: `{"appointment_id":"a1","mrn":"MRN-TEST-0001","date_time":"2026-04-01T09:00:00-04:00",
				"timezone":"America/New_York","provider_id":"p1","provider_name":"Dr. Sample","secondary_provider_id":null}`,
		},
		{
			name: "drifted names and numeric ids",
			typ:  "appointment.created",
			data: `{"id":101,"patient_mrn":"MRN-TEST-0001","datetime":"2026-04-01T09:00:00",
				"timezone":"America/New_York","provider_id":77,"provider_name":"Dr. Sample"}`,
		},
		{
			name: "appointment updated under appointment id",
			typ:  "appointment.updated",
			data: `{"appointment_id":"a1","ehr_appointment_id":5,"mrn":"MRN-TEST-0001","patient_name":"Testy McTestface",
				"date_time":"2026-04-01T09:00:00Z","duration":30,"location":"Main","status":"confirmed",
				"provider_name":"Dr. Sample","appointment_type":"follow-up","appointment_mode":"office","updated_fields":{}}`,
		},
		{
			name: "missing expected fields",
			typ:  "appointment.created",
			data: `{"timezone":"UTC","provider_name":"Dr. Sample"}`,
			want: []string{
				"data.appointment_id is missing",
				"data.mrn is missing",
				"data.date_time is missing",
				"data.provider_id is missing",
			},
		},
		{
			name: "wrong types",
			typ:  "appointment.created",
			data: `{"appointment_id":true,"mrn":123,"date_time":null,"timezone":{},"provider_id":[1],
				"provider_name":"Dr. Sample","secondary_provider_id":false}`,
			want: []string{
				"data.appointment_id: expected string or number, got boolean",
				"data.mrn: expected string, got number",
				"data.date_time: expected string, got null",
				"data.timezone: expected string, got object",
				"data.provider_id: expected string or number, got array",
				"data.secondary_provider_id: expected string, number or null, got boolean",
			},
		},
		{
			name: "unparsable date-time",
			typ:  "appointment.created",
			data: `{"appointment_id":"a1","mrn":"m","date_time":"next Tuesday","timezone":"UTC","provider_id":"p","provider_name":"n"}`,
			want: []string{"data.date_time: not an ISO 8601 date-time"},
		},
		{
			name: "both alias names checked",
			typ:  "note.failed",
			data: `{"appointment_id":"a1","timezone":"UTC","mrn":"m","patient_mrn":5,"reasons":[]}`,
			want: []string{"data.patient_mrn: expected string, got number"},
		},
		{
			name: "reasons expected without failure reason",
			typ:  "document.failed",
			data: `{"document_id":"d1","patient_mrn":"m","folder_name":"Labs"}`,
			want: []string{"data.reasons is missing"},
		},
		{
			name: "legacy failure without reasons",
			typ:  "task.failed",
			data: `{"task_id":"t1","failure_reason":"Assignee not found"}`,
		},
		{
			name: "malformed reasons",
			typ:  "task.failed",
			data: `{"task_id":"t1","failure_reason":"x","reasons":[
				{"code":"PATIENT_NOT_FOUND","description":"d"},"text",{"code":5},{"description":null}]}`,
			want: []string{
				"data.reasons[1]: expected object, got string",
				"data.reasons[2].code: expected string, got number",
				"data.reasons[2].description is missing",
				"data.reasons[3].code is missing",
				"data.reasons[3].description: expected string, got null",
			},
		},
		{
			name: "reasons not an array",
			typ:  "message.failed",
			data: `{"message_id":"m1","provider_id":"p1","failure_reason":"x","reasons":"PROVIDER_NOT_FOUND"}`,
			want: []string{"data.reasons: expected array, got string"},
		},
		{
			name: "reasons checked on unknown type",
			typ:  "billing.sync_failed",
			data: `{"reasons":[{"code":"X"}],"anything":[1,2]}`,
			want: []string{"data.reasons[0].description is missing"},
		},
		{
			name: "unknown type without reasons",
			typ:  "appointment.cancelled",
			data: `{"appointment_id":{"nested":true}}`,
		},
		{
			name: "unknown code accepted",
			typ:  "appointment.failed",
			data: `{"appointment_id":"a","mrn":"m","failure_reason":"x","reasons":[{"code":"BRAND_NEW_CODE","description":"d"}]}`,
		},
		{
			name: "nullable telephone encounter failure fields",
			typ:  "telephone_encounter.failed",
			data: `{"telephone_encounter_id":"te1","patient_mrn":null,"refill_medication_name":null,"failure_reason":"x"}`,
		},
		{
			name: "nullable field that is not nullable elsewhere",
			typ:  "telephone_encounter.created",
			data: `{"telephone_encounter_id":"te1","emr_encounter_id":9,"patient_mrn":null,"provider_id":"p",
				"location_id":"l","assigned_to_id":"u","reason":null}`,
			want: []string{"data.patient_mrn: expected string, got null"},
		},
		{
			name: "partial requires refill detail",
			typ:  "telephone_encounter.created_partial",
			data: `{"telephone_encounter_id":"te1","emr_encounter_id":"e1","patient_mrn":"m","provider_id":"p",
				"location_id":"l","assigned_to_id":"u","reason":"Refill request"}`,
			want: []string{
				"data.refill_medication_name is missing",
				"data.refill_failure_reason is missing",
			},
		},
		{
			name: "audit trail entries",
			typ:  "patient.insurance.added",
			data: `{"patient_insurance_id":"pi1","patient_mrn":"m","member_id":"M1","group_id":"G1",
				"plan_begin_date":"2026-13-01","copayment":"25","audit_trail":[{"field":"copayment"},"note"]}`,
			want: []string{
				"data.plan_begin_date: not a YYYY-MM-DD date",
				"data.copayment: expected number, got string",
				"data.audit_trail[1]: expected object, got string",
			},
		},
		{
			name: "data not an object",
			typ:  "appointment.created",
			data: `[]`,
			want: []string{"data must be an object, got array"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := envelope.CheckData(tt.typ, parseData(t, tt.data))
			if !slices.Equal(got, tt.want) {
				t.Errorf("CheckData() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestCheckDataCapsIssues(t *testing.T) {
	items := strings.Repeat(`1,`, 10000) + `1`
	got := envelope.CheckData("appointment.failed", parseData(t, `{"reasons":[`+items+`]}`))

	if len(got) != 32 {
		t.Fatalf("len(CheckData()) = %d, want 32", len(got))
	}
	if got[0] != "data.appointment_id is missing" {
		t.Errorf("first issue = %q", got[0])
	}
	if last := got[len(got)-1]; last != "further schema issues not listed" {
		t.Errorf("last issue = %q", last)
	}
}
