package logscan_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/infra/logscan"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

// repoRoot is the module root, two folders above this package.
const repoRoot = "../.."

func TestMatchWholeWords(t *testing.T) {
	tests := []struct {
		name  string
		value string
		line  string
		want  bool
	}{
		{"word alone", "Sam", "patient Sam here", true},
		{"at line start", "Sam", "Sam", true},
		{"inside a longer word", "Sam", "Sampleperson", false},
		{"after a letter", "Sam", "xSam", false},
		{"before an underscore", "Sam", "Sam_1", false},
		{"inside a non-ASCII word", "José", "Josée", false},
		{"non-ASCII word alone", "José", `"José"`, true},
		{"identifier in parentheses", "MRN-TEST-0005", "(MRN-TEST-0005)", true},
		{"identifier with a digit after", "MRN-TEST-0005", "MRN-TEST-00051", false},
		{"identifier with a letter before", "MRN-TEST-0005", "AMRN-TEST-0005", false},
		{"phone number", "(555) 555-0142", "call (555) 555-0142.", true},
		{"phone number after a letter", "(555) 555-0142", "x(555) 555-0142", true},
		{"phone number with a digit after", "(555) 555-0142", "(555) 555-01423", false},
		{"secret in a list", "whsec_new", "whsec_old,whsec_new", true},
		{"secret inside a longer one", "whsec_old", "whsec_older", false},
		{"secret ending in a symbol", "whsec_aGVsbG8=", `{"secret":"whsec_aGVsbG8="}`, true},
		{"two words", "Jane Placeholder", `{"msg":"Jane Placeholder"}`, true},
		{"two words split", "Jane Placeholder", "Jane  Placeholder", false},
		{"no word bytes", "()", "()", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := logscan.NewMatcher([]logscan.Value{{Text: tt.value, Kind: logscan.KindPHI}})
			got := len(m.Match([]byte(tt.line))) > 0
			if got != tt.want {
				t.Errorf("Match(%q) for %q = %v, want %v", tt.line, tt.value, got, tt.want)
			}
		})
	}
}

func TestMatchReportsEachValueOnce(t *testing.T) {
	m := logscan.NewMatcher([]logscan.Value{{Text: "Frank"}, {Text: "Frank Fictional"}, {Text: "Frank"}})
	got := m.Match([]byte("Frank Fictional and Frank"))
	if len(got) != 2 {
		t.Errorf("Match found %d values, want 2: %v", len(got), got)
	}
}

// writeFile writes text to name under dir, creating folders as needed.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// forbidden returns the forbidden values of the repository.
func forbidden(t *testing.T) []logscan.Value {
	t.Helper()
	values, err := logscan.Forbidden(repoRoot)
	if err != nil {
		t.Fatalf("Forbidden: %v", err)
	}
	return values
}

// TestScanDirFindsLeaks writes log lines that leak a secret, a signature and
// a name embedded in a sample's description, and checks that each is
// reported at its line.
func TestScanDirFindsLeaks(t *testing.T) {
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	sig := signature.Sign(samples[0].Body, config.DevelopmentSecret)
	dir := t.TempDir()
	writeFile(t, dir, "clean.log", `{"level":"INFO","msg":"webhook handled","statusCode":200}`+"\n")
	leaky := writeFile(t, dir, "nested/leaky.log", strings.Join([]string{
		`{"level":"INFO","msg":"webhook handled"}`,
		`{"level":"WARN","msg":"signature rejected","header":"` + sig + `"}`,
		`{"level":"ERROR","msg":"store write failed","error":"item for Frank Fictional too large"}`,
		`{"level":"DEBUG","msg":"config","secrets":"whsec_hostile_current"}`,
	}, "\n"))

	findings, err := logscan.ScanDir(dir, logscan.NewMatcher(forbidden(t)))
	if err != nil {
		t.Fatalf("ScanDir: %v", err)
	}
	want := map[int]logscan.Kind{2: logscan.KindSignature, 3: logscan.KindPHI, 4: logscan.KindSecret}
	got := map[int]logscan.Kind{}
	for _, f := range findings {
		if f.File != leaky {
			t.Errorf("finding in %s, want only %s", f.File, leaky)
		}
		got[f.Line] = f.Kind
		for _, value := range []string{sig, "Frank", "whsec_hostile_current"} {
			if strings.Contains(f.String(), value) {
				t.Errorf("finding %q repeats the forbidden value", f)
			}
		}
	}
	for line, kind := range want {
		if got[line] != kind {
			t.Errorf("line %d: found %q, want %q", line, got[line], kind)
		}
	}
	if _, ok := got[1]; ok {
		t.Errorf("line 1 reported, but it is clean")
	}
}

func TestScanDirNothingToScan(t *testing.T) {
	m := logscan.NewMatcher(nil)
	t.Run("missing folder", func(t *testing.T) {
		_, err := logscan.ScanDir(filepath.Join(t.TempDir(), "missing"), m)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ScanDir error = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("empty folder", func(t *testing.T) {
		_, err := logscan.ScanDir(t.TempDir(), m)
		if !errors.Is(err, logscan.ErrNoLogs) {
			t.Errorf("ScanDir error = %v, want ErrNoLogs", err)
		}
	})
	t.Run("empty files", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "a.log", "")
		writeFile(t, dir, "b/c.log", "")
		_, err := logscan.ScanDir(dir, m)
		if !errors.Is(err, logscan.ErrNoLogs) {
			t.Errorf("ScanDir error = %v, want ErrNoLogs", err)
		}
	})
}

// TestForbiddenCoversSamples checks, for every sample, that its signatures
// under the development secret and the values of its PHI fields are
// forbidden, reading the fields independently of the package.
func TestForbiddenCoversSamples(t *testing.T) {
	m := logscan.NewMatcher(forbidden(t))
	found := func(text string) bool { return len(m.Match([]byte(text))) > 0 }
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}

	fields := []string{"mrn", "patient_mrn", "existing_mrn", "first_name", "last_name", "patient_name",
		"date_of_birth", "email", "phone", "member_id"}
	phiValues := 0
	for _, s := range samples {
		canonical, err := s.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range [][]byte{s.Body, canonical} {
			if sig := signature.Sign(body, config.DevelopmentSecret); !found(sig) {
				t.Errorf("%s: signature under the development secret is not forbidden", s.Name)
			}
		}

		var doc struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(s.Body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, field := range fields {
			if v, ok := doc.Data[field].(string); ok && v != "" {
				phiValues++
				if !found(v) {
					t.Errorf("%s: value of data.%s is not forbidden", s.Name, field)
				}
			}
		}
	}
	if phiValues < 10 {
		t.Errorf("samples have %d PHI field values, want at least 10", phiValues)
	}

	// Values that only the samples' free text carries.
	for _, text := range []string{"Frank Fictional", "Fictional", "MRN-TEST-0005", "1975-05-05",
		"MRN-TEST-0013", "(555) 555-0100", "Testy McTestface"} {
		if !found(text) {
			t.Errorf("%q from a sample's free text is not forbidden", text)
		}
	}
	for _, text := range []string{"Example Family Clinic", "Dr. Alex Example", "clinic_test_01", "task.failed"} {
		if found(text) {
			t.Errorf("%q is forbidden, but it is not PHI", text)
		}
	}
}

func TestSecretsFindsLiterals(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "pkg/a_test.go", "package a\nconst s = \"whsec_made_up_for_this_test\" // whsec_\n")
	writeFile(t, root, "run.sh", "COBALT_WEBHOOK_SECRETS=whsec_from_a_script,whsec_second\n")
	writeFile(t, root, ".hidden/b_test.go", "package b\nconst s = \"whsec_in_a_hidden_folder\"\n")

	secrets, err := logscan.Secrets(root)
	if err != nil {
		t.Fatalf("Secrets: %v", err)
	}
	for _, want := range append([]string{"whsec_made_up_for_this_test", "whsec_from_a_script", "whsec_second",
		config.DevelopmentSecret}, logscan.KnownSecrets...) {
		if !slices.Contains(secrets, want) {
			t.Errorf("Secrets lacks %q", want)
		}
	}
	for _, unwanted := range []string{"whsec_", "whsec_in_a_hidden_folder"} {
		if slices.Contains(secrets, unwanted) {
			t.Errorf("Secrets contains %q", unwanted)
		}
	}
}
