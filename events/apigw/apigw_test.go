package apigw_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/events/apigw"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

func loadSamples(t *testing.T) []events.Sample {
	t.Helper()
	samples, err := events.Samples()
	if err != nil {
		t.Fatalf("Samples: %v", err)
	}
	return samples
}

// committedFiles returns the event files in this folder and its rest
// folder, keyed by slash-separated relative path.
func committedFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, pattern := range []string{"*.json", apigw.RESTFolder + "/*.json"} {
		names, err := fs.Glob(os.DirFS("."), pattern)
		if err != nil {
			t.Fatalf("list %s: %v", pattern, err)
		}
		for _, name := range names {
			data, err := os.ReadFile(filepath.FromSlash(name))
			if err != nil {
				t.Fatalf("read %s: %v", name, err)
			}
			files[name] = data
		}
	}
	return files
}

func TestCommittedFilesCurrent(t *testing.T) {
	want, err := apigw.Generate(loadSamples(t), apigw.AfterCreated)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	got := committedFiles(t)

	const fix = "regenerate the files with go generate ./events/apigw"
	for name, data := range want {
		committed, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s is missing; %s", name, fix)
		case !bytes.Equal(committed, data):
			t.Errorf("%s is stale; %s", name, fix)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s matches no sample in events/cobalt; delete it", name)
		}
	}
}

func TestCommittedHTTPEventsDecode(t *testing.T) {
	files := committedFiles(t)
	for _, s := range loadSamples(t) {
		t.Run(s.Type, func(t *testing.T) {
			data, ok := files[s.Type+".json"]
			if !ok {
				t.Fatalf("no HTTP API event for sample %s", s.Name)
			}
			var ev lambdaevents.APIGatewayV2HTTPRequest
			decodeStrict(t, data, &ev)

			if ev.Version != "2.0" {
				t.Errorf("version = %q, want 2.0", ev.Version)
			}
			if ev.RouteKey != apigw.RouteKey || ev.RequestContext.RouteKey != apigw.RouteKey {
				t.Errorf("routeKey = %q, requestContext.routeKey = %q, want %q",
					ev.RouteKey, ev.RequestContext.RouteKey, apigw.RouteKey)
			}
			if ev.RawPath != apigw.Path {
				t.Errorf("rawPath = %q, want %q", ev.RawPath, apigw.Path)
			}
			if ev.RequestContext.HTTP.Method != http.MethodPost {
				t.Errorf("requestContext.http.method = %q, want POST", ev.RequestContext.HTTP.Method)
			}
			if ev.RequestContext.TimeEpoch <= 0 {
				t.Errorf("requestContext.timeEpoch = %d, want a positive epoch in milliseconds", ev.RequestContext.TimeEpoch)
			}
			if ev.RequestContext.RequestID == "" {
				t.Error("requestContext.requestId is empty")
			}
			if ev.IsBase64Encoded {
				t.Error("isBase64Encoded is true, want the body as text")
			}
			if ev.Body != string(s.Body) {
				t.Error("body differs from the sample's exact bytes")
			}
			for name := range ev.Headers {
				if name != strings.ToLower(name) {
					t.Errorf("header %q is not lower case, as HTTP APIs deliver names", name)
				}
			}
			checkDeliveryHeaders(t, lookupHeader(ev.Headers), s)
		})
	}
}

func TestCommittedRESTEventsDecode(t *testing.T) {
	files := committedFiles(t)
	samples := map[string]events.Sample{}
	for _, s := range loadSamples(t) {
		samples[s.Type] = s
	}
	for _, rs := range apigw.RESTSamples {
		t.Run(rs.Type, func(t *testing.T) {
			data, ok := files[apigw.RESTFolder+"/"+rs.Type+".json"]
			if !ok {
				t.Fatalf("no REST API event for sample %s", rs.Type)
			}
			var ev lambdaevents.APIGatewayProxyRequest
			decodeStrict(t, data, &ev)

			if ev.HTTPMethod != http.MethodPost || ev.RequestContext.HTTPMethod != http.MethodPost {
				t.Errorf("httpMethod = %q, requestContext.httpMethod = %q, want POST",
					ev.HTTPMethod, ev.RequestContext.HTTPMethod)
			}
			if ev.Resource != apigw.Path || ev.Path != apigw.Path {
				t.Errorf("resource = %q, path = %q, want %q", ev.Resource, ev.Path, apigw.Path)
			}
			if ev.RequestContext.RequestTimeEpoch <= 0 {
				t.Errorf("requestContext.requestTimeEpoch = %d, want a positive epoch in milliseconds",
					ev.RequestContext.RequestTimeEpoch)
			}
			if ev.IsBase64Encoded != rs.Base64 {
				t.Errorf("isBase64Encoded = %v, want %v", ev.IsBase64Encoded, rs.Base64)
			}
			if got := restBody(t, ev); !bytes.Equal(got, samples[rs.Type].Body) {
				t.Error("body differs from the sample's exact bytes")
			}
			if _, ok := ev.Headers["Cobalt-Verification"]; !ok {
				t.Errorf("headers lack Cobalt-Verification in mixed case; names: %v", sortedKeys(ev.Headers))
			}
			for name, value := range ev.Headers {
				if values := ev.MultiValueHeaders[name]; len(values) != 1 || values[0] != value {
					t.Errorf("multiValueHeaders[%q] = %q, want [%q]", name, values, value)
				}
			}
			checkDeliveryHeaders(t, lookupHeader(ev.Headers), samples[rs.Type])
		})
	}
}

// checkDeliveryHeaders checks the headers Cobalt sends with sample s.
func checkDeliveryHeaders(t *testing.T, header func(string) string, s events.Sample) {
	t.Helper()
	var envelope struct {
		ID      string `json:"id"`
		Created string `json:"created"`
	}
	if err := json.Unmarshal(s.Body, &envelope); err != nil {
		t.Fatalf("sample %s: %v", s.Name, err)
	}
	method, err := signature.Verify(s.Body, header(signature.HeaderName), []signature.Secret{config.DevelopmentSecret})
	if err != nil {
		t.Errorf("signature with the development secret: %v", err)
	} else if method != signature.MethodRaw {
		t.Errorf("signature matches the %s body, want the raw body", method)
	}
	for name, want := range map[string]string{
		"webhook-id":        envelope.ID,
		"webhook-timestamp": envelope.Created,
		"webhook-attempt":   "1",
		"content-type":      "application/json",
	} {
		if got := header(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
}

// decodeStrict decodes data into v, failing on a field v does not have.
func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode into %T: %v", v, err)
	}
}

// lookupHeader returns a lookup that matches names in any case, as the
// function does.
func lookupHeader(headers map[string]string) func(string) string {
	h := http.Header{}
	for name, value := range headers {
		h.Set(name, value)
	}
	return h.Get
}

func restBody(t *testing.T, ev lambdaevents.APIGatewayProxyRequest) []byte {
	t.Helper()
	if !ev.IsBase64Encoded {
		return []byte(ev.Body)
	}
	body, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		t.Fatalf("base64 body: %v", err)
	}
	return body
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestHTTPEventDeliveries(t *testing.T) {
	received := time.Date(2026, time.May, 4, 12, 30, 0, 250e6, time.UTC)
	const secret = signature.Secret("whsec_apigw_test")
	body := []byte(`{"id":42,"created":"2026-05-04T12:29:59Z","type":"task.failed","data":{}}`)

	tests := []struct {
		name        string
		delivery    apigw.Delivery
		wantMethod  string
		wantBody    string
		wantBase64  bool
		wantHeaders map[string]string // "" means absent
	}{
		{
			name:       "signed",
			delivery:   apigw.Delivery{Body: body, Secret: secret, Received: received},
			wantMethod: http.MethodPost,
			wantBody:   string(body),
			wantHeaders: map[string]string{
				"cobalt-verification": signature.Sign(body, secret),
				"webhook-id":          "42",
				"webhook-timestamp":   "2026-05-04T12:29:59Z",
				"webhook-attempt":     "1",
				"content-type":        "application/json",
				"content-length":      strconv.Itoa(len(body)),
			},
		},
		{
			name:        "unsigned",
			delivery:    apigw.Delivery{Body: body, Received: received},
			wantMethod:  http.MethodPost,
			wantBody:    string(body),
			wantHeaders: map[string]string{"cobalt-verification": "", "webhook-id": "42"},
		},
		{
			name:        "second attempt",
			delivery:    apigw.Delivery{Body: body, Secret: secret, Attempt: 2, Received: received},
			wantMethod:  http.MethodPost,
			wantBody:    string(body),
			wantHeaders: map[string]string{"webhook-attempt": "2"},
		},
		{
			name:       "base64 body",
			delivery:   apigw.Delivery{Body: body, Secret: secret, Received: received, Base64: true},
			wantMethod: http.MethodPost,
			wantBody:   base64.StdEncoding.EncodeToString(body),
			wantBase64: true,
			wantHeaders: map[string]string{
				"cobalt-verification": signature.Sign(body, secret),
				"content-length":      strconv.Itoa(len(body)),
			},
		},
		{
			name:       "get without body",
			delivery:   apigw.Delivery{Method: http.MethodGet, Received: received},
			wantMethod: http.MethodGet,
			wantHeaders: map[string]string{
				"content-type": "", "content-length": "", "webhook-id": "", "cobalt-verification": "",
			},
		},
		{
			name:        "body not json",
			delivery:    apigw.Delivery{Body: []byte("not json"), Secret: secret, Received: received},
			wantMethod:  http.MethodPost,
			wantBody:    "not json",
			wantHeaders: map[string]string{"webhook-id": "", "webhook-timestamp": ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := apigw.HTTPEvent(tc.delivery)
			if err != nil {
				t.Fatalf("HTTPEvent: %v", err)
			}
			var ev lambdaevents.APIGatewayV2HTTPRequest
			decodeStrict(t, data, &ev)

			if ev.RequestContext.HTTP.Method != tc.wantMethod {
				t.Errorf("method = %q, want %q", ev.RequestContext.HTTP.Method, tc.wantMethod)
			}
			if ev.Body != tc.wantBody {
				t.Errorf("body = %q, want %q", ev.Body, tc.wantBody)
			}
			if ev.IsBase64Encoded != tc.wantBase64 {
				t.Errorf("isBase64Encoded = %v, want %v", ev.IsBase64Encoded, tc.wantBase64)
			}
			if ev.RequestContext.TimeEpoch != received.UnixMilli() {
				t.Errorf("timeEpoch = %d, want %d", ev.RequestContext.TimeEpoch, received.UnixMilli())
			}
			if want := "04/May/2026:12:30:00 +0000"; ev.RequestContext.Time != want {
				t.Errorf("time = %q, want %q", ev.RequestContext.Time, want)
			}
			for name, want := range tc.wantHeaders {
				got, present := ev.Headers[name]
				switch {
				case want == "" && present:
					t.Errorf("header %s = %q, want it absent", name, got)
				case want != "" && got != want:
					t.Errorf("header %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestRESTEventWithoutBody(t *testing.T) {
	data, err := apigw.RESTEvent(apigw.Delivery{Method: http.MethodGet, Received: time.Now()})
	if err != nil {
		t.Fatalf("RESTEvent: %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got := string(raw["body"]); got != "null" {
		t.Errorf("body = %s, want null as API Gateway sends a request without body", got)
	}
	var ev lambdaevents.APIGatewayProxyRequest
	decodeStrict(t, data, &ev)
	if ev.HTTPMethod != http.MethodGet {
		t.Errorf("httpMethod = %q, want GET", ev.HTTPMethod)
	}
	if _, ok := ev.Headers["Content-Type"]; ok {
		t.Error("Content-Type is set on a request without body")
	}
}

func TestRequestIDsFollowReceiveTime(t *testing.T) {
	body := []byte(`{"id":"evt_1","created":"2026-05-04T12:29:59Z","type":"test.event","data":{}}`)
	first := time.Date(2026, time.May, 4, 12, 30, 0, 0, time.UTC)
	requestID := func(received time.Time) string {
		t.Helper()
		data, err := apigw.HTTPEvent(apigw.Delivery{Body: body, Received: received})
		if err != nil {
			t.Fatalf("HTTPEvent: %v", err)
		}
		var ev lambdaevents.APIGatewayV2HTTPRequest
		decodeStrict(t, data, &ev)
		return ev.RequestContext.RequestID
	}

	a, b, later := requestID(first), requestID(first), requestID(first.Add(time.Millisecond))
	if a != b {
		t.Errorf("same delivery built twice: request ids %q and %q, want equal", a, b)
	}
	if a == later {
		t.Errorf("deliveries 1 ms apart share request id %q", a)
	}
}

func TestGenerateZeroEpoch(t *testing.T) {
	files, err := apigw.Generate(loadSamples(t), apigw.ZeroEpoch)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	for name, data := range files {
		var probe struct {
			RequestContext struct {
				Time             *string `json:"time"`
				TimeEpoch        *int64  `json:"timeEpoch"`
				RequestTime      *string `json:"requestTime"`
				RequestTimeEpoch *int64  `json:"requestTimeEpoch"`
			} `json:"requestContext"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rc := probe.RequestContext
		epoch, text := rc.TimeEpoch, rc.Time
		if strings.HasPrefix(name, apigw.RESTFolder+"/") {
			epoch, text = rc.RequestTimeEpoch, rc.RequestTime
		}
		if epoch == nil || *epoch != 0 {
			t.Errorf("%s: receive epoch = %v, want present and 0", name, epoch)
		}
		if text == nil || *text != "" {
			t.Errorf("%s: receive time = %v, want present and empty", name, text)
		}
	}
}

func TestGenerateAfterCreatedTime(t *testing.T) {
	files, err := apigw.Generate(loadSamples(t), apigw.AfterCreated)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var ev lambdaevents.APIGatewayV2HTTPRequest
	decodeStrict(t, files["test.event.json"], &ev)
	var body struct {
		Created string `json:"created"`
	}
	if err := json.Unmarshal([]byte(ev.Body), &body); err != nil {
		t.Fatal(err)
	}
	created, err := time.Parse(time.RFC3339Nano, body.Created)
	if err != nil {
		t.Fatal(err)
	}
	if want := created.Add(1200 * time.Millisecond).UnixMilli(); ev.RequestContext.TimeEpoch != want {
		t.Errorf("timeEpoch = %d, want %d, 1.2 s after created %s", ev.RequestContext.TimeEpoch, want, body.Created)
	}
}

func TestGenerateMissingRESTSample(t *testing.T) {
	samples := loadSamples(t)
	var without []events.Sample
	for _, s := range samples {
		if s.Type != apigw.RESTSamples[0].Type {
			without = append(without, s)
		}
	}
	if _, err := apigw.Generate(without, apigw.AfterCreated); err == nil {
		t.Errorf("Generate without sample %s: got no error", apigw.RESTSamples[0].Type)
	}
}
