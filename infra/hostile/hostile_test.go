package hostile_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

// hostileCase is one kind of hostile request and the outcome the contract
// requires.
type hostileCase struct {
	name string
	// before are sent first, and each must be stored: a response below
	// 300, or 400 for a quarantined body.
	before []delivery
	send   delivery
	// apigwOnly marks cases about API Gateway's base64 flag, which plain
	// HTTP does not have.
	apigwOnly bool
	want      want
}

// want is the expected outcome of a case's request.
type want struct {
	code   int
	status string
	// id is the response's id field, "" when the response has none.
	id string
	// record is the recordKey of the one record the request writes, ""
	// when it must leave the store exactly as it was.
	record string
	// raw is the raw body of that record; nil means the delivery's body.
	raw []byte
	// alert is the topic of the one alert line the request writes, ""
	// when it must write none.
	alert string
	// check makes further checks of the written record.
	check func(t *testing.T, rec *store.Record)
}

// The fixed parts of the envelopes the cases build.
const (
	clinic  = "clinic_hostile"
	created = "2026-03-01T10:00:00.000Z"
)

// envelopeJSON returns a compact envelope whose id, type and data are the
// given JSON texts, inserted unchanged.
func envelopeJSON(id, eventType, data string) []byte {
	return []byte(`{"id":` + id + `,"access_token_reference_id":"` + clinic + `","object":"event",` +
		`"created":"` + created + `","type":` + eventType + `,"job_id":"300900","data":` + data + `}`)
}

// quote returns s as a JSON string without HTML escaping. Invalid UTF-8
// becomes U+FFFD, so cases that need raw invalid bytes splice them in.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// event returns a valid envelope of eventType under id with the given data.
func event(id, eventType, data string) []byte {
	return envelopeJSON(quote(id), quote(eventType), data)
}

// taskFailed is the data of a task.failed event with one reason.
const taskFailed = `{"task_id":"task_hostile_1","failure_reason":"Assignee user_test_1 was not found",` +
	`"reasons":[{"code":"ASSIGNEE_NOT_FOUND","description":"Assignee user_test_1 was not found"}]}`

// taskCreated is the data of a task.created event.
const taskCreated = `{"task_id":"task_hostile_2","emr_task_id":"EMR-1","subject":"Call back",` +
	`"description":"Call the clinic back","assignee_user_id":"user_test_1"}`

// jsonContentType is the content type Cobalt is expected to send.
var jsonContentType = field{"Content-Type", "application/json"}

// signedWith returns a POST of body signed with secret, plus extra headers.
func signedWith(secret signature.Secret, body []byte, extra ...field) delivery {
	header := []field{jsonContentType, {signature.HeaderName, signature.Sign(body, secret)}}
	return delivery{body: body, header: append(header, extra...)}
}

// signed returns a POST of body signed with the current secret.
func signed(body []byte, extra ...field) delivery { return signedWith(currentSecret, body, extra...) }

// withSignature returns a POST of body whose signature header is sig.
func withSignature(body []byte, sig string) delivery {
	return delivery{body: body, header: []field{jsonContentType, {signature.HeaderName, sig}}}
}

// unsigned returns a POST of body with no signature header.
func unsigned(body []byte) delivery {
	return delivery{body: body, header: []field{jsonContentType}}
}

// withMethod returns a signed request of body with another method.
func withMethod(method string, body []byte) delivery {
	d := signed(body)
	d.method = method
	return d
}

// withHeaders returns a POST of body with exactly the given headers.
func withHeaders(body []byte, header ...field) delivery {
	return delivery{body: body, header: header}
}

func stored(id, topic string) want {
	return want{code: http.StatusOK, status: "stored", id: id, record: "stored/" + id, alert: topic}
}

func duplicate(id string) want {
	return want{code: http.StatusOK, status: "duplicate", id: id}
}

func quarantined(body []byte) want {
	id := quarantineID(body)
	return want{code: http.StatusBadRequest, status: "quarantined", id: id, record: "quarantined/" + id}
}

// conflicted expects body, sent under the stored id, to be kept as a
// conflict record named after its content hash.
func conflicted(t testing.TB, id string, body []byte) want {
	env, err := envelope.Parse(body)
	if err != nil {
		t.Fatalf("conflicting body does not parse: %v", err)
	}
	return want{code: http.StatusConflict, status: "conflict", id: id,
		record: "conflict/" + store.ConflictPrefix + env.ContentHash}
}

var (
	unauthorized = want{code: http.StatusUnauthorized, status: "unauthorized"}
	tooLarge     = want{code: http.StatusRequestEntityTooLarge, status: "too_large"}
	notAllowed   = want{code: http.StatusMethodNotAllowed, status: "method_not_allowed"}
)

func quarantineID(body []byte) string {
	sum := sha256.Sum256(body)
	return store.QuarantinePrefix + hex.EncodeToString(sum[:])
}

// withCheck returns w with a further check of the written record.
func withCheck(w want, check func(t *testing.T, rec *store.Record)) want {
	w.check = check
	return w
}

// hasSchemaIssues checks that the record lists schema issues.
func hasSchemaIssues(t *testing.T, rec *store.Record) {
	t.Helper()
	if len(rec.SchemaIssues) == 0 {
		t.Error("record has no schema issues, want at least one")
	}
}

// randomText returns n bytes of random base64 text, which no compression
// shrinks below three quarters of its size.
func randomText(t testing.TB, n int) string {
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)[:n]
}

// padTo returns a task.created event under id whose description fills
// the body to exactly size bytes, using filler(n) for n bytes of text.
func padTo(t testing.TB, id string, size int, filler func(n int) string) []byte {
	t.Helper()
	empty := len(event(id, "task.created", `{"task_id":"t1","description":""}`))
	body := event(id, "task.created", `{"task_id":"t1","description":"`+filler(size-empty)+`"}`)
	if len(body) != size {
		t.Fatalf("padded body has %d bytes, want %d", len(body), size)
	}
	return body
}

func nested(depth int, open, close string) string {
	return strings.Repeat(open, depth) + "1" + strings.Repeat(close, depth)
}

// manyKeys returns a data object with n members.
func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString(`{"task_id":"t1"`)
	for i := range n {
		fmt.Fprintf(&b, `,"k%d":%d`, i, i)
	}
	b.WriteString("}")
	return b.String()
}

// hostileCases returns the table. Every authentic body is stored somewhere
// (as an event, in quarantine or as a conflict) unless it is too large.
// Every unauthenticated one gets 401 and stores nothing.
func hostileCases(t testing.TB) []hostileCase {
	t.Helper()
	good := event("evt_hostile_1", "task.created", taskCreated)
	failed := event("evt_hostile_failed", "task.failed", taskFailed)
	reordered := []byte("{\n  \"type\": \"task.created\",\n  \"data\": " + taskCreated +
		",\n  \"object\": \"event\",\n  \"id\": \"evt_hostile_1\",\n  \"created\": \"" + created +
		"\",\n  \"access_token_reference_id\": \"" + clinic + "\",\n  \"job_id\": \"300900\"\n}\n")
	var spaced bytes.Buffer
	if err := json.Indent(&spaced, good, "", "\t"); err != nil {
		t.Fatal(err)
	}
	other := event("evt_hostile_1", "task.created", `{"task_id":"task_hostile_other"}`)
	truncated := good[:len(good)/2]
	oversize := bytes.Repeat([]byte("a"), ingest.MaxBodyBytes+1)
	limitGarbage := bytes.Repeat([]byte("a"), ingest.MaxBodyBytes)
	limitValid := padTo(t, "evt_hostile_limit", ingest.MaxBodyBytes, func(n int) string { return strings.Repeat("a", n) })
	limitRandom := padTo(t, "evt_hostile_random", ingest.MaxBodyBytes, func(n int) string { return randomText(t, n) })
	sig := signature.Sign(good, currentSecret)
	id1024 := strings.Repeat("i", envelope.MaxIDBytes)
	id1025 := strings.Repeat("i", envelope.MaxIDBytes+1)
	digits300 := "1" + strings.Repeat("0", 299)
	longDescription := strings.Repeat("The assignee could not be found. ", 500*1024/33)
	invalidBase64 := []byte("%%% not base64 %%%")
	b64 := []byte(base64.StdEncoding.EncodeToString(good))
	crlfType := "task\r\n\t\x07.failed"
	crlfClinic := "clinic\r\nBcc: ops@example.com\x00\x1b[31m"
	longType := strings.Repeat("x", 10*1024) + ".failed"

	cases := []hostileCase{
		// JSON syntax: authentic but unusable bodies are quarantined.
		{name: "malformed JSON", send: signed([]byte(`{"id":"evt_bad","type":task.created,"data":{}}`)),
			want: quarantined([]byte(`{"id":"evt_bad","type":task.created,"data":{}}`))},
		{name: "truncated JSON", send: signed(truncated), want: quarantined(truncated)},
		{name: "empty body", send: signed([]byte{}), want: quarantined([]byte{})},
		{name: "empty body unsigned", send: unsigned([]byte{}), want: unauthorized},
		{name: "array body", send: signed([]byte(`[{"id":"evt_array"}]`)), want: quarantined([]byte(`[{"id":"evt_array"}]`))},
		{name: "string body", send: signed([]byte(`"evt_string"`)), want: quarantined([]byte(`"evt_string"`))},
		{name: "number body", send: signed([]byte(`12345`)), want: quarantined([]byte(`12345`))},
		{name: "null body", send: signed([]byte(`null`)), want: quarantined([]byte(`null`))},
		{name: "true body", send: signed([]byte(`true`)), want: quarantined([]byte(`true`))},
		{name: "trailing data", send: signed(append(bytes.Clone(good), " x"...)), want: quarantined(append(bytes.Clone(good), " x"...))},
		{name: "two objects", send: signed(append(bytes.Clone(good), good...)), want: quarantined(append(bytes.Clone(good), good...))},
		{name: "byte order mark", send: signed(append([]byte("\ufeff"), good...)), want: quarantined(append([]byte("\ufeff"), good...))},

		// Text encoding.
		{name: "invalid UTF-8 in data string",
			send: signed(envelopeJSON(`"evt_utf8_value"`, `"task.created"`, "{\"task_id\":\"t\xff\xfe1\"}")),
			want: stored("evt_utf8_value", "")},
		{name: "invalid UTF-8 in data key",
			send: signed(envelopeJSON(`"evt_utf8_key"`, `"task.created"`, "{\"task_id\":\"t1\",\"k\xc3\":1}")),
			want: stored("evt_utf8_key", "")},
		{name: "invalid UTF-8 in id",
			send: signed(envelopeJSON("\"evt_utf8_\xff\"", `"task.created"`, taskCreated)),
			want: stored("evt_utf8_\uFFFD", "")},
		{name: "overlong UTF-8 in data",
			send: signed(envelopeJSON(`"evt_overlong"`, `"task.created"`, "{\"task_id\":\"t\xc0\xaf\xe0\x80\xaf\"}")),
			want: stored("evt_overlong", "")},
		{name: "overlong UTF-8 in id",
			send: signed(envelopeJSON("\"evt_overlong_\xc0\xae\"", `"task.created"`, taskCreated)),
			want: stored("evt_overlong_\uFFFD\uFFFD", "")},
		{name: "lone surrogate in id",
			send: signed(envelopeJSON(`"evt_\ud800"`, `"task.created"`, taskCreated)),
			want: quarantined(envelopeJSON(`"evt_\ud800"`, `"task.created"`, taskCreated))},
		{name: "lone surrogate in data",
			send: signed(envelopeJSON(`"evt_surrogate_data"`, `"task.created"`, `{"task_id":"t\udc00","x":"\ud83d"}`)),
			want: stored("evt_surrogate_data", "")},
		{name: "lone surrogate in failed type",
			send: signed(envelopeJSON(`"evt_surrogate_type"`, `"\ud800.failed"`, taskFailed)),
			want: stored("evt_surrogate_type", "other")},
		{name: "NUL escapes in id and data",
			send: signed(envelopeJSON(`"evt_nul\u0000x"`, `"task.failed"`, `{"task_id":"t\u0000","failure_reason":"a\u0000b"}`)),
			want: stored("evt_nul\x00x", "task")},
		{name: "raw NUL between tokens",
			send: signed([]byte("{\"id\":\"evt_raw_nul\",\x00\"type\":\"task.created\",\"data\":{}}")),
			want: quarantined([]byte("{\"id\":\"evt_raw_nul\",\x00\"type\":\"task.created\",\"data\":{}}"))},
		{name: "raw NUL in string",
			send: signed([]byte("{\"id\":\"evt_raw\x00nul\",\"type\":\"task.created\",\"data\":{}}")),
			want: quarantined([]byte("{\"id\":\"evt_raw\x00nul\",\"type\":\"task.created\",\"data\":{}}"))},

		// Structure and size.
		{name: "nesting of 10,000 levels in data",
			send: signed(event("evt_deep", "task.created", `{"x":`+nested(10000, "[", "]")+`}`)),
			want: quarantined(event("evt_deep", "task.created", `{"x":`+nested(10000, "[", "]")+`}`))},
		{name: "nesting of 100,000 levels",
			send: signed([]byte(nested(100000, `{"a":`, "}"))),
			want: quarantined([]byte(nested(100000, `{"a":`, "}")))},
		{name: "nesting within the parse limit",
			send: signed(event("evt_nested_ok", "task.failed", `{"x":`+nested(9000, "[", "]")+`,"reasons":[{"code":"X"}]}`)),
			want: stored("evt_nested_ok", "task")},
		{name: "huge number in data",
			send: signed(event("evt_huge_data", "task.created", `{"task_id":"t1","n":1e400,"m":-1e400,"d":`+digits300+`}`)),
			want: stored("evt_huge_data", "")},
		{name: "id 1e400", send: signed(envelopeJSON(`1e400`, `"task.created"`, taskCreated)), want: stored("1e400", "")},
		{name: "id of 300 digits", send: signed(envelopeJSON(digits300, `"task.created"`, taskCreated)), want: stored(digits300, "")},
		{name: "id twice", send: signed([]byte(`{"id":"evt_first","type":"task.created","id":"evt_second","data":{}}`)),
			want: stored("evt_second", "")},
		{name: "data twice, last an object",
			send: signed([]byte(`{"id":"evt_data_twice","type":"task.created","data":"x","data":{"task_id":"t1"}}`)),
			want: stored("evt_data_twice", "")},
		{name: "data twice, last a string",
			send: signed([]byte(`{"id":"evt_data_twice_2","type":"task.created","data":{},"data":"x"}`)),
			want: quarantined([]byte(`{"id":"evt_data_twice_2","type":"task.created","data":{},"data":"x"}`))},
		{name: "body of 1 MiB + 1", send: signed(oversize), want: tooLarge},
		{name: "body of 1 MiB + 1 unsigned", send: unsigned(oversize), want: tooLarge},
		{name: "body of 1 MiB not JSON", send: signed(limitGarbage), want: quarantined(limitGarbage)},
		{name: "body of 1 MiB unsigned", send: unsigned(limitGarbage), want: unauthorized},
		{name: "valid event of 1 MiB", send: signed(limitValid), want: stored("evt_hostile_limit", "")},
		{name: "incompressible event of 1 MiB", send: signed(limitRandom), want: tooLarge},
		{name: "500 KB description",
			send: signed(event("evt_long_text", "task.failed",
				`{"task_id":"t1","failure_reason":"`+longDescription+`","reasons":[{"code":"ASSIGNEE_NOT_FOUND","description":"`+longDescription+`"}]}`)),
			want: stored("evt_long_text", "task")},
		{name: "50,000 keys", send: signed(event("evt_many_keys", "task.created", manyKeys(50000))),
			want: stored("evt_many_keys", "")},

		// Signature header.
		{name: "signature missing", send: unsigned(good), want: unauthorized},
		{name: "signature empty", send: withSignature(good, ""), want: unauthorized},
		{name: "signature of 63 characters", send: withSignature(good, sig[:63]), want: unauthorized},
		{name: "signature of 65 characters", send: withSignature(good, sig+"0"), want: unauthorized},
		{name: "signature not hex", send: withSignature(good, strings.Repeat("z", 64)), want: unauthorized},
		{name: "signature with prefix", send: withSignature(good, "sha256="+sig), want: unauthorized},
		{name: "signature of another body", send: withSignature(good, signature.Sign(other, currentSecret)), want: unauthorized},
		{name: "signature with another secret", send: signedWith(strangerSecret, good), want: unauthorized},
		{name: "signature with the previous secret", send: signedWith(previousSecret, good), want: stored("evt_hostile_1", "")},
		{name: "signature in upper case", send: withSignature(good, strings.ToUpper(sig)), want: stored("evt_hostile_1", "")},
		{name: "signature with whitespace", send: withSignature(good, " \t"+sig+" "), want: stored("evt_hostile_1", "")},
		{name: "signature of the re-serialized body", send: withSignature(spaced.Bytes(), sig),
			want: withCheck(stored("evt_hostile_1", ""), func(t *testing.T, rec *store.Record) {
				if rec.SignatureMethod != string(signature.MethodReserialized) {
					t.Errorf("signature method = %q, want %q", rec.SignatureMethod, signature.MethodReserialized)
				}
			})},
		{name: "two signatures, first valid",
			send: withHeaders(good, jsonContentType, field{signature.HeaderName, sig},
				field{signature.HeaderName, signature.Sign(good, strangerSecret)}),
			want: stored("evt_hostile_1", "")},
		{name: "two signatures, second valid",
			send: withHeaders(good, jsonContentType, field{signature.HeaderName, signature.Sign(good, strangerSecret)},
				field{signature.HeaderName, sig}),
			want: stored("evt_hostile_1", "")},
		{name: "two signatures, neither valid",
			send: withHeaders(good, jsonContentType, field{signature.HeaderName, signature.Sign(good, strangerSecret)},
				field{signature.HeaderName, signature.Sign(other, currentSecret)}),
			want: unauthorized},
		{name: "five signatures, fifth valid",
			send: withHeaders(good, jsonContentType, field{signature.HeaderName, sig[:63]},
				field{signature.HeaderName, sig[:63]}, field{signature.HeaderName, sig[:63]},
				field{signature.HeaderName, sig[:63]}, field{signature.HeaderName, sig}),
			want: unauthorized},
		{name: "signature of 10 KB", send: withSignature(good, strings.Repeat(sig, 160)), want: unauthorized},
		{name: "header name in upper case",
			send: withHeaders(good, jsonContentType, field{"COBALT-VERIFICATION", sig}), want: stored("evt_hostile_1", "")},
		{name: "header name capitalized",
			send: withHeaders(good, jsonContentType, field{"Cobalt-Verification", sig}), want: stored("evt_hostile_1", "")},

		// Methods are checked before anything else.
		{name: "GET", send: withMethod(http.MethodGet, good), want: notAllowed},
		{name: "PUT", send: withMethod(http.MethodPut, good), want: notAllowed},
		{name: "DELETE", send: withMethod(http.MethodDelete, good), want: notAllowed},
		{name: "HEAD", send: withMethod(http.MethodHead, good), want: notAllowed},
		{name: "OPTIONS", send: withMethod(http.MethodOptions, good), want: notAllowed},
		{name: "PATCH", send: withMethod(http.MethodPatch, good), want: notAllowed},
		{name: "lower-case post", send: withMethod("post", good), want: notAllowed},
		{name: "PUT of 1 MiB + 1", send: withMethod(http.MethodPut, oversize), want: notAllowed},

		// Content types are not checked.
		{name: "content type text/plain",
			send: withHeaders(good, field{"Content-Type", "text/plain"}, field{signature.HeaderName, sig}),
			want: stored("evt_hostile_1", "")},
		{name: "content type form-encoded",
			send: withHeaders(good, field{"Content-Type", "application/x-www-form-urlencoded"}, field{signature.HeaderName, sig}),
			want: stored("evt_hostile_1", "")},
		{name: "no content type",
			send: withHeaders(good, field{signature.HeaderName, sig}), want: stored("evt_hostile_1", "")},
		{name: "content type with latin1 charset",
			send: withHeaders(good, field{"Content-Type", "application/json; charset=latin1"}, field{signature.HeaderName, sig}),
			want: stored("evt_hostile_1", "")},

		// API Gateway's base64 flag.
		{name: "base64 flag on a raw JSON body", apigwOnly: true,
			send: delivery{body: good, header: signed(good).header, encoding: asIsFlagged},
			want: stored("evt_hostile_1", "")},
		{name: "base64 body without the flag", apigwOnly: true,
			send: delivery{body: b64, header: signed(good).header, encoding: asIsUnflagged},
			want: unauthorized},
		{name: "base64 flag on invalid base64", apigwOnly: true,
			send: delivery{body: invalidBase64, header: signed(invalidBase64).header, encoding: asIsFlagged},
			want: quarantined(invalidBase64)},
		{name: "base64 flag on invalid base64 unsigned", apigwOnly: true,
			send: delivery{body: invalidBase64, header: []field{jsonContentType}, encoding: asIsFlagged},
			want: unauthorized},
		{name: "base64 body signed as text", apigwOnly: true,
			send: delivery{body: b64, header: signed(b64).header, encoding: asIsFlagged},
			want: quarantined(b64)},
		{name: "base64 body decoding to 1 MiB + 1", apigwOnly: true,
			send: delivery{body: []byte(base64.StdEncoding.EncodeToString(oversize)), header: signed(oversize).header,
				encoding: asIsFlagged},
			want: tooLarge},

		// Types and classification.
		{name: "unknown type", send: signed(event("evt_unknown", "foo.bar", `{}`)), want: stored("evt_unknown", "")},
		{name: "unknown failed type", send: signed(event("evt_unknown_failed", "foo.bar_failed", `{}`)),
			want: stored("evt_unknown_failed", "other")},
		{name: "unknown partial type", send: signed(event("evt_unknown_partial", "foo.created_partial", `{}`)),
			want: stored("evt_unknown_partial", "other")},
		{name: "test event", send: signed(event("test-event-1", "test.event", `{"message":"hi"}`)),
			want: stored("test-event-1", "")},
		{name: "type with control characters",
			send: signed(event("evt_crlf_type", crlfType, taskFailed)), want: stored("evt_crlf_type", "other")},
		{name: "clinic with control characters",
			send: signed([]byte(strings.Replace(string(failed), quote(clinic), quote(crlfClinic), 1))),
			want: stored("evt_hostile_failed", "task")},
		{name: "10 KB failed type", send: signed(event("evt_long_type", longType, `{}`)),
			want: stored("evt_long_type", "other")},

		// Envelope fields.
		{name: "id missing", send: signed([]byte(`{"type":"task.created","data":{}}`)),
			want: quarantined([]byte(`{"type":"task.created","data":{}}`))},
		{name: "type missing", send: signed([]byte(`{"id":"evt_no_type","data":{}}`)),
			want: quarantined([]byte(`{"id":"evt_no_type","data":{}}`))},
		{name: "data missing", send: signed([]byte(`{"id":"evt_no_data","type":"task.created"}`)),
			want: quarantined([]byte(`{"id":"evt_no_data","type":"task.created"}`))},
		{name: "id 12345", send: signed(envelopeJSON(`12345`, `"task.created"`, taskCreated)), want: stored("12345", "")},
		{name: "id 1.5e3", send: signed(envelopeJSON(`1.5e3`, `"task.created"`, taskCreated)), want: stored("1.5e3", "")},
		{name: "id object", send: signed(envelopeJSON(`{"v":"evt"}`, `"task.created"`, taskCreated)),
			want: quarantined(envelopeJSON(`{"v":"evt"}`, `"task.created"`, taskCreated))},
		{name: "id array", send: signed(envelopeJSON(`["evt"]`, `"task.created"`, taskCreated)),
			want: quarantined(envelopeJSON(`["evt"]`, `"task.created"`, taskCreated))},
		{name: "id true", send: signed(envelopeJSON(`true`, `"task.created"`, taskCreated)),
			want: quarantined(envelopeJSON(`true`, `"task.created"`, taskCreated))},
		{name: "id null", send: signed(envelopeJSON(`null`, `"task.created"`, taskCreated)),
			want: quarantined(envelopeJSON(`null`, `"task.created"`, taskCreated))},
		{name: "id empty", send: signed(envelopeJSON(`""`, `"task.created"`, taskCreated)),
			want: quarantined(envelopeJSON(`""`, `"task.created"`, taskCreated))},
		{name: "id of 1024 bytes", send: signed(event(id1024, "task.created", taskCreated)), want: stored(id1024, "")},
		{name: "id of 1025 bytes", send: signed(event(id1025, "task.created", taskCreated)),
			want: quarantined(event(id1025, "task.created", taskCreated))},
		{name: "id with path characters", send: signed(event("../evt/%2e?x#y", "task.created", taskCreated)),
			want: stored("../evt/%2e?x#y", "")},
		{name: "id that looks like a quarantine id", send: signed(event(quarantineID(good), "task.created", taskCreated)),
			want: stored(quarantineID(good), "")},
		{name: "type empty", send: signed(envelopeJSON(`"evt_type_empty"`, `""`, taskCreated)),
			want: quarantined(envelopeJSON(`"evt_type_empty"`, `""`, taskCreated))},
		{name: "type number", send: signed(envelopeJSON(`"evt_type_number"`, `5`, taskCreated)),
			want: quarantined(envelopeJSON(`"evt_type_number"`, `5`, taskCreated))},
		{name: "data string", send: signed(event("evt_data_string", "task.created", `"x"`)),
			want: quarantined(event("evt_data_string", "task.created", `"x"`))},
		{name: "data array", send: signed(event("evt_data_array", "task.created", `[]`)),
			want: quarantined(event("evt_data_array", "task.created", `[]`))},
		{name: "data null", send: signed(event("evt_data_null", "task.created", `null`)),
			want: quarantined(event("evt_data_null", "task.created", `null`))},
		{name: "wrong field types in data",
			send: signed(event("evt_wrong_types", "appointment.failed",
				`{"appointment_id":17,"mrn":["x"],"failure_reason":{},"reasons":"PATIENT_NOT_FOUND"}`)),
			want: withCheck(stored("evt_wrong_types", "appointment"), hasSchemaIssues)},
		{name: "created far in the future",
			send: signed([]byte(strings.Replace(string(good), created, "9999-12-31T23:59:59.999Z", 1))),
			want: stored("evt_hostile_1", "")},
		{name: "created unparsable",
			send: signed([]byte(strings.Replace(string(good), created, "yesterday at noon", 1))),
			want: withCheck(stored("evt_hostile_1", ""), hasSchemaIssues)},
		{name: "job_id number",
			send: signed([]byte(strings.Replace(string(good), `"300900"`, `300900`, 1))),
			want: withCheck(stored("evt_hostile_1", ""), func(t *testing.T, rec *store.Record) {
				if rec.JobID != "300900" {
					t.Errorf("job id = %q, want %q", rec.JobID, "300900")
				}
			})},
		{name: "job_id object",
			send: signed([]byte(strings.Replace(string(failed), `"300900"`, `{"id":300900}`, 1))),
			want: withCheck(stored("evt_hostile_failed", "task"), func(t *testing.T, rec *store.Record) {
				hasSchemaIssues(t, rec)
				if rec.JobID != "" {
					t.Errorf("job id = %q, want none", rec.JobID)
				}
			})},

		// Delivery headers and repeats.
		{name: "garbage attempt header",
			send: signed(good, field{"webhook-attempt", "☃ 1; DROP TABLE events\t" + strings.Repeat("9", 4096)}),
			want: stored("evt_hostile_1", "")},
		{name: "webhook-id of 10 KB",
			send: signed(good, field{"webhook-id", strings.Repeat("w", 10*1024)}), want: stored("evt_hostile_1", "")},
		{name: "webhook-id disagrees with the body",
			send: signed(good, field{"webhook-id", "evt_someone_else"}), want: stored("evt_hostile_1", "")},
		{name: "replay", before: []delivery{signed(good)}, send: signed(good), want: duplicate("evt_hostile_1")},
		{name: "replay of a failure", before: []delivery{signed(failed)}, send: signed(failed),
			want: duplicate("evt_hostile_failed")},
		{name: "replay of a quarantined body", before: []delivery{signed(truncated)}, send: signed(truncated),
			want: want{code: http.StatusBadRequest, status: "quarantined", id: quarantineID(truncated)}},
		{name: "same id, other content", before: []delivery{signed(good)}, send: signed(other),
			want: conflicted(t, "evt_hostile_1", other)},
		{name: "same id, keys reordered and spaced", before: []delivery{signed(good)}, send: signed(reordered),
			want: conflicted(t, "evt_hostile_1", reordered)},
		{name: "same id, only spaced", before: []delivery{signed(good)}, send: signed(spaced.Bytes()),
			want: duplicate("evt_hostile_1")},
		{name: "replay unsigned", before: []delivery{signed(good)}, send: unsigned(other), want: unauthorized},
	}
	return cases
}

// TestHostile sends every case through every transport, each case to its
// own empty receiver, and checks the response, the store and the alert log.
func TestHostile(t *testing.T) {
	cases := hostileCases(t)
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("case name %q is used twice", c.name)
		}
		seen[c.name] = true
	}

	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			if tr.dynamo {
				// Skips, or fails when stand-ins are required, once for all cases.
				testenv.DynamoDBURL(t)
			}
			for _, c := range cases {
				if c.apigwOnly && !tr.apigw {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					runCase(t, tr, c)
				})
			}
		})
	}
}

func runCase(t *testing.T, tr transport, c hostileCase) {
	e := newEnvironment(t, tr)
	for i, d := range c.before {
		if r := tr.send(t, e, d); r.code >= 300 && r.code != http.StatusBadRequest {
			t.Fatalf("request %d before the case = %d %s", i+1, r.code, r.body)
		}
	}
	recordsBefore := snapshot(t, e.store)
	alertsBefore := alertLines(t, e.alertPath)

	r := tr.send(t, e, c.send)

	checkReply(t, tr, c, r)
	checkRecords(t, c, recordsBefore, snapshot(t, e.store))
	checkAlerts(t, c, alertsBefore, alertLines(t, e.alertPath))
	if e.server != nil && c.want.record != "" {
		checkRecordView(t, e, c)
	}
}

// checkRecordView checks that local mode's GET /events/{id} returns the
// written record with the raw bytes sent.
func checkRecordView(t *testing.T, e *environment, c hostileCase) {
	t.Helper()
	_, id, _ := strings.Cut(c.want.record, "/")
	resp, err := e.server.Client().Get(e.server.URL + "/events/" + url.PathEscape(id))
	if err != nil {
		t.Fatalf("GET record: %v", err)
	}
	defer resp.Body.Close()
	var view struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		RawBase64 string `json:"raw_base64"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil {
		t.Fatalf("GET record: response is not JSON: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET record = %d, want 200", resp.StatusCode)
	}
	if view.ID != id {
		t.Errorf("GET record: id = %.80q, want %.80q", view.ID, id)
	}
	raw := c.want.raw
	if raw == nil {
		raw = c.send.body
	}
	if view.RawBase64 != base64.StdEncoding.EncodeToString(raw) {
		t.Errorf("GET record: raw_base64 differs from the body sent")
	}
}

// checkReply checks the status code and the JSON response body.
func checkReply(t *testing.T, tr transport, c hostileCase, r reply) {
	t.Helper()
	w := c.want
	if r.code != w.code {
		t.Errorf("status code = %d, want %d (response %.200s)", r.code, w.code, r.body)
	}
	if w.code == http.StatusMethodNotAllowed && r.header.Get("Allow") != http.MethodPost {
		t.Errorf("Allow header = %q, want %q", r.header.Get("Allow"), http.MethodPost)
	}
	if c.send.method == http.MethodHead && !tr.apigw {
		// An HTTP response to HEAD has no body.
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}

	var a map[string]any
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatalf("response %.200q is not a JSON object: %v", r.body, err)
	}
	for key := range a {
		if !slices.Contains([]string{"status", "id", "conflict_id", "errors"}, key) {
			t.Errorf("response has unexpected field %q", key)
		}
	}
	if a["status"] != w.status {
		t.Errorf("status = %v, want %q", a["status"], w.status)
	}
	id, hasID := a["id"]
	switch {
	case w.id == "" && hasID:
		t.Errorf("response has id %v, want none", id)
	case w.id != "" && id != w.id:
		t.Errorf("response id = %.80q, want %.80q", id, w.id)
	}
	errs, _ := a["errors"].([]any)
	if (w.status == "quarantined") != (len(errs) > 0) {
		t.Errorf("response errors = %v, want some exactly when quarantined", a["errors"])
	}
	if w.status == "conflict" {
		if got := "conflict/" + fmt.Sprint(a["conflict_id"]); got != w.record {
			t.Errorf("conflict_id names %q, want %q", got, w.record)
		}
	}
}

// checkRecords checks that the request wrote exactly the expected record
// and changed nothing else.
func checkRecords(t *testing.T, c hostileCase, before, after map[string]*store.Record) {
	t.Helper()
	changed, removed := changes(before, after)
	if len(removed) > 0 {
		t.Errorf("records removed: %q", removed)
	}
	if c.want.record == "" {
		for _, rec := range changed {
			t.Errorf("request wrote record %.80q (status %s), want no change", rec.ID, rec.Status)
		}
		return
	}
	if len(changed) != 1 {
		keys := make([]string, 0, len(changed))
		for _, rec := range changed {
			keys = append(keys, fmt.Sprintf("%.80s", recordKey(rec)))
		}
		t.Fatalf("request wrote %d records %q, want only %.80q", len(changed), keys, c.want.record)
	}
	rec := changed[0]
	if recordKey(rec) != c.want.record {
		t.Fatalf("request wrote %.80q, want %.80q", recordKey(rec), c.want.record)
	}
	raw := c.want.raw
	if raw == nil {
		raw = c.send.body
	}
	if !bytes.Equal(rec.Raw, raw) {
		t.Errorf("record raw body differs from the body sent: %d bytes, want %d", len(rec.Raw), len(raw))
	}
	if c.want.check != nil {
		c.want.check(t, rec)
	}
}

// checkAlerts checks that the request wrote the expected alert line, if
// any, and that its subject and attributes are ones SNS accepts.
func checkAlerts(t *testing.T, c hostileCase, before, after []alertLine) {
	t.Helper()
	added := after[min(len(before), len(after)):]
	if c.want.alert == "" {
		if len(added) > 0 {
			t.Errorf("request wrote %d alert lines, want none", len(added))
		}
		return
	}
	if len(added) != 1 {
		t.Fatalf("request wrote %d alert lines, want 1 on topic %q", len(added), c.want.alert)
	}
	line := added[0]
	if line.Topic != c.want.alert {
		t.Errorf("alert topic = %q, want %q", line.Topic, c.want.alert)
	}
	if id := strings.TrimPrefix(c.want.record, "stored/"); line.EventID != id {
		t.Errorf("alert event id = %.80q, want %.80q", line.EventID, id)
	}
	if err := validSubject(line.Subject); err != nil {
		t.Errorf("alert subject %q: %v", line.Subject, err)
	}
	for name, value := range line.Attributes {
		if err := validAttribute(value); err != nil {
			t.Errorf("alert attribute %s: %v", name, err)
		}
	}
	if len(line.Message) == 0 || len(line.Message) > 256*1024 {
		t.Errorf("alert message has %d bytes, want 1 to 262144", len(line.Message))
	}
}

// validSubject returns why SNS would reject s as a subject: it must be
// printable ASCII, start with a letter, digit or punctuation mark, and be
// shorter than 100 characters.
func validSubject(s string) error {
	if s == "" || len(s) >= 100 {
		return fmt.Errorf("has %d characters, want 1 to 99", len(s))
	}
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("byte %d is %#x, not printable ASCII", i, s[i])
		}
	}
	if s[0] == ' ' {
		return fmt.Errorf("starts with a space")
	}
	return nil
}

// validAttribute returns why SNS would reject a message attribute value: a
// String value must be non-empty and hold only the characters XML 1.0
// allows, and a String.Array must hold such strings.
func validAttribute(value any) error {
	switch v := value.(type) {
	case string:
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("value is empty")
		}
		for i, r := range v {
			if !xmlChar(r) || (r == utf8.RuneError && !strings.HasPrefix(v[i:], "\uFFFD")) {
				return fmt.Errorf("character %q at byte %d is not allowed", r, i)
			}
		}
		return nil
	case []any:
		if len(v) == 0 {
			return fmt.Errorf("array is empty")
		}
		for i, item := range v {
			if err := validAttribute(item); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		return nil
	}
	return fmt.Errorf("value %v is neither a string nor an array", value)
}

// xmlChar reports whether r is a character XML 1.0 allows.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}
