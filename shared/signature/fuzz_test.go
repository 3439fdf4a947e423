package signature_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/signature"
)

// FuzzVerify checks that Verify never panics, returns either a method or
// one of its documented errors, and always accepts a body signed with Sign
// by its raw bytes, in lower or upper case.
func FuzzVerify(f *testing.F) {
	r := validRequest()
	f.Add(r.body, r.header, string(testSecret))
	f.Add([]byte(`{"b":1,"1":2}`), strings.Repeat("0", 64), "whsec_x")
	f.Add([]byte("{\n\"a\": 1.0\n}"), signature.Sign([]byte(`{"a":1}`), "k"), "k")
	f.Add([]byte(`"\ud800"`), "  "+strings.Repeat("A", 64)+"\n", "")
	f.Add([]byte{0xff, 0xfe}, "zz", "key")
	f.Fuzz(func(t *testing.T, body []byte, header, secret string) {
		secrets := []signature.Secret{signature.Secret(secret)}
		method, err := signature.Verify(body, header, secrets)
		checkOutcome(t, method, err)

		if secret == "" {
			return
		}
		signed := signature.Sign(body, signature.Secret(secret))
		for _, h := range []string{signed, strings.ToUpper(signed)} {
			method, err := signature.Verify(body, h, secrets)
			if method != signature.MethodRaw || err != nil {
				t.Fatalf("Verify of a signed body = %q, %v; want raw", method, err)
			}
		}
	})
}

func checkOutcome(t *testing.T, method signature.Method, err error) {
	t.Helper()
	if err == nil {
		if method != signature.MethodRaw && method != signature.MethodReserialized {
			t.Fatalf("Verify returned method %q without error", method)
		}
		return
	}
	if method != "" {
		t.Fatalf("Verify returned method %q with error %v", method, err)
	}
	for _, known := range []error{signature.ErrMissing, signature.ErrMalformed,
		signature.ErrMismatch, signature.ErrNoSecrets} {
		if errors.Is(err, known) {
			return
		}
	}
	t.Fatalf("Verify returned undocumented error %v", err)
}
