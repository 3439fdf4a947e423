package logscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

// KnownSecrets lists the webhook secrets that the repository's tests
// configure or sign with. Secrets adds any whsec_ literal in the source tree
// that is missing here, so a new test secret is covered before it is listed.
var KnownSecrets = []string{
	"whsec_5f2b9c1e7a4d4e0b8c3a6f1d2e9b7a05",
	"whsec_a", "whsec_aGVsbG8=", "whsec_abc", "whsec_apigw_test", "whsec_apigw_unit_test",
	"whsec_attacker", "whsec_b", "whsec_before_rotation", "whsec_bench_load",
	"whsec_bench_requests", "whsec_current", "whsec_e2e_test_secret", "whsec_fault_tests_only",
	"whsec_flag", "whsec_hostile_current", "whsec_hostile_previous", "whsec_hostile_stranger",
	"whsec_ingest_benchmark", "whsec_ingest_unit_test", "whsec_new", "whsec_newer", "whsec_next",
	"whsec_old", "whsec_one", "whsec_other", "whsec_other_secret", "whsec_previous",
	"whsec_redrive_test_secret", "whsec_rie_first_secret", "whsec_rie_rotated_in",
	"whsec_rie_second_secret", "whsec_test_secret", "whsec_wrong", "whsec_x",
}

// secretLiteral matches a whsec_ secret in source text. The bare prefix is
// not a secret.
var secretLiteral = regexp.MustCompile(`whsec_[A-Za-z0-9_+/=.\-]+`)

// Secrets returns KnownSecrets, config.DevelopmentSecret and every whsec_
// literal in the .go and .sh files under root, sorted and without
// duplicates. Folders whose names start with a dot are skipped.
func Secrets(root string) ([]string, error) {
	found := append(slices.Clone(KnownSecrets), config.DevelopmentSecret)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || (filepath.Ext(path) != ".go" && filepath.Ext(path) != ".sh") {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, literal := range secretLiteral.FindAll(text, -1) {
			found = append(found, string(literal))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collect webhook secrets under %s: %w", root, err)
	}
	slices.Sort(found)
	return slices.Compact(found), nil
}

// Forbidden returns every value that must not appear in a test log: the
// secrets of Secrets(root), the signatures of each events/cobalt sample under
// each of them, and the PHI values of the samples. Signatures cover the body
// as sent and its JSON.stringify form, and every value is also listed in its
// JSON-escaped forms.
func Forbidden(root string) ([]Value, error) {
	secrets, err := Secrets(root)
	if err != nil {
		return nil, err
	}
	samples, err := events.Samples()
	if err != nil {
		return nil, err
	}

	var values []Value
	for _, secret := range secrets {
		values = append(values, Value{Text: secret, Kind: KindSecret, Source: "a test secret"})
	}
	for _, s := range samples {
		signatures, err := sampleSignatures(s, secrets)
		if err != nil {
			return nil, err
		}
		values = append(values, signatures...)
		phi, err := SamplePHI(s)
		if err != nil {
			return nil, err
		}
		values = append(values, phi...)
	}
	return withEscapedForms(values), nil
}

// sampleSignatures returns the signatures of s under each secret, in lower
// and upper case.
func sampleSignatures(s events.Sample, secrets []string) ([]Value, error) {
	canonical, err := s.Canonical()
	if err != nil {
		return nil, err
	}
	var values []Value
	for _, body := range [][]byte{s.Body, canonical} {
		for _, secret := range secrets {
			sig := signature.Sign(body, signature.Secret(secret))
			source := s.Name + " signed with a test secret"
			values = append(values,
				Value{Text: sig, Kind: KindSignature, Source: source},
				Value{Text: strings.ToUpper(sig), Kind: KindSignature, Source: source})
		}
	}
	return values, nil
}

// withEscapedForms adds, for each value that JSON escapes, the escaped text
// as encoding/json writes it (with and without HTML escaping), since a log
// line is JSON.
func withEscapedForms(values []Value) []Value {
	out := slices.Clone(values)
	for _, v := range values {
		for _, html := range []bool{false, true} {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(html)
			if err := enc.Encode(v.Text); err != nil {
				continue
			}
			escaped := strings.TrimSuffix(strings.TrimSpace(b.String()), `"`)
			escaped = strings.TrimPrefix(escaped, `"`)
			if escaped != v.Text {
				out = append(out, Value{Text: escaped, Kind: v.Kind, Source: v.Source + ", JSON-escaped"})
			}
		}
	}
	return out
}
