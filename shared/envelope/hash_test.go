package envelope_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

// TestContentHashSamples checks that each sample's hash is the SHA-256 of
// its JSON.stringify form, whether the body arrives pretty-printed or
// already in that form, which Parse hashes without re-serializing.
func TestContentHashSamples(t *testing.T) {
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	for _, sample := range samples {
		t.Run(sample.Name, func(t *testing.T) {
			compact, err := sample.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(compact)
			want := hex.EncodeToString(sum[:])
			for name, body := range map[string][]byte{"pretty": sample.Body, "compact": compact} {
				env, err := envelope.Parse(body)
				if err != nil {
					t.Fatalf("Parse %s: %v", name, err)
				}
				if env.ContentHash != want {
					t.Errorf("%s body: ContentHash %s, want %s", name, env.ContentHash, want)
				}
			}
		})
	}
}
