package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

// outcome is what happened to one request, for the answer, log and metrics.
type outcome struct {
	resp      Response
	status    string
	metric    string
	eventID   string
	eventType string
	category  string
	method    signature.Method
	alert     store.AlertState
	issues    int
}

// Handle processes one delivery and returns the answer. It never returns
// internal error text to the sender; errors are logged with the ids involved.
func (h *Handler) Handle(ctx context.Context, req *Request) Response {
	started := h.Now()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	out := h.handle(ctx, req, h.deadline(req))
	h.logOutcome(ctx, req, out, started)
	if out.metric != "" {
		h.Metrics.Record(metrics.Count(out.metric, 1))
	}
	return out.resp
}

func (h *Handler) handle(ctx context.Context, req *Request, deadline time.Time) outcome {
	if req.Method != http.MethodPost {
		return reply(http.StatusMethodNotAllowed, answer{Status: statusMethod}, metrics.EventsRejected)
	}
	body, alternate := decodeBody(req)
	if len(body) > MaxBodyBytes || req.DeclaredLength > MaxBodyBytes {
		return reply(http.StatusRequestEntityTooLarge, answer{Status: statusTooLarge}, metrics.EventsRejected)
	}

	method, body, ok := h.verify(ctx, req, body, alternate)
	if !ok {
		return reply(http.StatusUnauthorized, answer{Status: statusUnauthorized}, metrics.EventsUnauthorized)
	}
	if method == "" {
		return unavailable()
	}

	env, err := envelope.Parse(body)
	var invalid *envelope.Invalid
	if errors.As(err, &invalid) {
		return h.quarantine(ctx, req, body, method, invalid.Reasons, deadline)
	}
	if err != nil {
		h.Logger.ErrorContext(ctx, "envelope parse failed", "error", err)
		return h.quarantine(ctx, req, body, method, []string{"body could not be parsed"}, deadline)
	}
	if reason := h.staleReason(env); reason != "" {
		return h.quarantine(ctx, req, body, method, []string{reason}, deadline)
	}
	out := h.storeEvent(ctx, req, env, body, method, deadline)
	out.method = method
	return out
}

func unavailable() outcome {
	return reply(http.StatusServiceUnavailable, answer{Status: statusUnavailable}, metrics.StoreUnavailable)
}

// decodeBody returns the body to check and, when API Gateway flagged it as
// base64, the undecoded text as an alternate: a flag that does not match the
// body must not make an authentic event fail its signature check.
func decodeBody(req *Request) (body, alternate []byte) {
	if !req.Base64 {
		return req.Body, nil
	}
	decoded, err := base64.StdEncoding.DecodeString(string(req.Body))
	if err != nil {
		return req.Body, nil
	}
	return decoded, req.Body
}

// verify checks the signature of body, then of alternate. It returns the
// matching method and body, ok false when neither is authentic, or an empty
// method with ok true when no secret is available to check with.
func (h *Handler) verify(ctx context.Context, req *Request, body, alternate []byte) (signature.Method, []byte, bool) {
	list, err := h.Secrets.Secrets(ctx)
	if err != nil {
		h.Logger.ErrorContext(ctx, "webhook secrets unavailable", "error", err, "apiRequestId", req.RequestID)
		return "", nil, true
	}
	headers := signatureValues(req.Header)
	method, verified, err := verifyEither(body, alternate, headers, list)
	if err == nil {
		return method, verified, true
	}
	// A secret rotated since the last read would fail every request until
	// the next scheduled read, and Cobalt never retries a 401.
	if refresher, ok := h.Secrets.(secrets.Refresher); ok && errors.Is(err, signature.ErrMismatch) && refresher.Refresh(ctx) {
		if list, listErr := h.Secrets.Secrets(ctx); listErr == nil {
			if method, verified, retryErr := verifyEither(body, alternate, headers, list); retryErr == nil {
				return method, verified, true
			}
		}
	}
	h.Logger.WarnContext(ctx, "signature rejected", "reason", err.Error(), "apiRequestId", req.RequestID,
		"webhookId", bounded(req.Header.Get("webhook-id")))
	return "", nil, false
}

// maxSignatureValues bounds how many signature header values one request
// gets checked, since each check may re-serialize the whole body.
const maxSignatureValues = 4

// signatureValues returns the values of the signature header, at most
// maxSignatureValues: each repeated header, split at commas, because HTTP
// API joins repeated headers with commas and a hex signature has none.
// Without any it returns one empty value, which Verify reports as missing.
func signatureValues(h http.Header) []string {
	var values []string
	for _, v := range h.Values(signature.HeaderName) {
		for rest, more := v, true; more && len(values) < maxSignatureValues; {
			var part string
			part, rest, more = strings.Cut(rest, ",")
			if part = strings.TrimSpace(part); part != "" {
				values = append(values, part)
			}
		}
	}
	if len(values) == 0 {
		return []string{""}
	}
	return values
}

// verifyEither checks body, then alternate when there is one, against each
// signature header value. A request is authentic when any value matches,
// since a sender without the secret can forge none of them. On failure it
// returns signature.ErrMismatch when some value was well-formed, so that a
// rotated secret gets re-read, and otherwise the first error.
func verifyEither(body, alternate []byte, headers []string, list []signature.Secret) (signature.Method, []byte, error) {
	var firstErr error
	for _, header := range headers {
		method, err := signature.Verify(body, header, list)
		if err == nil {
			return method, body, nil
		}
		if alternate != nil && len(alternate) <= MaxBodyBytes {
			if method, altErr := signature.Verify(alternate, header, list); altErr == nil {
				return method, alternate, nil
			}
		}
		if firstErr == nil || errors.Is(err, signature.ErrMismatch) {
			firstErr = err
		}
	}
	return "", nil, firstErr
}

// staleReason returns why env is too old to accept when records expire:
// once its record could have expired, a replay would no longer be detected.
func (h *Handler) staleReason(env *envelope.Envelope) string {
	if h.Retention <= 0 || env.CreatedAt.IsZero() {
		return ""
	}
	if h.Now().Sub(env.CreatedAt) <= h.Retention {
		return ""
	}
	return "created is older than the retention period, so a replay could not be detected"
}

// quarantine keeps an authentic but unusable body under q-<sha256 of body>.
func (h *Handler) quarantine(ctx context.Context, req *Request, body []byte, method signature.Method,
	reasons []string, deadline time.Time) outcome {
	sum := sha256.Sum256(body)
	rec := h.newRecord(req, body, method)
	rec.ID = "q-" + hex.EncodeToString(sum[:])
	rec.Status = store.StatusQuarantined
	rec.ContentHash = hex.EncodeToString(sum[:])
	rec.Errors = reasons
	rec.Alert = store.AlertNone

	storeCtx, cancel := h.storeContext(ctx, deadline)
	defer cancel()
	if _, err := h.Store.Create(storeCtx, rec); err != nil {
		return h.storeFailed(ctx, rec.ID, err)
	}
	out := reply(http.StatusBadRequest, answer{Status: statusQuarantined, ID: rec.ID, Errors: reasons},
		metrics.EventsQuarantined)
	out.eventID, out.method, out.alert = rec.ID, method, store.AlertNone
	return out
}

func (h *Handler) storeFailed(ctx context.Context, id string, err error) outcome {
	if errors.Is(err, store.ErrTooLarge) {
		h.Logger.WarnContext(ctx, "record too large to store", "error", err, "eventId", id)
		out := reply(http.StatusRequestEntityTooLarge, answer{Status: statusTooLarge}, metrics.EventsRejected)
		out.eventID = id
		return out
	}
	h.Logger.ErrorContext(ctx, "store write failed", "error", err, "eventId", id)
	out := unavailable()
	out.eventID = id
	return out
}

func (h *Handler) newRecord(req *Request, body []byte, method signature.Method) *store.Record {
	now := h.Now()
	rec := &store.Record{
		ReceivedAt:       now,
		Raw:              body,
		SignatureMethod:  string(method),
		WebhookID:        bounded(req.Header.Get("webhook-id")),
		WebhookAttempt:   bounded(req.Header.Get("webhook-attempt")),
		WebhookTimestamp: bounded(req.Header.Get("webhook-timestamp")),
	}
	if h.Retention > 0 {
		rec.ExpiresAt = now.Add(h.Retention)
	}
	return rec
}

// bounded keeps at most 256 bytes, cut on a character boundary, of a
// delivery header or an event type for storage and logs, so a hostile value
// cannot grow an item past its size limit or flood the logs.
func bounded(v string) string {
	const max = 256
	if len(v) <= max {
		return v
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut]
}

// logOutcome writes the one log line of a request.
func (h *Handler) logOutcome(ctx context.Context, req *Request, out outcome, started time.Time) {
	level := slog.LevelInfo
	if out.resp.StatusCode >= 500 {
		level = slog.LevelError
	}
	h.Logger.LogAttrs(ctx, level, "webhook handled",
		slog.String("apiRequestId", req.RequestID),
		slog.String("eventId", out.eventID),
		slog.String("eventType", out.eventType),
		slog.String("category", out.category),
		slog.String("outcome", out.status),
		slog.Int("statusCode", out.resp.StatusCode),
		slog.String("attempt", bounded(req.Header.Get("webhook-attempt"))),
		slog.String("signature", string(out.method)),
		slog.String("alert", string(out.alert)),
		slog.Int("schemaIssues", out.issues),
		slog.Int64("durationMs", h.Now().Sub(started).Milliseconds()),
	)
}

// reply returns the outcome of an answer and the metric it counts.
func reply(code int, a answer, metric string) outcome {
	return outcome{resp: respond(code, a), status: a.Status, metric: metric}
}
