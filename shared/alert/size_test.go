package alert_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/internal/alerttest"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

// manyReasons returns n reasons with descriptions of about size bytes.
func manyReasons(n, size int, fill string) []any {
	var args []string
	for i := range n {
		args = append(args, fmt.Sprintf("CODE_%d", i%7), fmt.Sprintf("%d ", i)+strings.Repeat(fill, size/len(fill)))
	}
	return alerttest.Reasons(args...)
}

func nested(depth int) any {
	var v any = "bottom"
	for range depth {
		v = []any{v}
	}
	return v
}

func TestBuildStaysWithinSNSLimit(t *testing.T) {
	const megabyte = 1 << 20
	manyFields := object{}
	for i := range 10000 {
		manyFields = append(manyFields, [2]any{fmt.Sprintf("field_%d_id", i), strings.Repeat("v", 100)})
	}
	tests := []struct {
		name string
		edit func(*envelope.Envelope)
	}{
		{"1 MB description", func(e *envelope.Envelope) {
			e.Data = alerttest.Value(object{{"reasons", alerttest.Reasons("PATIENT_NOT_FOUND", strings.Repeat("d", megabyte))}})
		}},
		{"10000 reasons", func(e *envelope.Envelope) {
			reasons := manyReasons(10000, 100, "description ")
			var joined []string
			for _, r := range reasons {
				joined = append(joined, r.(object)[1][1].(string))
			}
			e.Data = alerttest.Value(object{
				{"failure_reason", strings.Join(joined, "; ")},
				{"reasons", reasons},
			})
		}},
		{"10000 reasons of characters JSON escapes", func(e *envelope.Envelope) {
			e.Data = alerttest.Value(object{{"reasons", manyReasons(10000, 1000, `"\`)}})
		}},
		{"10000 reasons of control characters", func(e *envelope.Envelope) {
			e.Data = alerttest.Value(object{{"reasons", manyReasons(10000, 1000, "\x01\u2028")}})
		}},
		{"10000 reasons of emoji", func(e *envelope.Envelope) {
			e.Data = alerttest.Value(object{{"reasons", manyReasons(10000, 1000, "🔥")}})
		}},
		{"10000 reasons with PHI", func(e *envelope.Envelope) {
			e.Data = alerttest.Value(object{
				{"mrn", "00012345"},
				{"reasons", manyReasons(10000, 1000, "MRN 00012345 ")},
			})
		}},
		{"100000 distinct codes", func(e *envelope.Envelope) {
			var args []string
			for i := range 100000 {
				args = append(args, fmt.Sprintf("CODE_%d_%s", i, strings.Repeat("\"", 100)), "d")
			}
			e.Data = alerttest.Value(object{{"reasons", alerttest.Reasons(args...)}})
		}},
		{"1 MB failure_reason and error", func(e *envelope.Envelope) {
			e.Data = alerttest.Value(object{
				{"failure_reason", strings.Repeat("f\"", megabyte/2)},
				{"error", strings.Repeat("e\\", megabyte/2)},
			})
		}},
		{"10000 data fields", func(e *envelope.Envelope) { e.Data = alerttest.Value(manyFields) }},
		{"deeply nested error", func(e *envelope.Envelope) {
			e.Data = alerttest.Value(object{{"error", nested(100000)}})
		}},
		{"hostile envelope fields", func(e *envelope.Envelope) {
			e.ID = strings.Repeat(`"`, envelope.MaxIDBytes)
			e.Type = strings.Repeat(`\`, megabyte)
			e.Clinic = strings.Repeat("\x00", megabyte)
			e.JobID = strings.Repeat("🔥", megabyte/4)
			e.Created = strings.Repeat("c", megabyte)
			e.Data = alerttest.Value(object{{"reasons", manyReasons(10000, 1000, `"`)}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := appointmentFailed()
			tt.edit(env)
			a := alert.Build(env, alert.Options{})
			if a == nil {
				t.Fatal("Build returned nil")
			}
			if size := a.Size(); size > alert.SizeLimit {
				t.Errorf("Size() = %d, want at most %d", size, alert.SizeLimit)
			}
			msg := alert.Message(a)
			if total := len(msg) + len(a.Subject); total >= alert.MaxPublishBytes {
				t.Errorf("message and subject take %d bytes, want under %d", total, alert.MaxPublishBytes)
			}
			if !json.Valid([]byte(msg)) {
				t.Error("Message is not valid JSON")
			}
			if !utf8.ValidString(a.Text) {
				t.Error("Text is not valid UTF-8")
			}
			var doc map[string]any
			if err := json.Unmarshal(a.Document, &doc); err != nil {
				t.Fatalf("document is not JSON: %v", err)
			}
			if doc["truncated"] != true {
				t.Errorf("document truncated = %v, want true", doc["truncated"])
			}
			if doc["event_id"] != env.ID {
				t.Errorf("document event_id has %d bytes, want the whole id", len(fmt.Sprint(doc["event_id"])))
			}
			if !strings.Contains(a.Text, "cut to keep the message within") {
				t.Error("text does not say it was cut")
			}
		})
	}
}

func TestBuildListsMostReasonsThatFit(t *testing.T) {
	env := appointmentFailed()
	env.Data = alerttest.Value(object{{"reasons", manyReasons(10000, 40, "description ")}})
	doc := decodeDocument(t, alert.Build(env, alert.Options{}))
	reasons, _ := doc["reasons"].([]any)
	if len(reasons) != 100 {
		t.Errorf("document lists %d reasons, want 100", len(reasons))
	}
	if doc["reasons_total"] != float64(10000) {
		t.Errorf("document reasons_total = %v, want 10000", doc["reasons_total"])
	}
	codes, _ := doc["codes"].([]any)
	if len(codes) != 7 {
		t.Errorf("document lists %d codes, want all 7 distinct codes", len(codes))
	}
}

func TestBuildCapsAttributeCodes(t *testing.T) {
	var args []string
	for i := range 500 {
		args = append(args, fmt.Sprintf("CODE_%03d", i), "d")
	}
	env := appointmentFailed()
	env.Data = alerttest.Value(object{{"reasons", alerttest.Reasons(args...)}})
	codes := attributeMap(t, alert.Build(env, alert.Options{}))["error_codes"].Values
	if len(codes) != 50 {
		t.Fatalf("error_codes has %d values, want 50", len(codes))
	}
	if codes[0] != "CODE_000" || codes[49] != "CODE_049" {
		t.Errorf("error_codes = %v..%v, want the first 50 codes in order", codes[0], codes[49])
	}
}
