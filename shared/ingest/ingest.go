// Package ingest is the webhook handler shared by the Lambda function and
// local mode: it checks the method, size and signature, parses the envelope,
// stores the event once and publishes its alert, answering inside Cobalt's
// deadline. It is independent of HTTP servers and API Gateway event types.
package ingest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

// MaxBodyBytes is the largest body accepted. A larger one gets a 413 response.
const MaxBodyBytes = 1 << 20

// Answer budgets, counted from when the request reached API Gateway, or
// arrived locally. Cobalt waits 5 s on the first attempt and 2 s on the
// retry, and never retries after a timeout.
const (
	FirstAttemptBudget = 4 * time.Second
	RetryBudget        = 1500 * time.Millisecond
	// answerMargin is kept free at the end of the budget to log and send
	// the answer.
	answerMargin = 100 * time.Millisecond
	// minStoreTime is the least time a store write gets even when the
	// budget is spent. A request that arrives that late has already timed
	// out at Cobalt, which never retries it, so storing it late is the only
	// way to keep it.
	minStoreTime = 500 * time.Millisecond
)

// Request is one webhook delivery as the transport received it.
type Request struct {
	Method string
	// Header holds the request headers; Get matches names in any case.
	Header http.Header
	Body   []byte
	// Base64 is set when API Gateway delivered Body base64-encoded.
	Base64 bool
	// DeclaredLength is the Content-Length the client announced, or zero
	// or less when unknown. A declared length over MaxBodyBytes is answered
	// 413 even when Body was not read.
	DeclaredLength int64
	// Received is when the request reached API Gateway, or arrived locally.
	Received time.Time
	// RequestID is the API Gateway or local request id, for logs.
	RequestID string
}

// Response is the answer to send back.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Handler handles webhook deliveries. All fields but Logger, Metrics and Now
// are required.
type Handler struct {
	Store     store.Store
	Publisher alert.Publisher
	Secrets   secrets.Source
	Alerts    alert.Options
	// AlertLease is how long a new pending alert is left to this delivery
	// before the sweep may publish it.
	AlertLease time.Duration
	// Retention is how long records are kept; zero keeps them forever.
	Retention time.Duration
	// AnswerBudget returns the answer budget for a webhook-attempt header
	// value; nil means Budget. Tests that do not exercise deadlines lengthen
	// it, so that a loaded machine cannot turn their answers into 503s.
	AnswerBudget func(attempt string) time.Duration
	Logger       *slog.Logger
	Metrics      metrics.Recorder
	Now          func() time.Time
}

// answer is the JSON body of every response.
type answer struct {
	Status     string   `json:"status"`
	ID         string   `json:"id,omitempty"`
	ConflictID string   `json:"conflict_id,omitempty"`
	Errors     []string `json:"errors,omitempty"`
}

// Answer statuses.
const (
	statusStored       = "stored"
	statusDuplicate    = "duplicate"
	statusConflict     = "conflict"
	statusUnauthorized = "unauthorized"
	statusQuarantined  = "quarantined"
	statusTooLarge     = "too_large"
	statusMethod       = "method_not_allowed"
	statusUnavailable  = "unavailable"
)

func respond(code int, a answer) Response {
	body, err := json.Marshal(a)
	if err != nil {
		body = []byte(`{"status":"unavailable"}`)
		code = http.StatusServiceUnavailable
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if code == http.StatusMethodNotAllowed {
		h.Set("Allow", http.MethodPost)
	}
	return Response{StatusCode: code, Header: h, Body: body}
}

// Budget returns the answer budget for a delivery attempt header value:
// 4 s for the first attempt, 1.5 s otherwise, also when the header is absent.
func Budget(attempt string) time.Duration {
	if attempt == "1" {
		return FirstAttemptBudget
	}
	return RetryBudget
}

// deadline returns when work on req must stop so the answer leaves inside
// its budget, counting from req.Received unless that is zero or in the future.
func (h *Handler) deadline(req *Request) time.Time {
	now := h.Now()
	start := req.Received
	if start.IsZero() || start.After(now) {
		start = now
	}
	budget := Budget
	if h.AnswerBudget != nil {
		budget = h.AnswerBudget
	}
	return start.Add(budget(req.Header.Get("webhook-attempt")) - answerMargin)
}

// storeContext bounds a store write by the answer deadline, but never to less
// than minStoreTime.
func (h *Handler) storeContext(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if floor := h.Now().Add(minStoreTime); deadline.Before(floor) {
		deadline = floor
	}
	return context.WithDeadline(ctx, deadline)
}
