package envelope_test

import (
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

func FuzzParse(f *testing.F) {
	seeds := []string{
		``,
		`{}`,
		`[]`,
		`null`,
		`{"id":"a","type":"x.y","data":{}}`,
		`{"id":1e400,"type":"x.y","data":{}}`,
		`{"id":-0,"type":"x.y","data":{},"job_id":9007199254740993}`,
		`{"id":"\ud800","type":"x.y","data":{}}`,
		`{"id":"a","id":"","type":"x.y","data":{}}`,
		`{"id":"a","type":"appointment.failed","data":{"reasons":[1,{"code":2}]}}`,
		`{"id":"a","type":"test.event","data":{"message":null},"created":"2026-01-01T00:00:00+0100"}`,
		`{"id":"a","type":"patient.insurance.added","data":{"audit_trail":[[],{}]},"created":"x"}`,
		`{"1":"a","id":"b","type":"x.created_partial","data":{"2":{"3":[]}},"job_id":[]}`,
		appointmentFailed,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	samples, err := events.Samples()
	if err != nil {
		f.Fatalf("events.Samples: %v", err)
	}
	for _, s := range samples {
		f.Add(s.Body)
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := envelope.Parse(body)
		if err != nil {
			checkInvalid(t, env, err)
			return
		}
		checkUsable(t, env)
	})
}

func checkInvalid(t *testing.T, env *envelope.Envelope, err error) {
	var invalid *envelope.Invalid
	if !errors.As(err, &invalid) {
		t.Fatalf("Parse error %T %v, want *Invalid", err, err)
	}
	if env != nil {
		t.Errorf("Parse returned an envelope with an error")
	}
	if len(invalid.Reasons) == 0 {
		t.Errorf("Invalid has no reasons")
	}
	for _, r := range invalid.Reasons {
		if r == "" {
			t.Errorf("Invalid has an empty reason")
		}
	}
}

func checkUsable(t *testing.T, env *envelope.Envelope) {
	if env.ID == "" {
		t.Errorf("ID is empty")
	}
	if len(env.ID) > envelope.MaxIDBytes {
		t.Errorf("ID has %d bytes", len(env.ID))
	}
	if !utf8.ValidString(env.ID) {
		t.Errorf("ID is not valid UTF-8")
	}
	if env.Type == "" {
		t.Errorf("Type is empty")
	}
	if env.Data.Kind != jsjson.Object {
		t.Errorf("Data.Kind = %v, want Object", env.Data.Kind)
	}
	if len(env.ContentHash) != 64 {
		t.Errorf("ContentHash %q is not 64 hex digits", env.ContentHash)
	}
	if len(env.SchemaIssues) > 32 {
		t.Errorf("%d schema issues, want at most 32", len(env.SchemaIssues))
	}
	category, kind := envelope.Classify(env.Type)
	if env.Category != category || env.Kind != kind {
		t.Errorf("Category, Kind = %q, %q; Classify gives %q, %q", env.Category, env.Kind, category, kind)
	}
	env.Reasons()
	env.FailureText()
}

func ExampleParse() {
	body := []byte(`{"id": 42, "type": "task.failed", "job_id": 9001,
		"created": "2026-02-03T04:05:06Z",
		"data": {"task_id": "t-1", "mrn": 1234,
			"reasons": [{"code": "ASSIGNEE_NOT_FOUND", "description": "No such user"}]}}`)

	env, err := envelope.Parse(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(env.ID, env.Type, env.Category, env.Kind, env.JobID)
	fmt.Println(env.CreatedAt)
	fmt.Println(env.Reasons()[0].Code)
	fmt.Println(env.SchemaIssues)
	// Output:
	// 42 task.failed task failure 9001
	// 2026-02-03 04:05:06 +0000 UTC
	// ASSIGNEE_NOT_FOUND
	// [data.failure_reason is missing]
}
