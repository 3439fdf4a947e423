// Package apigw builds the API Gateway proxy events that Lambda passes to the
// ingest function for a Cobalt webhook request. HTTP API events use payload
// format 2.0 with header names in lower case. REST API events use payload
// format 1.0 with header names as the sender spelled them.
//
// Generate builds the JSON files in this folder, which `sam local invoke -e`
// accepts. Tests use the same builders to invoke the function under the
// Lambda Runtime Interface Emulator.
package apigw

//go:generate go run ./gen -out .

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/signature"
)

// Route of the webhook endpoint, as template.yaml declares it.
const (
	Path     = "/webhooks/cobalt"
	RouteKey = "ANY " + Path
)

// Fictional API Gateway identity of the events. The account id is the
// example id of AWS's documentation, and the source address lies in
// 203.0.113.0/24, which RFC 5737 reserves for documentation.
const (
	accountID  = "123456789012"
	apiID      = "a1b2c3d4e5"
	domainName = apiID + ".execute-api.us-east-1.amazonaws.com"
	sourceIP   = "203.0.113.10"
	restStage  = "prod"
	// timeLayout is the format of requestContext.time and requestTime.
	timeLayout = "02/Jan/2006:15:04:05 -0700"
)

// Delivery is one webhook request to wrap in an API Gateway event.
type Delivery struct {
	// Method is the HTTP method. Empty means POST.
	Method string
	// Body is the request body, exactly as sent.
	Body []byte
	// Secret is the key that signs Body into the cobalt-verification
	// header. Empty leaves the header out.
	Secret signature.Secret
	// Attempt is the webhook-attempt header. Zero means 1.
	Attempt int
	// Received is when API Gateway received the request. It sets
	// requestContext's time and epoch, from which the function counts its
	// response budget, and seeds the request and trace ids. Zero leaves the
	// time empty and the epoch 0, which the function takes to mean that it
	// counts from when the invocation arrives.
	Received time.Time
	// Base64 sends Body base64-encoded with isBase64Encoded set, as API
	// Gateway does for a binary media type.
	Base64 bool
}

// header is one request header, its name spelled as the sender spelled it.
type header struct {
	Name, Value string
}

// headers returns the request headers of d, names in canonical MIME case
// ("Webhook-Id"). The signature appears only when d has a secret, and
// webhook-id and webhook-timestamp only when the body has an id and a
// created time.
func (d Delivery) headers() []header {
	list := []header{
		{"Host", domainName},
		{"X-Amzn-Trace-Id", d.traceID()},
		{"X-Forwarded-For", sourceIP},
		{"X-Forwarded-Port", "443"},
		{"X-Forwarded-Proto", "https"},
	}
	if len(d.Body) > 0 {
		list = append(list,
			header{"Content-Type", "application/json"},
			header{"Content-Length", strconv.Itoa(len(d.Body))},
		)
	}
	if d.Secret != "" {
		list = append(list, header{"Cobalt-Verification", signature.Sign(d.Body, d.Secret)})
	}
	id, created := bodyIdentity(d.Body)
	if id != "" {
		list = append(list, header{"Webhook-Id", id})
	}
	if created != "" {
		list = append(list, header{"Webhook-Timestamp", created})
	}
	attempt := d.Attempt
	if attempt == 0 {
		attempt = 1
	}
	return append(list, header{"Webhook-Attempt", strconv.Itoa(attempt)})
}

func (d Delivery) method() string {
	if d.Method == "" {
		return http.MethodPost
	}
	return d.Method
}

// body returns the event's body field and isBase64Encoded flag.
func (d Delivery) body() (string, bool) {
	if d.Base64 {
		return base64.StdEncoding.EncodeToString(d.Body), true
	}
	return string(d.Body), false
}

// derive returns n bytes (at most 32) of a hash of label, the body, the
// method and the receive time. The request and trace ids come from it, so a
// file regenerates identically while deliveries at different times get
// different ids.
func (d Delivery) derive(label string, n int) []byte {
	h := sha256.New()
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write([]byte(d.method()))
	h.Write([]byte{0})
	if !d.Received.IsZero() {
		h.Write(strconv.AppendInt(nil, d.Received.UnixNano(), 10))
	}
	h.Write([]byte{0})
	h.Write(d.Body)
	return h.Sum(nil)[:n]
}

// traceID returns an X-Ray trace header value: a version, the receive time
// in hexadecimal epoch seconds and 96 bits of id.
func (d Delivery) traceID() string {
	millis, _ := d.receiveTime()
	return fmt.Sprintf("Root=1-%08x-%s", millis/1000, hex.EncodeToString(d.derive("trace", 12)))
}

// receiveTime returns requestContext's epoch in milliseconds and its time
// text, or 0 and "" when d.Received is zero.
func (d Delivery) receiveTime() (epochMillis int64, text string) {
	if d.Received.IsZero() {
		return 0, ""
	}
	return d.Received.UnixMilli(), d.Received.UTC().Format(timeLayout)
}

// bodyIdentity returns the body's id (a JSON number as its literal text)
// and created time, or empty strings when the body is not a JSON object
// with them.
func bodyIdentity(body []byte) (id, created string) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return "", ""
	}
	var n json.Number
	if json.Unmarshal(fields["id"], &id) != nil && json.Unmarshal(fields["id"], &n) == nil {
		id = n.String()
	}
	_ = json.Unmarshal(fields["created"], &created)
	return id, created
}

// marshal encodes an event as indented JSON ending in a newline, leaving
// <, > and & unescaped so that a body reads as it was sent.
func marshal(event any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(event); err != nil {
		return nil, fmt.Errorf("encode API Gateway event: %w", err)
	}
	return buf.Bytes(), nil
}
