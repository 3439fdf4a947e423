package apigw_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert/alertlog"
	"github.com/clinicops/cobalt-receiver/shared/apigw"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store/embedded"
)

const secret = "whsec_apigw_unit_test"

func newHandler(t *testing.T) *ingest.Handler {
	t.Helper()
	dir := t.TempDir()
	st, err := embedded.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log, err := alertlog.Open(filepath.Join(dir, "alerts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	return &ingest.Handler{
		Store: st, Publisher: log, Secrets: secrets.Static{secret},
		AlertLease: 30 * time.Second, Logger: testenv.Logger(t), Metrics: metrics.Discard{}, Now: time.Now,
	}
}

const body = `{"id":"evt_apigw","type":"task.created","data":{"task_id":"t1"}}`

func invoke(t *testing.T, h *ingest.Handler, event any) (int, map[string]string, string) {
	t.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	out, err := apigw.Handler(h)(context.Background(), payload)
	if err != nil {
		t.Fatalf("handler: %v", err)
	}
	switch resp := out.(type) {
	case events.APIGatewayV2HTTPResponse:
		return resp.StatusCode, resp.Headers, resp.Body
	case events.APIGatewayProxyResponse:
		return resp.StatusCode, resp.Headers, resp.Body
	default:
		t.Fatalf("response of type %T", out)
		return 0, nil, ""
	}
}

func status(t *testing.T, answer string) string {
	t.Helper()
	var a struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(answer), &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", answer, err)
	}
	return a.Status
}

func TestHTTPAPIEvent(t *testing.T) {
	h := newHandler(t)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "ANY /webhooks/cobalt", RawPath: "/webhooks/cobalt",
		Headers: map[string]string{"cobalt-verification": signature.Sign([]byte(body), secret), "webhook-attempt": "1"},
		Body:    body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-1", TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"},
		},
	}
	code, headers, answer := invoke(t, h, ev)
	if code != 200 || status(t, answer) != "stored" {
		t.Fatalf("answer %d %s, want 200 stored", code, answer)
	}
	if headers["Content-Type"] != "application/json" {
		t.Errorf("Content-Type = %q", headers["Content-Type"])
	}

	ev.RequestContext.HTTP.Method = "GET"
	code, headers, answer = invoke(t, h, ev)
	if code != 405 || status(t, answer) != "method_not_allowed" || headers["Allow"] != "POST" {
		t.Errorf("GET answer %d %s allow %q, want 405 method_not_allowed allow POST", code, answer, headers["Allow"])
	}
}

func TestRESTAPIEvent(t *testing.T) {
	h := newHandler(t)
	ev := events.APIGatewayProxyRequest{
		HTTPMethod: "POST", Path: "/webhooks/cobalt",
		Headers:         map[string]string{"Cobalt-Verification": signature.Sign([]byte(body), secret)},
		Body:            base64.StdEncoding.EncodeToString([]byte(body)),
		IsBase64Encoded: true,
		RequestContext:  events.APIGatewayProxyRequestContext{RequestID: "req-2", RequestTimeEpoch: time.Now().UnixMilli()},
	}
	code, _, answer := invoke(t, h, ev)
	if code != 200 || status(t, answer) != "stored" {
		t.Fatalf("answer %d %s, want 200 stored", code, answer)
	}

	ev.Headers = nil
	ev.MultiValueHeaders = map[string][]string{"COBALT-VERIFICATION": {signature.Sign([]byte(body), secret)}}
	code, _, answer = invoke(t, h, ev)
	if code != 200 || status(t, answer) != "duplicate" {
		t.Fatalf("multi-value header answer %d %s, want 200 duplicate", code, answer)
	}

	ev.MultiValueHeaders = nil
	code, _, answer = invoke(t, h, ev)
	if code != 401 || status(t, answer) != "unauthorized" {
		t.Errorf("unsigned answer %d %s, want 401 unauthorized", code, answer)
	}
}

func TestUnsupportedEvent(t *testing.T) {
	h := newHandler(t)
	for _, payload := range []string{`{"source":"aws.events"}`, `[]`, `"x"`} {
		_, err := apigw.Handler(h)(context.Background(), json.RawMessage(payload))
		if !errors.Is(err, apigw.ErrUnsupportedEvent) {
			t.Errorf("payload %s: error %v, want ErrUnsupportedEvent", payload, err)
		}
	}
}
