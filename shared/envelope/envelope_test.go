package envelope_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// mustParse parses body and fails the test when it is not a usable envelope.
func mustParse(t *testing.T, body string) *envelope.Envelope {
	t.Helper()
	env, err := envelope.Parse([]byte(body))
	if err != nil {
		var invalid *envelope.Invalid
		if errors.As(err, &invalid) {
			t.Fatalf("Parse: %v %q", err, invalid.Reasons)
		}
		t.Fatalf("Parse: %v", err)
	}
	return env
}

const appointmentFailed = `{
  "id": "0b6f3a52-51f7-4d5e-9d8c-2f1de7c0a111",
  "access_token_reference_id": "clinic_test_01",
  "object": "event",
  "created": "2026-03-12T14:30:00.000Z",
  "type": "appointment.failed",
  "job_id": "job-0001",
  "data": {
    "appointment_id": "appt-0001",
    "mrn": "MRN-TEST-0001",
    "failure_reason": "Patient MRN-TEST-0001 not found",
    "reasons": [{"code": "PATIENT_NOT_FOUND", "description": "Patient MRN-TEST-0001 not found"}]
  }
}`

func TestParseValid(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		id       string
		typ      string
		clinic   string
		jobID    string
		category string
		kind     envelope.Kind
		known    bool
	}{
		{
			name: "full failure envelope", body: appointmentFailed,
			id: "0b6f3a52-51f7-4d5e-9d8c-2f1de7c0a111", typ: "appointment.failed",
			clinic: "clinic_test_01", jobID: "job-0001",
			category: "appointment", kind: envelope.KindFailure, known: true,
		},
		{
			name:     "integer id and job id",
			body:     `{"id":12345,"type":"test.event","job_id":67890,"created":"2026-01-01T00:00:00Z","data":{"message":"hi","timestamp":"2026-01-01T00:00:00Z"}}`,
			id:       "12345",
			typ:      "test.event",
			jobID:    "67890",
			category: "test", kind: envelope.KindTest, known: true,
		},
		{
			name: "id literal kept as written",
			body: `{"id":1.50e+3,"type":"x.y","created":"2026-01-01T00:00:00Z","data":{}}`,
			id:   "1.50e+3", typ: "x.y", kind: envelope.KindUnknown,
		},
		{
			name: "id above 2^53 kept exactly",
			body: `{"id":9007199254740993,"type":"x.y","created":"2026-01-01T00:00:00Z","data":{}}`,
			id:   "9007199254740993", typ: "x.y", kind: envelope.KindUnknown,
		},
		{
			name: "id of exactly max bytes",
			body: `{"id":"` + strings.Repeat("a", envelope.MaxIDBytes) + `","type":"x.y","created":"2026-01-01T00:00:00Z","data":{}}`,
			id:   strings.Repeat("a", envelope.MaxIDBytes), typ: "x.y", kind: envelope.KindUnknown,
		},
		{
			name: "multibyte id within limit",
			body: `{"id":"évènement-ü","type":"x.y","created":"2026-01-01T00:00:00Z","data":{}}`,
			id:   "évènement-ü", typ: "x.y", kind: envelope.KindUnknown,
		},
		{
			name: "duplicate keys take last value",
			body: `{"id":"first","type":"appointment.failed","id":"second","type":"x.bar_failed","data":"no","data":{},"created":"2026-01-01T00:00:00Z"}`,
			id:   "second", typ: "x.bar_failed", kind: envelope.KindFailure,
		},
		{
			name: "null job id",
			body: `{"id":"a","type":"x.y","job_id":null,"created":"2026-01-01T00:00:00Z","data":{}}`,
			id:   "a", typ: "x.y", kind: envelope.KindUnknown,
		},
		{
			name: "nested data and extra fields",
			body: `{"id":"a","type":"appointment.cancelled","created":"2026-01-01T00:00:00Z","extra":[1,{"x":null}],"data":{"a":{"b":{"c":[1,2,{"d":true}]}}}}`,
			id:   "a", typ: "appointment.cancelled", category: "appointment", kind: envelope.KindUnknown,
		},
		{
			name: "surrounding whitespace",
			body: " \r\n\t{\"id\" : \"a\" ,\n\"type\":\"x.y\",\"created\":\"2026-01-01T00:00:00Z\",\"data\":{ }}\n ",
			id:   "a", typ: "x.y", kind: envelope.KindUnknown,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := mustParse(t, tt.body)
			if env.ID != tt.id {
				t.Errorf("ID = %q, want %q", env.ID, tt.id)
			}
			if env.Type != tt.typ {
				t.Errorf("Type = %q, want %q", env.Type, tt.typ)
			}
			if env.Clinic != tt.clinic {
				t.Errorf("Clinic = %q, want %q", env.Clinic, tt.clinic)
			}
			if env.JobID != tt.jobID {
				t.Errorf("JobID = %q, want %q", env.JobID, tt.jobID)
			}
			if env.Category != tt.category {
				t.Errorf("Category = %q, want %q", env.Category, tt.category)
			}
			if env.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", env.Kind, tt.kind)
			}
			if env.Known != tt.known {
				t.Errorf("Known = %v, want %v", env.Known, tt.known)
			}
			if env.Data.Kind != jsjson.Object {
				t.Errorf("Data.Kind = %v, want Object", env.Data.Kind)
			}
			if env.Root.Kind != jsjson.Object {
				t.Errorf("Root.Kind = %v, want Object", env.Root.Kind)
			}
			if len(env.SchemaIssues) != 0 {
				t.Errorf("SchemaIssues = %q, want none", env.SchemaIssues)
			}
		})
	}
}

func TestParseEnvelopeFields(t *testing.T) {
	env := mustParse(t, appointmentFailed)

	if env.Object != "event" {
		t.Errorf("Object = %q, want event", env.Object)
	}
	if env.Created != "2026-03-12T14:30:00.000Z" {
		t.Errorf("Created = %q", env.Created)
	}
	want := time.Date(2026, 3, 12, 14, 30, 0, 0, time.UTC)
	if !env.CreatedAt.Equal(want) {
		t.Errorf("CreatedAt = %v, want %v", env.CreatedAt, want)
	}
	mrn, ok := env.Data.Get("mrn")
	if !ok || mrn.Str != "MRN-TEST-0001" {
		t.Errorf("Data.mrn = %+v, %v", mrn, ok)
	}
}

func TestParseInvalid(t *testing.T) {
	long := strings.Repeat("x", envelope.MaxIDBytes+1)
	tests := []struct {
		name string
		body string
		want []string
	}{
		{name: "empty body", body: ``, want: []string{"body is not valid JSON"}},
		{name: "truncated object", body: `{"id":"a"`, want: []string{"body is not valid JSON"}},
		{name: "trailing comma", body: `{"id":"a",}`, want: []string{"body is not valid JSON"}},
		{name: "two values", body: `{} {}`, want: []string{"body is not valid JSON"}},
		{name: "nested too deep", body: strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
			want: []string{"body nests arrays or objects deeper than 10000 levels"}},
		{name: "plain text", body: `MRN-TEST-0001 failed`, want: []string{"body is not valid JSON"}},
		{name: "array", body: `[{"id":"a"}]`, want: []string{"body is not a JSON object"}},
		{name: "string", body: `"event"`, want: []string{"body is not a JSON object"}},
		{name: "null", body: `null`, want: []string{"body is not a JSON object"}},
		{name: "number", body: `42`, want: []string{"body is not a JSON object"}},
		{
			name: "empty object", body: `{}`,
			want: []string{"id is missing", "type is missing", "data is missing"},
		},
		{
			name: "id array", body: `{"id":["a"],"type":"x.y","data":{}}`,
			want: []string{"id must be a string or number, got array"},
		},
		{
			name: "id object", body: `{"id":{"v":"a"},"type":"x.y","data":{}}`,
			want: []string{"id must be a string or number, got object"},
		},
		{
			name: "id boolean", body: `{"id":true,"type":"x.y","data":{}}`,
			want: []string{"id must be a string or number, got boolean"},
		},
		{
			name: "id null", body: `{"id":null,"type":"x.y","data":{}}`,
			want: []string{"id must be a string or number, got null"},
		},
		{
			name: "id empty", body: `{"id":"","type":"x.y","data":{}}`,
			want: []string{"id is empty"},
		},
		{
			name: "id too long", body: `{"id":"` + long + `","type":"x.y","data":{}}`,
			want: []string{"id is longer than 1024 bytes"},
		},
		{
			name: "numeric id too long", body: `{"id":1` + strings.Repeat("0", envelope.MaxIDBytes) + `,"type":"x.y","data":{}}`,
			want: []string{"id is longer than 1024 bytes"},
		},
		{
			name: "multibyte id too long", body: `{"id":"` + strings.Repeat("é", envelope.MaxIDBytes/2+1) + `","type":"x.y","data":{}}`,
			want: []string{"id is longer than 1024 bytes"},
		},
		{
			name: "type number", body: `{"id":"a","type":7,"data":{}}`,
			want: []string{"type must be a string, got number"},
		},
		{
			name: "type empty", body: `{"id":"a","type":"","data":{}}`,
			want: []string{"type is empty"},
		},
		{
			name: "data string", body: `{"id":"a","type":"x.y","data":"MRN-TEST-0001"}`,
			want: []string{"data must be an object, got string"},
		},
		{
			name: "data array", body: `{"id":"a","type":"x.y","data":[{}]}`,
			want: []string{"data must be an object, got array"},
		},
		{
			name: "data null", body: `{"id":"a","type":"x.y","data":null}`,
			want: []string{"data must be an object, got null"},
		},
		{
			name: "duplicate key last value invalid", body: `{"id":"a","type":"x.y","data":{},"data":1}`,
			want: []string{"data must be an object, got number"},
		},
		{
			name: "every field wrong", body: `{"id":false,"type":null,"data":"x"}`,
			want: []string{
				"id must be a string or number, got boolean",
				"type must be a string, got null",
				"data must be an object, got string",
			},
		},
		{
			name: "data missing only", body: `{"id":"a","type":"x.y"}`,
			want: []string{"data is missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := envelope.Parse([]byte(tt.body))
			if env != nil {
				t.Errorf("Parse returned envelope %+v, want nil", env)
			}
			var invalid *envelope.Invalid
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse error = %v, want *Invalid", err)
			}
			if !slices.Equal(invalid.Reasons, tt.want) {
				t.Errorf("Reasons = %q, want %q", invalid.Reasons, tt.want)
			}
			if invalid.Error() == "" {
				t.Error("Error() is empty")
			}
			for _, r := range invalid.Reasons {
				if strings.Contains(r, "MRN-TEST") {
					t.Errorf("reason %q contains body text", r)
				}
			}
		})
	}
}

func TestParseContentHash(t *testing.T) {
	compact := `{"id":"a","type":"x.y","data":{"n":1,"s":"é/<>"}}`
	variants := map[string]string{
		"pretty":           "{\n  \"id\": \"a\",\n  \"type\": \"x.y\",\n  \"data\": {\n    \"n\": 1,\n    \"s\": \"é/<>\"\n  }\n}\n",
		"crlf and tabs":    "{\r\n\t\"id\":\t\"a\",\r\n\t\"type\" : \"x.y\",\r\n\t\"data\":{\"n\" :1 , \"s\":\"é/<>\"}}",
		"escaped text":     `{"id":"\u0061","type":"x.y","data":{"n":1,"s":"\u00e9\/<>"}}`,
		"number spelling":  `{"id":"a","type":"x.y","data":{"n":1.0,"s":"é/<>"}}`,
		"duplicate key":    `{"id":"a","type":"x.y","data":{"n":0,"s":"é/<>","n":1}}`,
		"already compact":  compact,
		"leading newlines": "\n\n" + compact,
	}

	// The hash covers the JSON.stringify form, which keeps member order.
	sum := sha256.Sum256([]byte(compact))
	want := hex.EncodeToString(sum[:])
	for name, body := range variants {
		t.Run(name, func(t *testing.T) {
			env := mustParse(t, body)
			if env.ContentHash != want {
				t.Errorf("ContentHash = %s, want %s", env.ContentHash, want)
			}
		})
	}

	others := map[string]string{
		"other value":     `{"id":"a","type":"x.y","data":{"n":2,"s":"é/<>"}}`,
		"extra field":     `{"id":"a","type":"x.y","data":{"n":1,"s":"é/<>"},"z":null}`,
		"other key order": `{"data":{"s":"é/<>","n":1},"type":"x.y","id":"a"}`,
	}
	for name, body := range others {
		t.Run(name, func(t *testing.T) {
			env := mustParse(t, body)
			if env.ContentHash == want {
				t.Errorf("ContentHash equals that of different content")
			}
		})
	}

	t.Run("other array order", func(t *testing.T) {
		ordered := mustParse(t, `{"id":"a","type":"x.y","data":{"a":[1,{"k":2,"j":3}]}}`)
		reversed := mustParse(t, `{"id":"a","type":"x.y","data":{"a":[{"j":3,"k":2},1]}}`)
		if ordered.ContentHash == reversed.ContentHash {
			t.Errorf("ContentHash ignores the order of array items")
		}
	})
}

func TestParseCreated(t *testing.T) {
	noIssue := ""
	tests := []struct {
		name    string
		created string
		want    time.Time
		issue   string
	}{
		{"utc with millis", `"2026-03-12T14:30:00.000Z"`, time.Date(2026, 3, 12, 14, 30, 0, 0, time.UTC), noIssue},
		{"utc without millis", `"2026-03-12T14:30:00Z"`, time.Date(2026, 3, 12, 14, 30, 0, 0, time.UTC), noIssue},
		{"microseconds", `"2026-03-12T14:30:00.123456Z"`, time.Date(2026, 3, 12, 14, 30, 0, 123456000, time.UTC), noIssue},
		{"offset with colon", `"2026-03-12T09:30:00-05:00"`, time.Date(2026, 3, 12, 14, 30, 0, 0, time.UTC), noIssue},
		{"offset without colon", `"2026-03-12T20:00:00.5+0530"`, time.Date(2026, 3, 12, 14, 30, 0, 500000000, time.UTC), noIssue},
		{"hour offset", `"2026-03-12T15:30:00+01"`, time.Date(2026, 3, 12, 14, 30, 0, 0, time.UTC), noIssue},
		{"no zone", `"2026-03-12T14:30:00"`, time.Date(2026, 3, 12, 14, 30, 0, 0, time.UTC), noIssue},
		{"no zone with millis", `"2026-03-12T14:30:00.250"`, time.Date(2026, 3, 12, 14, 30, 0, 250000000, time.UTC), noIssue},
		{"space separator", `"2026-03-12 14:30:00Z"`, time.Date(2026, 3, 12, 14, 30, 0, 0, time.UTC), noIssue},
		{"lower case letters", `"2026-03-12t14:30:00z"`, time.Date(2026, 3, 12, 14, 30, 0, 0, time.UTC), noIssue},
		{"no seconds", `"2026-03-12T14:30Z"`, time.Date(2026, 3, 12, 14, 30, 0, 0, time.UTC), noIssue},
		{"unix seconds text", `"1773325800"`, time.Time{}, "created: not an ISO 8601 date-time"},
		{"month out of range", `"2026-13-12T14:30:00Z"`, time.Time{}, "created: not an ISO 8601 date-time"},
		{"free text", `"yesterday"`, time.Time{}, "created: not an ISO 8601 date-time"},
		{"empty", `""`, time.Time{}, noIssue},
		{"number", `1773325800`, time.Time{}, "created: expected string, got number"},
		{"null", `null`, time.Time{}, "created: expected string, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := mustParse(t, `{"id":"a","type":"x.y","data":{},"created":`+tt.created+`}`)
			if !env.CreatedAt.Equal(tt.want) {
				t.Errorf("CreatedAt = %v, want %v", env.CreatedAt, tt.want)
			}
			if !tt.want.IsZero() && env.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt location = %v, want UTC", env.CreatedAt.Location())
			}
			var want []string
			if tt.issue != "" {
				want = []string{tt.issue}
			}
			if !slices.Equal(env.SchemaIssues, want) {
				t.Errorf("SchemaIssues = %q, want %q", env.SchemaIssues, want)
			}
		})
	}
}

func TestParseLenientFields(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		clinic string
		object string
		jobID  string
		issues []string
	}{
		{
			name:   "all present",
			fields: `"access_token_reference_id":"clinic_1","object":"event","job_id":"12345","created":"2026-01-01T00:00:00Z"`,
			clinic: "clinic_1", object: "event", jobID: "12345",
		},
		{
			name:   "all absent",
			fields: `"extra":1`,
			issues: []string{"created is missing"},
		},
		{
			name:   "clinic number",
			fields: `"access_token_reference_id":17,"created":"2026-01-01T00:00:00Z"`,
			issues: []string{"access_token_reference_id: expected string, got number"},
		},
		{
			name:   "object other value",
			fields: `"object":"webhook","created":"2026-01-01T00:00:00Z"`,
			object: "webhook",
			issues: []string{`object: expected "event"`},
		},
		{
			name:   "object array",
			fields: `"object":["event"],"created":"2026-01-01T00:00:00Z"`,
			issues: []string{"object: expected string, got array"},
		},
		{
			name:   "job id decimal literal",
			fields: `"job_id":12345.0,"created":"2026-01-01T00:00:00Z"`,
			jobID:  "12345.0",
		},
		{
			name:   "job id object",
			fields: `"job_id":{"id":1},"created":"2026-01-01T00:00:00Z"`,
			issues: []string{"job_id: expected string or number, got object"},
		},
		{
			name:   "job id boolean",
			fields: `"job_id":false,"created":"2026-01-01T00:00:00Z"`,
			issues: []string{"job_id: expected string or number, got boolean"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := mustParse(t, `{"id":"a","type":"x.y","data":{},`+tt.fields+`}`)
			if env.Clinic != tt.clinic {
				t.Errorf("Clinic = %q, want %q", env.Clinic, tt.clinic)
			}
			if env.Object != tt.object {
				t.Errorf("Object = %q, want %q", env.Object, tt.object)
			}
			if env.JobID != tt.jobID {
				t.Errorf("JobID = %q, want %q", env.JobID, tt.jobID)
			}
			if !slices.Equal(env.SchemaIssues, tt.issues) {
				t.Errorf("SchemaIssues = %q, want %q", env.SchemaIssues, tt.issues)
			}
		})
	}
}

func TestParseSchemaIssues(t *testing.T) {
	body := `{"id":"a","type":"patient.created","created":"2026-01-01T00:00:00Z","data":{
		"patient_id": 1, "mrn": 424242, "first_name": "Testy", "last_name": ["McTestface"],
		"date_of_birth": "02/29/1990", "sex": "F"}}`
	want := []string{
		"data.mrn: expected string, got number",
		"data.last_name: expected string, got array",
		"data.date_of_birth: not a YYYY-MM-DD date",
	}

	env := mustParse(t, body)
	if !slices.Equal(env.SchemaIssues, want) {
		t.Errorf("SchemaIssues = %q, want %q", env.SchemaIssues, want)
	}
	if !env.Known {
		t.Error("Known = false, want true")
	}
	for _, issue := range env.SchemaIssues {
		for _, value := range []string{"424242", "McTestface", "02/29/1990", "Testy"} {
			if strings.Contains(issue, value) {
				t.Errorf("issue %q contains the value %q", issue, value)
			}
		}
	}
}

func TestEnvelopeReasons(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		reasons []envelope.Reason
		text    string
	}{
		{
			name: "reasons and failure reason",
			data: `{"failure_reason":"Patient MRN-TEST-0001 not found; slot taken","reasons":[
				{"code":"PATIENT_NOT_FOUND","description":"Patient MRN-TEST-0001 not found"},
				{"code":"TIME_SLOT_UNAVAILABLE","description":"slot taken"}]}`,
			reasons: []envelope.Reason{
				{Code: "PATIENT_NOT_FOUND", Description: "Patient MRN-TEST-0001 not found"},
				{Code: "TIME_SLOT_UNAVAILABLE", Description: "slot taken"},
			},
			text: "Patient MRN-TEST-0001 not found; slot taken",
		},
		{
			name: "error only",
			data: `{"error":"Insurance plan not found"}`,
			text: "Insurance plan not found",
		},
		{
			name: "refill failure reason",
			data: `{"refill_medication_name":"Testamycin","refill_failure_reason":"Medication not on formulary"}`,
			text: "Medication not on formulary",
		},
		{
			name: "empty failure reason falls back to error",
			data: `{"failure_reason":"","error":"boom"}`,
			text: "boom",
		},
		{
			name: "malformed reasons",
			data: `{"reasons":["x",{"code":1,"description":"d"},{"code":"C"},null]}`,
			reasons: []envelope.Reason{
				{Code: "", Description: "d"},
				{Code: "C", Description: ""},
			},
		},
		{
			name: "reasons not an array",
			data: `{"reasons":{"code":"C"},"failure_reason":7}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := mustParse(t, `{"id":"a","type":"x.failed","data":`+tt.data+`}`)
			if got := env.Reasons(); !slices.Equal(got, tt.reasons) {
				t.Errorf("Reasons() = %+v, want %+v", got, tt.reasons)
			}
			if got := env.FailureText(); got != tt.text {
				t.Errorf("FailureText() = %q, want %q", got, tt.text)
			}
		})
	}
}
