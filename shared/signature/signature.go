// Package signature verifies the cobalt-verification header: a lower-case hex
// HMAC-SHA256 of the body keyed with the webhook secret's UTF-8 bytes.
//
// Cobalt's own receiving sample signs JSON.stringify(parsedBody) in Node.js
// rather than the bytes on the wire. Verify therefore tries the raw body
// first and then, only when that fails, the body re-serialized exactly as
// JSON.stringify would (see package jsjson).
package signature

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// HeaderName is the request header that carries the signature.
const HeaderName = "cobalt-verification"

// Method names what the matching signature was computed over.
type Method string

// The two messages a signature is checked against, in order.
const (
	MethodRaw          Method = "raw"
	MethodReserialized Method = "reserialized"
)

// Errors returned by Verify, possibly wrapped with detail that never
// includes the header or a secret. All of them mean the request is
// unauthenticated; ErrNoSecrets also means the receiver is misconfigured.
var (
	ErrMissing   = errors.New("signature header missing")
	ErrMalformed = errors.New("signature header malformed")
	ErrMismatch  = errors.New("signature does not match")
	ErrNoSecrets = errors.New("no webhook secret configured")
)

// Secret is a webhook secret. Its LogValue and String never reveal it.
type Secret string

// LogValue redacts the secret in slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// String redacts the secret in fmt output.
func (Secret) String() string { return "[redacted]" }

// GoString redacts the secret in fmt's %#v output, which bypasses String.
func (Secret) GoString() string { return "signature.Secret([redacted])" }

// Verify checks header against body for each non-empty secret: first the raw
// bytes, then the JavaScript JSON.stringify re-serialization of body when it
// is JSON. It returns the Method that matched, or an error matched by
// errors.Is:
//   - ErrNoSecrets when no secret is non-empty. Verify checks this first, so
//     a misconfiguration shows whatever the request.
//   - ErrMissing when the header is empty after trimming whitespace.
//   - ErrMalformed when the header is not 64 hexadecimal digits of either case.
//   - ErrMismatch when no secret produces the header.
func Verify(body []byte, header string, secrets []Secret) (Method, error) {
	keys := nonEmpty(secrets)
	if len(keys) == 0 {
		return "", ErrNoSecrets
	}
	want, err := decodeHeader(header)
	if err != nil {
		return "", err
	}
	if matchesAny(body, want, keys) {
		return MethodRaw, nil
	}
	canonical, err := jsjson.Canonical(body)
	if err != nil || bytes.Equal(canonical, body) {
		return "", ErrMismatch
	}
	if matchesAny(canonical, want, keys) {
		return MethodReserialized, nil
	}
	return "", ErrMismatch
}

// Sign returns the lower-case hex HMAC-SHA256 of body keyed with secret.
func Sign(body []byte, secret Secret) string {
	return hex.EncodeToString(mac(body, []byte(secret)))
}

// decodeHeader returns the 32 bytes of the header's hex digest.
func decodeHeader(header string) ([]byte, error) {
	h := strings.TrimSpace(header)
	if h == "" {
		return nil, ErrMissing
	}
	if len(h) != 2*sha256.Size {
		return nil, fmt.Errorf("%w: %d characters, want %d", ErrMalformed, len(h), 2*sha256.Size)
	}
	sum, err := hex.DecodeString(strings.ToLower(h))
	if err != nil {
		return nil, fmt.Errorf("%w: not hexadecimal", ErrMalformed)
	}
	return sum, nil
}

// nonEmpty returns the secrets' UTF-8 bytes, skipping empty secrets, which
// would make any body forgeable.
func nonEmpty(secrets []Secret) [][]byte {
	keys := make([][]byte, 0, len(secrets))
	for _, s := range secrets {
		if s != "" {
			keys = append(keys, []byte(s))
		}
	}
	return keys
}

// matchesAny reports whether the HMAC of message under one of keys equals
// want, comparing in constant time.
func matchesAny(message, want []byte, keys [][]byte) bool {
	for _, key := range keys {
		if hmac.Equal(mac(message, key), want) {
			return true
		}
	}
	return false
}

func mac(message, key []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(message)
	return h.Sum(nil)
}
