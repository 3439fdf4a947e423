package jsjson_test

import (
	"bytes"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		canonical bool
	}{
		{"compact object", `{"id":"evt_1","n":25,"ok":true,"none":null,"list":[1,2,{"a":[]}]}`, true},
		{"scalar", `"text"`, true},
		{"integer of 15 digits", `123456789012345`, true},
		{"negative integer", `-42`, true},
		{"zero", `0`, true},
		{"decimal in shortest form", `[25.5,0.1,-3.25]`, true},
		{"exponent as JavaScript writes it", `[1e+21,1.5e-7]`, true},
		{"simple escapes", `"quote \" backslash \\ newline \n tab \t \b \f \r"`, true},
		{"raw non-ASCII text", `{"name":"Zoë ✓ \u2028"}`, false},
		{"raw non-ASCII text without escapes", "{\"name\":\"Zoë ✓ \u2028\"}", true},
		{"array-index keys first and ascending", `{"1":"a","20":"b","x":"c"}`, true},
		{"space after colon", `{"a": 1}`, false},
		{"leading space", ` {"a":1}`, false},
		{"trailing newline", "{\"a\":1}\n", false},
		{"space inside empty array", `[ ]`, false},
		{"escaped slash", `"a\/b"`, false},
		{"unicode escape", `"\u00e9"`, false},
		{"escaped control character", `"\u0001"`, false},
		{"decimal with trailing zero", `25.50`, false},
		{"integer written as decimal", `25.0`, false},
		{"exponent JavaScript writes plainly", `1e2`, false},
		{"exponent without sign", `1e21`, false},
		{"negative zero", `-0`, false},
		{"integer of 16 digits below 2^53", `1234567890123456`, true},
		{"integer above 2^53", `9007199254740993`, false},
		{"number beyond double range", `1e400`, false},
		{"repeated key", `{"a":1,"a":2}`, false},
		{"array-index key after another key", `{"x":"c","1":"a"}`, false},
		{"array-index keys descending", `{"20":"b","1":"a"}`, false},
		{"invalid UTF-8", "\"a\xffb\"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, canonical, err := jsjson.ParseCanonical([]byte(tt.input))
			if err != nil {
				t.Fatalf("ParseCanonical: %v", err)
			}
			if canonical != tt.canonical {
				t.Errorf("canonical = %v, want %v (Stringify gives %s)", canonical, tt.canonical, jsjson.Stringify(v))
			}
			if canonical && !bytes.Equal(jsjson.Stringify(v), []byte(tt.input)) {
				t.Errorf("reported canonical, but Stringify gives %s", jsjson.Stringify(v))
			}
		})
	}
}

func TestParseCanonicalError(t *testing.T) {
	if _, canonical, err := jsjson.ParseCanonical([]byte(`{"a":}`)); err == nil || canonical {
		t.Errorf("ParseCanonical of invalid JSON = canonical %v, error %v; want false and an error", canonical, err)
	}
}

// TestParseCanonicalGenerated checks on random documents that a text
// reported canonical is exactly Stringify's output, and that Stringify's
// output without \u escapes is reported canonical.
func TestParseCanonicalGenerated(t *testing.T) {
	g := newGenerator(23)
	var reported, stringified int
	for i := range 3000 {
		doc := []byte(g.document())
		v, canonical, err := jsjson.ParseCanonical(doc)
		if err != nil {
			continue
		}
		out := jsjson.Stringify(v)
		if canonical {
			reported++
			if !bytes.Equal(out, doc) {
				t.Fatalf("document %d %q reported canonical, but Stringify gives %q", i, doc, out)
			}
		}

		again, canonical, err := jsjson.ParseCanonical(out)
		if err != nil {
			t.Fatalf("document %d: ParseCanonical of Stringify's output %q: %v", i, out, err)
		}
		if !bytes.Equal(jsjson.Stringify(again), out) {
			t.Fatalf("document %d: Stringify is not idempotent on %q", i, out)
		}
		if !canonical && !bytes.Contains(out, []byte(`\u`)) {
			t.Errorf("document %d: Stringify's output %q without \\u escapes reported not canonical", i, out)
		}
		stringified++
	}
	if reported == 0 || stringified < 1000 {
		t.Errorf("%d documents reported canonical and %d parsed, want some of the first and at least 1000", reported, stringified)
	}
}

func TestParseCanonicalHandPicked(t *testing.T) {
	for _, input := range handPickedInputs {
		v, canonical, err := jsjson.ParseCanonical([]byte(input))
		if err != nil || !canonical {
			continue
		}
		if out := jsjson.Stringify(v); string(out) != input {
			t.Errorf("%q reported canonical, but Stringify gives %q", input, out)
		}
	}
}
