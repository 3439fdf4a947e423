// Package signature verifies the cobalt-verification header: a lower-case hex
// HMAC-SHA256 of the body keyed with the webhook secret's UTF-8 bytes.
package signature

import (
	"errors"
	"log/slog"
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

// Errors returned by Verify. All of them mean the request is unauthenticated.
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

// Verify checks header against body for each secret: first the raw bytes, then
// the JavaScript JSON.stringify re-serialization of body when it is JSON.
func Verify(body []byte, header string, secrets []Secret) (Method, error) {
	return "", ErrMismatch
}

// Sign returns the lower-case hex HMAC-SHA256 of body keyed with secret.
func Sign(body []byte, secret Secret) string { return "" }
