// Package apigw adapts API Gateway proxy events to the ingest handler: HTTP
// API events (payload format 2.0) and REST API events (payload format 1.0).
package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/clinicops/cobalt-receiver/shared/ingest"
)

// ErrUnsupportedEvent is returned for an invocation payload that is neither
// an HTTP API nor a REST API proxy event.
var ErrUnsupportedEvent = errors.New("unsupported invocation event: expected an API Gateway proxy event")

// Handler returns a Lambda handler that accepts both payload formats and
// answers each in its own format.
func Handler(h *ingest.Handler) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		// HTTP API events, which the deployed route sends, are decoded in one
		// pass. A probe before the decode doubled the JSON decoding, which
		// took as long as handling the event. HTTPMethod makes this decode
		// fail wherever the probe below fails, so that other payloads take
		// the same path as before.
		var v2 struct {
			events.APIGatewayV2HTTPRequest
			HTTPMethod string `json:"httpMethod"`
		}
		if err := json.Unmarshal(payload, &v2); err == nil && v2.Version == "2.0" {
			return HandleV2(ctx, h, &v2.APIGatewayV2HTTPRequest), nil
		}

		var probe struct {
			Version    string `json:"version"`
			HTTPMethod string `json:"httpMethod"`
		}
		if err := json.Unmarshal(payload, &probe); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupportedEvent, err)
		}
		switch {
		case probe.Version == "2.0":
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, fmt.Errorf("decode HTTP API event: %w", err)
			}
			return HandleV2(ctx, h, &ev), nil
		case probe.HTTPMethod != "":
			var ev events.APIGatewayProxyRequest
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, fmt.Errorf("decode REST API event: %w", err)
			}
			return HandleV1(ctx, h, &ev), nil
		default:
			return nil, ErrUnsupportedEvent
		}
	}
}

// HandleV2 handles an HTTP API (payload format 2.0) event.
func HandleV2(ctx context.Context, h *ingest.Handler, ev *events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	req := &ingest.Request{
		Method:    ev.RequestContext.HTTP.Method,
		Header:    headerOf(ev.Headers, nil),
		Body:      []byte(ev.Body),
		Base64:    ev.IsBase64Encoded,
		Received:  epochMillis(ev.RequestContext.TimeEpoch),
		RequestID: ev.RequestContext.RequestID,
	}
	resp := h.Handle(ctx, req)
	return events.APIGatewayV2HTTPResponse{
		StatusCode: resp.StatusCode,
		Headers:    flatten(resp.Header),
		Body:       string(resp.Body),
	}
}

// HandleV1 handles a REST API (payload format 1.0) event.
func HandleV1(ctx context.Context, h *ingest.Handler, ev *events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	req := &ingest.Request{
		Method:    ev.HTTPMethod,
		Header:    headerOf(ev.Headers, ev.MultiValueHeaders),
		Body:      []byte(ev.Body),
		Base64:    ev.IsBase64Encoded,
		Received:  epochMillis(ev.RequestContext.RequestTimeEpoch),
		RequestID: ev.RequestContext.RequestID,
	}
	resp := h.Handle(ctx, req)
	return events.APIGatewayProxyResponse{
		StatusCode: resp.StatusCode,
		Headers:    flatten(resp.Header),
		Body:       string(resp.Body),
	}
}

// headerOf builds an http.Header, whose Get matches names in any case, from
// API Gateway's single- and multi-value header maps.
func headerOf(single map[string]string, multi map[string][]string) http.Header {
	h := http.Header{}
	for name, values := range multi {
		for _, v := range values {
			h.Add(name, v)
		}
	}
	for name, v := range single {
		if h.Get(name) == "" {
			h.Set(name, v)
		}
	}
	return h
}

func flatten(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, values := range h {
		out[name] = strings.Join(values, ", ")
	}
	return out
}

// epochMillis converts API Gateway's request time; zero stays the zero time.
func epochMillis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
