// Package envelope parses and validates Cobalt's event envelope, classifies
// event types and checks each known type's data fields against a catalogue.
//
// Parse is strict only where storage depends on it (id, type and a data
// object) and lenient everywhere else: a mismatch with the catalogue becomes
// a schema issue on the Envelope, never an error.
package envelope

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// Kind is the outcome class of an event: success, failure, partial and so on.
type Kind string

// Event kinds. Failure and partial events raise an alert.
const (
	KindSuccess Kind = "success"
	KindFailure Kind = "failure"
	KindPartial Kind = "partial"
	KindTest    Kind = "test"
	// KindUnknown is a type that is neither in the catalogue nor ends in a
	// failure or partial suffix.
	KindUnknown Kind = "unknown"
)

// MaxIDBytes is the longest event id accepted, in bytes.
const MaxIDBytes = 1024

// Envelope is a usable Cobalt event.
type Envelope struct {
	ID        string // id, a JSON number taken as its literal text
	Type      string
	Clinic    string // access_token_reference_id, "" when absent or not a string
	Object    string
	Created   string    // as sent
	CreatedAt time.Time // in UTC, zero when created is absent or unparsable
	JobID     string    // string form of job_id, "" when absent or null
	Data      jsjson.Value
	Category  string
	Kind      Kind
	Known     bool // Type is in the catalogue
	// SchemaIssues lists mismatches between data and the catalogue entry of
	// Type, such as a missing field or a field of the wrong JSON type.
	SchemaIssues []string
	// ContentHash is the SHA-256 hex of the JavaScript JSON.stringify form
	// of the body.
	ContentHash string
	// Root is the whole parsed body.
	Root jsjson.Value
}

// Invalid is returned for an authentic body that is not a usable envelope.
type Invalid struct {
	Reasons []string
}

func (e *Invalid) Error() string { return "unusable envelope" }

// invalidJSONReason names why body did not parse. Valid JSON nested deeper
// than jsjson.MaxDepth gets its own reason, because JavaScript's JSON.parse
// accepts it.
func invalidJSONReason(err error) string {
	var syntax *jsjson.SyntaxError
	if errors.As(err, &syntax) && strings.HasPrefix(syntax.Msg, "nesting deeper than") {
		return fmt.Sprintf("body nests arrays or objects deeper than %d levels", jsjson.MaxDepth)
	}
	return "body is not valid JSON"
}

// Parse parses body into an Envelope. It returns *Invalid, with every reason
// found, when body is not JSON, not an object, or lacks a usable id, type or
// data object. Reasons and schema issues name fields and JSON types only,
// never values from the body.
func Parse(body []byte) (*Envelope, error) {
	root, canonical, err := jsjson.ParseCanonical(body)
	if err != nil {
		return nil, &Invalid{Reasons: []string{invalidJSONReason(err)}}
	}
	if root.Kind != jsjson.Object {
		return nil, &Invalid{Reasons: []string{"body is not a JSON object"}}
	}

	var reasons []string
	id, reason := readID(root)
	if reason != "" {
		reasons = append(reasons, reason)
	}
	eventType, reason := readType(root)
	if reason != "" {
		reasons = append(reasons, reason)
	}
	data, reason := readData(root)
	if reason != "" {
		reasons = append(reasons, reason)
	}
	if len(reasons) > 0 {
		return nil, &Invalid{Reasons: reasons}
	}

	env := &Envelope{
		ID:   id,
		Type: eventType,
		Data: data,
		Root: root,
	}
	env.Category, env.Kind = Classify(eventType)
	_, env.Known = lookup(eventType)
	env.readOptional()
	env.SchemaIssues = capIssues(append(env.SchemaIssues, CheckData(eventType, data)...))

	// The hash covers the JSON.stringify form, so whitespace and escapes
	// never change it while member order, which JSON.stringify keeps, does.
	// A body already in that form, as Node.js senders post it, is hashed as
	// it is. Otherwise the form is built, and it is rarely longer than the
	// body.
	form := body
	if !canonical {
		form = jsjson.Append(make([]byte, 0, len(body)), root)
	}
	sum := sha256.Sum256(form)
	env.ContentHash = hex.EncodeToString(sum[:])
	return env, nil
}

// readID returns the event id, or a reason why root has no usable one.
func readID(root jsjson.Value) (string, string) {
	v, ok := root.Get("id")
	if !ok {
		return "", "id is missing"
	}

	var id string
	switch v.Kind {
	case jsjson.String:
		id = v.Str
	case jsjson.Number:
		id = v.Literal
	default:
		return "", "id must be a string or number, got " + kindName(v.Kind)
	}

	switch {
	case id == "":
		return "", "id is empty"
	case len(id) > MaxIDBytes:
		return "", fmt.Sprintf("id is longer than %d bytes", MaxIDBytes)
	case !utf8.ValidString(id):
		// A lone UTF-16 surrogate escape decodes to bytes that are not
		// UTF-8. The AWS SDK's JSON encoder (smithy-go) writes them as
		// U+FFFD, so distinct ids could share one key. Such an event goes
		// to quarantine instead.
		return "", "id is not valid UTF-8"
	}
	return id, ""
}

// readType returns the event type, or a reason why root has no usable one.
func readType(root jsjson.Value) (string, string) {
	v, ok := root.Get("type")
	switch {
	case !ok:
		return "", "type is missing"
	case v.Kind != jsjson.String:
		return "", "type must be a string, got " + kindName(v.Kind)
	case v.Str == "":
		return "", "type is empty"
	}
	return v.Str, ""
}

// readData returns the data object, or a reason why root has none.
func readData(root jsjson.Value) (jsjson.Value, string) {
	v, ok := root.Get("data")
	switch {
	case !ok:
		return jsjson.Value{}, "data is missing"
	case v.Kind != jsjson.Object:
		return jsjson.Value{}, "data must be an object, got " + kindName(v.Kind)
	}
	return v, ""
}

// readOptional fills the lenient envelope fields from e.Root and records a
// schema issue for each one present with an unexpected type or value.
func (e *Envelope) readOptional() {
	e.Clinic = e.optionalString("access_token_reference_id")
	e.Object = e.optionalString("object")
	if e.Object != "" && e.Object != "event" {
		e.SchemaIssues = append(e.SchemaIssues, `object: expected "event"`)
	}

	if _, ok := e.Root.Get("created"); !ok {
		e.SchemaIssues = append(e.SchemaIssues, "created is missing")
	}
	e.Created = e.optionalString("created")
	if e.Created != "" {
		t, ok := ParseTime(e.Created)
		if !ok {
			e.SchemaIssues = append(e.SchemaIssues, "created: not an ISO 8601 date-time")
		}
		e.CreatedAt = t
	}

	e.JobID = e.readJobID()
}

// optionalString returns the string member name of the root object, or ""
// with a schema issue when the member is present but not a string.
func (e *Envelope) optionalString(name string) string {
	v, ok := e.Root.Get(name)
	if !ok {
		return ""
	}
	if v.Kind != jsjson.String {
		e.SchemaIssues = append(e.SchemaIssues,
			fmt.Sprintf("%s: expected string, got %s", name, kindName(v.Kind)))
		return ""
	}
	return v.Str
}

// readJobID returns the string form of job_id: a string as sent, a number as
// its literal text, and "" for null, absent or any other type (with a schema
// issue for the other types).
func (e *Envelope) readJobID() string {
	v, ok := e.Root.Get("job_id")
	if !ok {
		return ""
	}
	switch v.Kind {
	case jsjson.String:
		return v.Str
	case jsjson.Number:
		return v.Literal
	case jsjson.Null:
		return ""
	}
	e.SchemaIssues = append(e.SchemaIssues,
		"job_id: expected string or number, got "+kindName(v.Kind))
	return ""
}

// kindName returns the JSON name of a value type, as used in reasons and
// schema issues.
func kindName(k jsjson.Kind) string {
	switch k {
	case jsjson.Null:
		return "null"
	case jsjson.Bool:
		return "boolean"
	case jsjson.Number:
		return "number"
	case jsjson.String:
		return "string"
	case jsjson.Array:
		return "array"
	case jsjson.Object:
		return "object"
	}
	return fmt.Sprintf("kind %d", int(k))
}
