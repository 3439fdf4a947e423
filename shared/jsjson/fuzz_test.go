package jsjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// addSeeds adds hand-picked and generated inputs to the fuzz corpus, on top
// of the files under testdata/fuzz.
func addSeeds(f *testing.F) {
	for _, s := range handPickedInputs {
		f.Add([]byte(s))
	}
	g := newGenerator(7)
	for range 20 {
		f.Add([]byte(g.document()))
	}
}

// FuzzParse checks that Parse never panics, that it fails only with a
// *SyntaxError, and that whatever it accepts stringifies to valid UTF-8
// JSON that Parse accepts again. A text that ParseCanonical reports
// canonical must be exactly what Stringify writes.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		v, err := jsjson.Parse(input)
		if err != nil {
			var syntaxErr *jsjson.SyntaxError
			if !errors.As(err, &syntaxErr) {
				t.Fatalf("Parse error %T %v, want *SyntaxError", err, err)
			}
			return
		}
		out := jsjson.Stringify(v)
		if !utf8.Valid(out) {
			t.Fatalf("Stringify output %q is not valid UTF-8", out)
		}
		if !json.Valid(out) {
			t.Fatalf("Stringify output %q is not valid JSON", out)
		}
		if _, err := jsjson.Parse(out); err != nil {
			t.Fatalf("Parse of Stringify output %q: %v", out, err)
		}
		if _, canonical, _ := jsjson.ParseCanonical(input); canonical && !bytes.Equal(out, input) {
			t.Fatalf("ParseCanonical reported %q canonical, but Stringify gives %q", input, out)
		}
	})
}

// FuzzCanonical checks that Canonical is idempotent: its output is already
// in canonical form.
func FuzzCanonical(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		once, err := jsjson.Canonical(input)
		if err != nil {
			return
		}
		twice, err := jsjson.Canonical(once)
		if err != nil {
			t.Fatalf("Canonical of canonical %q: %v", once, err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("Canonical not idempotent:\nonce  %q\ntwice %q", once, twice)
		}
	})
}
