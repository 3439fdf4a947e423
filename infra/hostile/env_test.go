package hostile_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/alertlog"
	"github.com/clinicops/cobalt-receiver/shared/apigw"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
	"github.com/clinicops/cobalt-receiver/shared/store/embedded"
)

// Webhook secrets the receiver under test accepts; both are active, as
// during a rotation.
const (
	currentSecret  signature.Secret = "whsec_hostile_current"
	previousSecret signature.Secret = "whsec_hostile_previous"
	// strangerSecret is not configured: signatures made with it are forged.
	strangerSecret signature.Secret = "whsec_hostile_stranger"
)

// field is one request header line; a name may occur more than once.
type field struct{ name, value string }

// bodyEncoding is the way an API Gateway event carries the body.
type bodyEncoding int

const (
	// encodeAuto lets the transport choose: plain text when the body is
	// valid UTF-8, base64 otherwise, or always base64 on the base64
	// transport.
	encodeAuto bodyEncoding = iota
	// asIsFlagged sends the body text unchanged with isBase64Encoded true.
	asIsFlagged
	// asIsUnflagged sends the body text unchanged with isBase64Encoded
	// false.
	asIsUnflagged
)

// delivery is one request as a sender built it.
type delivery struct {
	method   string // "" means POST
	body     []byte
	header   []field
	encoding bodyEncoding
}

func (d delivery) httpMethod() string {
	if d.method == "" {
		return http.MethodPost
	}
	return d.method
}

// reply is the response a transport returned.
type reply struct {
	code   int
	header http.Header
	body   []byte
}

// transport delivers requests to a handler the way one entry point does.
type transport struct {
	name string
	// apigw marks API Gateway transports, which alone carry a base64 flag.
	apigw bool
	// dynamo puts the handler's records in DynamoDB Local instead of the
	// embedded store.
	dynamo bool
	send   func(t *testing.T, e *environment, d delivery) reply
}

// transports lists every entry point the table runs through.
var transports = []transport{
	{name: "local http", send: sendHTTP},
	{name: "apigw v2", apigw: true, send: sendV2(false)},
	{name: "apigw v2 base64", apigw: true, send: sendV2(true)},
	{name: "apigw v1", apigw: true, send: sendV1},
	{name: "apigw v2 dynamodb", apigw: true, dynamo: true, send: sendV2(false)},
}

// environment is one receiver with its own empty store and alert log.
type environment struct {
	store     store.Store
	alertPath string
	handler   *ingest.Handler
	lambda    func(context.Context, json.RawMessage) (any, error)
	server    *httptest.Server
}

// newEnvironment builds a receiver for tr: the handler local mode and the
// Lambda function share, over an embedded store (or DynamoDB Local) and an
// alert log in a temporary folder.
func newEnvironment(t *testing.T, tr transport) *environment {
	t.Helper()
	dir := t.TempDir()
	e := &environment{alertPath: filepath.Join(dir, localserver.AlertLogFile)}
	if tr.dynamo {
		e.store = newDynamoStore(t)
	} else {
		st, err := embedded.Open(filepath.Join(dir, localserver.StoreFile))
		if err != nil {
			t.Fatalf("open embedded store: %v", err)
		}
		t.Cleanup(func() { _ = st.Close() })
		e.store = st
	}
	alerts, err := alertlog.Open(e.alertPath)
	if err != nil {
		t.Fatalf("open alert log: %v", err)
	}
	t.Cleanup(func() { _ = alerts.Close() })

	logger := testenv.Logger(t)
	e.handler = &ingest.Handler{
		Store:      e.store,
		Publisher:  alerts,
		Secrets:    secrets.Static{currentSecret, previousSecret},
		Alerts:     alert.Options{},
		AlertLease: 30 * time.Second,
		// Deadlines are tested in infra/faults; here a loaded machine must
		// not turn a 50,000-key body into a 503.
		AnswerBudget: func(string) time.Duration { return time.Minute },
		Logger:       logger,
		Metrics:      metrics.Discard{},
		Now:          time.Now,
	}
	e.lambda = apigw.Handler(e.handler)
	if !tr.apigw {
		e.server = httptest.NewServer(localserver.NewMux(e.handler, e.store, nil, logger))
		t.Cleanup(e.server.Close)
	}
	return e
}

// newDynamoStore creates a table in DynamoDB Local that is deleted when the
// test ends.
func newDynamoStore(t *testing.T) store.Store {
	t.Helper()
	client := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBURL(t)))
	suffix := make([]byte, 8)
	_, _ = rand.Read(suffix)
	table := "hostile-" + hex.EncodeToString(suffix)
	if err := dynamostore.CreateTable(t.Context(), client, table); err != nil {
		t.Fatalf("create table %s: %v", table, err)
	}
	t.Cleanup(func() {
		_, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table})
		if err != nil {
			t.Errorf("delete table %s: %v", table, err)
		}
	})
	return dynamostore.New(client, table)
}

// sendHTTP posts d to the local-mode routes over a real connection. Header
// names are sent as written.
func sendHTTP(t *testing.T, e *environment, d delivery) reply {
	t.Helper()
	req, err := http.NewRequest(d.httpMethod(), e.server.URL+localserver.WebhookPath, bytes.NewReader(d.body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	for _, f := range d.header {
		req.Header[f.name] = append(req.Header[f.name], f.value)
	}
	resp, err := e.server.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, localserver.WebhookPath, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return reply{code: resp.StatusCode, header: resp.Header, body: body}
}

// eventBody returns the body field and base64 flag of an API Gateway event
// carrying d.
func eventBody(d delivery, alwaysBase64 bool) (string, bool) {
	switch d.encoding {
	case asIsFlagged:
		return string(d.body), true
	case asIsUnflagged:
		return string(d.body), false
	}
	if alwaysBase64 || !utf8.Valid(d.body) {
		return base64.StdEncoding.EncodeToString(d.body), true
	}
	return string(d.body), false
}

// sendV2 returns a transport that invokes the Lambda handler with an HTTP
// API (payload format 2.0) event. As HTTP API does, it lower-cases header
// names and joins repeated headers with commas.
func sendV2(alwaysBase64 bool) func(*testing.T, *environment, delivery) reply {
	return func(t *testing.T, e *environment, d delivery) reply {
		t.Helper()
		headers := map[string]string{}
		for _, f := range d.header {
			name := strings.ToLower(f.name)
			if prev, ok := headers[name]; ok {
				headers[name] = prev + "," + f.value
				continue
			}
			headers[name] = f.value
		}
		body, flagged := eventBody(d, alwaysBase64)
		now := time.Now()
		ev := events.APIGatewayV2HTTPRequest{
			Version:         "2.0",
			RouteKey:        "ANY " + localserver.WebhookPath,
			RawPath:         localserver.WebhookPath,
			Headers:         headers,
			Body:            body,
			IsBase64Encoded: flagged,
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				RouteKey:  "ANY " + localserver.WebhookPath,
				RequestID: "hostile-v2",
				Time:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
				TimeEpoch: now.UnixMilli(),
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
					Method: d.httpMethod(), Path: localserver.WebhookPath,
					Protocol: "HTTP/1.1", SourceIP: "127.0.0.1",
				},
			},
		}
		var resp events.APIGatewayV2HTTPResponse
		invoke(t, e, ev, &resp)
		return reply{code: resp.StatusCode, header: headerOf(resp.Headers), body: []byte(resp.Body)}
	}
}

// sendV1 invokes the Lambda handler with a REST API (payload format 1.0)
// event. Header names keep their case. As in REST API, the single-value map
// contains the last value of a repeated header and the multi-value map
// contains them all.
func sendV1(t *testing.T, e *environment, d delivery) reply {
	t.Helper()
	single := map[string]string{}
	multi := map[string][]string{}
	for _, f := range d.header {
		single[f.name] = f.value
		multi[f.name] = append(multi[f.name], f.value)
	}
	body, flagged := eventBody(d, false)
	ev := events.APIGatewayProxyRequest{
		Resource:          localserver.WebhookPath,
		Path:              localserver.WebhookPath,
		HTTPMethod:        d.httpMethod(),
		Headers:           single,
		MultiValueHeaders: multi,
		Body:              body,
		IsBase64Encoded:   flagged,
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:        "hostile-v1",
			RequestTimeEpoch: time.Now().UnixMilli(),
			HTTPMethod:       d.httpMethod(),
			Path:             localserver.WebhookPath,
		},
	}
	var resp events.APIGatewayProxyResponse
	invoke(t, e, ev, &resp)
	return reply{code: resp.StatusCode, header: headerOf(resp.Headers), body: []byte(resp.Body)}
}

// invoke runs the Lambda handler on ev encoded as the runtime would deliver
// it, and decodes its result into resp as the runtime would return it.
func invoke(t *testing.T, e *environment, ev, resp any) {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("encode event: %v", err)
	}
	out, err := e.lambda(t.Context(), payload)
	if err != nil {
		t.Fatalf("handler returned an error: %v", err)
	}
	encoded, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("encode handler result: %v", err)
	}
	if err := json.Unmarshal(encoded, resp); err != nil {
		t.Fatalf("decode handler result %s: %v", encoded, err)
	}
}

func headerOf(m map[string]string) http.Header {
	h := http.Header{}
	for name, v := range m {
		h.Set(name, v)
	}
	return h
}

// recordKey names a record across the three id namespaces, since an event
// id may itself start with "q-" or "c-".
func recordKey(rec *store.Record) string {
	return string(rec.Status) + "/" + rec.ID
}

// snapshot returns every live record in st by recordKey.
func snapshot(t *testing.T, st store.Store) map[string]*store.Record {
	t.Helper()
	all := map[string]*store.Record{}
	err := st.Scan(t.Context(), store.ScanFilter{}, func(rec *store.Record) error {
		all[recordKey(rec)] = rec
		return nil
	})
	if err != nil {
		t.Fatalf("scan store: %v", err)
	}
	return all
}

// changes returns the records of after that are new or differ from before,
// and the keys of records that disappeared.
func changes(before, after map[string]*store.Record) (changed []*store.Record, removed []string) {
	for key, rec := range after {
		if old, ok := before[key]; !ok || !reflect.DeepEqual(old, rec) {
			changed = append(changed, rec)
		}
	}
	for key := range before {
		if _, ok := after[key]; !ok {
			removed = append(removed, key)
		}
	}
	return changed, removed
}

// alertLine is one line of the alert log.
type alertLine struct {
	Topic      string          `json:"topic"`
	EventID    string          `json:"event_id"`
	EventType  string          `json:"event_type"`
	Subject    string          `json:"subject"`
	Attributes map[string]any  `json:"attributes"`
	Message    json.RawMessage `json:"message"`
}

// alertLines returns every line of the alert log, or none before the first
// alert creates the file.
func alertLines(t *testing.T, path string) []alertLine {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("open alert log: %v", err)
	}
	defer f.Close()
	var lines []alertLine
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 64*1024), 4<<20)
	for scanner.Scan() {
		var line alertLine
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			t.Fatalf("alert line %d is not JSON: %v", len(lines)+1, err)
		}
		lines = append(lines, line)
	}
	if err := scanner.Err(); err != nil {
		t.Fatalf("read alert log: %v", err)
	}
	return lines
}
