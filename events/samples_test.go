package events_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// loadSamples returns the embedded samples or fails the test.
func loadSamples(t *testing.T) []events.Sample {
	t.Helper()
	samples, err := events.Samples()
	if err != nil {
		t.Fatalf("Samples: %v", err)
	}
	return samples
}

func TestSamplesCoverCatalogue(t *testing.T) {
	samples := loadSamples(t)

	count := map[string]int{}
	for _, s := range samples {
		count[s.Type]++
	}
	for _, spec := range envelope.Catalogue() {
		if count[spec.Type] != 1 {
			t.Errorf("type %s has %d samples, want 1", spec.Type, count[spec.Type])
		}
	}
	for _, s := range samples {
		if _, ok := envelope.Lookup(s.Type); !ok {
			t.Errorf("sample %s is not a catalogue type", s.Name)
		}
	}
}

func TestSamplesSortedByName(t *testing.T) {
	samples := loadSamples(t)
	if !slices.IsSortedFunc(samples, func(a, b events.Sample) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("samples are not sorted by name")
	}
	for _, s := range samples {
		if s.Name != s.Type+".json" {
			t.Errorf("Name %q and Type %q disagree", s.Name, s.Type)
		}
	}
}

func TestSamplesParse(t *testing.T) {
	ids := map[string]string{}
	for _, s := range loadSamples(t) {
		t.Run(s.Type, func(t *testing.T) {
			env, err := envelope.Parse(s.Body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if env.Type != s.Type {
				t.Errorf("Type = %q, want %q from the file name", env.Type, s.Type)
			}
			if len(env.SchemaIssues) != 0 {
				t.Errorf("SchemaIssues = %q", env.SchemaIssues)
			}
			if !env.Known {
				t.Error("Known = false")
			}
			if env.Object != "event" {
				t.Errorf("Object = %q, want event", env.Object)
			}
			if env.Clinic == "" {
				t.Error("access_token_reference_id is empty")
			}
			if env.CreatedAt.Year() != 2026 {
				t.Errorf("created year = %d, want 2026", env.CreatedAt.Year())
			}
			if other, ok := ids[env.ID]; ok {
				t.Errorf("id %s is also used by %s", env.ID, other)
			}
			ids[env.ID] = s.Name
		})
	}
}

func TestSamplesJobID(t *testing.T) {
	// Sync events report changes made directly in the EHR and carry no job id.
	withoutJob := []string{"appointment.updated", "test.event"}
	for _, s := range loadSamples(t) {
		env, err := envelope.Parse(s.Body)
		if err != nil {
			t.Fatalf("%s: Parse: %v", s.Name, err)
		}
		wantJob := !slices.Contains(withoutJob, s.Type)
		if got := env.JobID != ""; got != wantJob {
			t.Errorf("%s: has job_id %v, want %v", s.Name, got, wantJob)
		}
	}
}

func TestSamplesFailureDetail(t *testing.T) {
	for _, s := range loadSamples(t) {
		env, err := envelope.Parse(s.Body)
		if err != nil {
			t.Fatalf("%s: Parse: %v", s.Name, err)
		}
		if env.Kind != envelope.KindFailure && env.Kind != envelope.KindPartial {
			continue
		}
		if env.FailureText() == "" && len(env.Reasons()) == 0 {
			t.Errorf("%s: no failure text and no reasons", s.Name)
		}
		spec, _ := envelope.Lookup(s.Type)
		for _, r := range env.Reasons() {
			if !slices.Contains(spec.Codes, r.Code) {
				t.Errorf("%s: code %q is not documented for the type", s.Name, r.Code)
			}
			if r.Description == "" {
				t.Errorf("%s: code %s has no description", s.Name, r.Code)
			}
		}
	}
}

var (
	testMRN   = regexp.MustCompile(`^MRN-TEST-\d{4}$`)
	emailLike = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+`)
	phoneLike = regexp.MustCompile(`\(?\d{3}\)?[ .-]\d{3}-\d{4}`)
)

func TestSamplesUseFictionalData(t *testing.T) {
	for _, s := range loadSamples(t) {
		env, err := envelope.Parse(s.Body)
		if err != nil {
			t.Fatalf("%s: Parse: %v", s.Name, err)
		}
		for _, name := range []string{"mrn", "patient_mrn", "existing_mrn"} {
			v, ok := env.Data.Get(name)
			if ok && v.Kind == jsjson.String && !testMRN.MatchString(v.Str) {
				t.Errorf("%s: data.%s is not a test MRN", s.Name, name)
			}
		}
		text := string(s.Body)
		for _, email := range emailLike.FindAllString(text, -1) {
			if !strings.HasSuffix(email, "@example.com") {
				t.Errorf("%s: e-mail %q is not at example.com", s.Name, email)
			}
		}
		for _, phone := range phoneLike.FindAllString(text, -1) {
			if !strings.Contains(phone, "555") {
				t.Errorf("%s: phone %q is not a 555 number", s.Name, phone)
			}
		}
	}
}

func TestSamplesPrettyPrinted(t *testing.T) {
	for _, s := range loadSamples(t) {
		var compact, indented bytes.Buffer
		if err := json.Compact(&compact, s.Body); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		indented.WriteByte('\n')
		if !bytes.Equal(indented.Bytes(), s.Body) {
			t.Errorf("%s is not indented with 2 spaces and a final newline", s.Name)
		}
	}
}

func TestSampleCanonical(t *testing.T) {
	for _, s := range loadSamples(t) {
		got, err := s.Canonical()
		if err != nil {
			t.Fatalf("%s: Canonical: %v", s.Name, err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, s.Body); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		// The samples hold no numbers or characters that JSON.stringify
		// writes differently from a plain compaction.
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: Canonical() =\n%s\nwant\n%s", s.Name, got, want.Bytes())
		}
	}
}
