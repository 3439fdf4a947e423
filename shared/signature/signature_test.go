package signature_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

const testSecret signature.Secret = "whsec_5f2b9c1e7a4d4e0b8c3a6f1d2e9b7a05"

// compactEvent is a test.event as a Node sender posts it: already in
// JSON.stringify form, so its raw bytes are what was signed.
const compactEvent = `{"id":"test-event-1761057000000","access_token_reference_id":"clinic_1",` +
	`"object":"event","created":"2025-10-21T14:30:00.000Z","type":"test.event","data":{}}`

// request is one call to Verify.
type request struct {
	body    []byte
	header  string
	secrets []signature.Secret
}

func validRequest() request {
	return request{
		body:    []byte(compactEvent),
		header:  signature.Sign([]byte(compactEvent), testSecret),
		secrets: []signature.Secret{testSecret},
	}
}

// reserialized sets a body whose raw bytes differ from what the sender
// signed, and a header signed over signed.
func reserialized(body, signed string) func(*request) {
	return func(r *request) {
		r.body = []byte(body)
		r.header = signature.Sign([]byte(signed), testSecret)
	}
}

func TestVerifyMutations(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*request)
		method signature.Method
		err    error
	}{
		{"valid raw", func(*request) {}, signature.MethodRaw, nil},
		{"other body", func(r *request) {
			r.body = []byte(strings.Replace(compactEvent, "clinic_1", "clinic_2", 1))
		}, "", signature.ErrMismatch},
		{"body with one byte appended", func(r *request) { r.body = append(r.body, ' ') },
			signature.MethodReserialized, nil},
		{"other secret", func(r *request) { r.secrets = []signature.Secret{"whsec_other"} },
			"", signature.ErrMismatch},
		{"secret without whsec_ prefix", func(r *request) {
			r.secrets = []signature.Secret{testSecret[len("whsec_"):]}
		}, "", signature.ErrMismatch},
		{"header signed without whsec_ prefix", func(r *request) {
			r.header = signature.Sign(r.body, testSecret[len("whsec_"):])
		}, "", signature.ErrMismatch},
		{"header signed with other secret", func(r *request) {
			r.header = signature.Sign(r.body, "whsec_other")
		}, "", signature.ErrMismatch},
		{"empty header", func(r *request) { r.header = "" }, "", signature.ErrMissing},
		{"whitespace header", func(r *request) { r.header = " \t\r\n" }, "", signature.ErrMissing},
		{"truncated header", func(r *request) { r.header = r.header[:32] }, "", signature.ErrMalformed},
		{"63 characters", func(r *request) { r.header = r.header[:63] }, "", signature.ErrMalformed},
		{"65 characters", func(r *request) { r.header += "0" }, "", signature.ErrMalformed},
		{"128 characters", func(r *request) { r.header += r.header }, "", signature.ErrMalformed},
		{"non-hex character", func(r *request) { r.header = "g" + r.header[1:] }, "", signature.ErrMalformed},
		{"sha256= prefix", func(r *request) { r.header = "sha256=" + r.header }, "", signature.ErrMalformed},
		{"one digit changed", func(r *request) { r.header = flipFirstDigit(r.header) },
			"", signature.ErrMismatch},
		{"upper-case hex", func(r *request) { r.header = strings.ToUpper(r.header) },
			signature.MethodRaw, nil},
		{"whitespace-padded header", func(r *request) { r.header = " \t" + r.header + "\r\n" },
			signature.MethodRaw, nil},
		{"empty secret list", func(r *request) { r.secrets = nil }, "", signature.ErrNoSecrets},
		{"only empty secrets", func(r *request) { r.secrets = []signature.Secret{"", ""} },
			"", signature.ErrNoSecrets},
		{"empty secret list and no header", func(r *request) { r.secrets, r.header = nil, "" },
			"", signature.ErrNoSecrets},
		{"empty secret skipped", func(r *request) { r.secrets = []signature.Secret{"", testSecret} },
			signature.MethodRaw, nil},
		{"second of three secrets", func(r *request) {
			r.secrets = []signature.Secret{"whsec_old", testSecret, "whsec_next"}
		}, signature.MethodRaw, nil},
		{"re-serialized with second of two secrets", func(r *request) {
			reserialized(" "+compactEvent, compactEvent)(r)
			r.secrets = []signature.Secret{"whsec_old", testSecret}
		}, signature.MethodReserialized, nil},
		{"pretty-printed body", reserialized("{\n  \"id\": \"e1\",\n  \"data\": {}\n}\n",
			`{"id":"e1","data":{}}`), signature.MethodReserialized, nil},
		{"key order JavaScript reorders", reserialized(`{"b":1,"2":"x","a":2,"1":"y"}`,
			`{"1":"y","2":"x","b":1,"a":2}`), signature.MethodReserialized, nil},
		{"key order as written when JavaScript reorders", reserialized(`{"b": 1, "1": "y"}`,
			`{"b":1,"1":"y"}`), "", signature.ErrMismatch},
		{"duplicate keys", reserialized(`{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`),
			signature.MethodReserialized, nil},
		{"duplicate keys signed with first value", reserialized(`{"a":1,"b":2,"a":3}`,
			`{"a":1,"b":2}`), "", signature.ErrMismatch},
		{"1.0 signed as 1", reserialized(`{"n":1.0}`, `{"n":1}`), signature.MethodReserialized, nil},
		{"1.0 signed as written", reserialized(`{"n":1.0}`, `{"n":1.0}`), signature.MethodRaw, nil},
		{"escaped slash", reserialized(`{"url":"a\/b"}`, `{"url":"a/b"}`),
			signature.MethodReserialized, nil},
		{"unicode escapes", reserialized(`{"s":"\u00e9\u2028\u003c"}`, "{\"s\":\"é\u2028<\"}"),
			signature.MethodReserialized, nil},
		{"HTML escaped as Go does", reserialized(`{"s": "<&>"}`, `{"s":"\u003c\u0026\u003e"}`),
			"", signature.ErrMismatch},
		{"large number rounded", reserialized(`{"job_id": 123456789012345678901}`,
			`{"job_id":123456789012345680000}`), signature.MethodReserialized, nil},
		{"body not JSON", func(r *request) { r.body = []byte("id=1&type=test") },
			"", signature.ErrMismatch},
		{"body not JSON but signed raw", func(r *request) {
			r.body = []byte("id=1&type=test")
			r.header = signature.Sign(r.body, testSecret)
		}, signature.MethodRaw, nil},
		{"empty body signed", func(r *request) {
			r.body = nil
			r.header = signature.Sign(nil, testSecret)
		}, signature.MethodRaw, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.mutate(&r)
			method, err := signature.Verify(r.body, r.header, r.secrets)
			if !errors.Is(err, tt.err) {
				t.Errorf("Verify error = %v, want %v", err, tt.err)
			}
			if method != tt.method {
				t.Errorf("Verify method = %q, want %q", method, tt.method)
			}
		})
	}
}

func TestVerifyErrorOmitsHeaderAndSecret(t *testing.T) {
	r := validRequest()
	for _, header := range []string{r.header[:63], "z" + r.header[1:], flipFirstDigit(r.header)} {
		_, err := signature.Verify(r.body, header, r.secrets)
		if err == nil {
			t.Fatalf("Verify accepted header %q", header)
		}
		if strings.Contains(err.Error(), header[:16]) {
			t.Errorf("error %q quotes the header", err)
		}
		if strings.Contains(err.Error(), string(testSecret)) {
			t.Errorf("error %q quotes the secret", err)
		}
	}
}

func TestSign(t *testing.T) {
	// HMAC-SHA256 test case 2 of RFC 4231, with the key "Jefe".
	got := signature.Sign([]byte("what do ya want for nothing?"), "Jefe")
	want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestSignKeyIsSecretBytes(t *testing.T) {
	body := []byte(compactEvent)
	// The base64 decoding of the part after whsec_ is a different key.
	if signature.Sign(body, "whsec_aGVsbG8=") == signature.Sign(body, "hello") {
		t.Error("Sign decoded the secret as base64")
	}
	if signature.Sign(body, "whsec_abc") == signature.Sign(body, "abc") {
		t.Error("Sign dropped the whsec_ prefix")
	}
}

func TestSecretRedacted(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, testenv.LogWriter(t, "slog")), nil))
	logger.Info("config loaded", "secret", testSecret)

	outputs := map[string]string{
		"slog": logs.String(),
		"%v":   fmt.Sprintf("%v", testSecret),
		"%s":   fmt.Sprintf("%s", testSecret),
		"%q":   fmt.Sprintf("%q", testSecret),
		"%#v":  fmt.Sprintf("%#v", testSecret),
		"%+v":  fmt.Sprintf("%+v", struct{ S signature.Secret }{testSecret}),
	}
	for name, out := range outputs {
		if strings.Contains(out, string(testSecret)) || !strings.Contains(out, "redacted") {
			t.Errorf("%s output %q does not redact the secret", name, out)
		}
	}
}

// flipFirstDigit changes the first hex digit of a signature.
func flipFirstDigit(header string) string {
	if header[0] == '0' {
		return "1" + header[1:]
	}
	return "0" + header[1:]
}
