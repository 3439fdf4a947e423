// Package localserver serves the ingest handler over plain HTTP for local
// mode, with an embedded store and an alert log instead of AWS, plus the
// local-only routes GET /healthz and GET /events/{id}.
package localserver

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

// WebhookPath is the route Cobalt posts to, locally and behind API Gateway.
const WebhookPath = "/webhooks/cobalt"

// NewMux returns the local routes around h, reading records from st. After a
// redrive the admin route runs sw at once. With a nil sw the interval sweep
// publishes the requeued alerts later.
func NewMux(h *ingest.Handler, st store.Store, sw *sweep.Sweeper, logger *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle(WebhookPath, webhook{h: h, logger: logger})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /events/{id...}", recordView{store: st, logger: logger})
	mux.Handle("POST "+AdminRedrivePath, newAdminRedrive(st, sw, logger))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"status": "not_found"})
	})
	return mux
}

type webhook struct {
	h      *ingest.Handler
	logger *slog.Logger
}

// ServeHTTP reads at most one byte more than the body limit, so an oversize
// body is answered 413 without being read whole.
func (wh webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	req := &ingest.Request{Method: r.Method, Header: r.Header, Received: received, DeclaredLength: r.ContentLength}
	// A declared length over the limit is answered 413 without reading the
	// body, so a client waiting on Expect: 100-continue is not asked to send.
	if r.Method == http.MethodPost && r.ContentLength <= ingest.MaxBodyBytes {
		body, err := io.ReadAll(io.LimitReader(r.Body, ingest.MaxBodyBytes+1))
		if err != nil {
			wh.logger.WarnContext(r.Context(), "request body read failed", "error", err)
			writeJSON(w, http.StatusBadRequest, map[string]string{"status": "bad_request"})
			return
		}
		req.Body = body
	}
	resp := wh.h.Handle(r.Context(), req)
	for name, values := range resp.Header {
		w.Header()[name] = values
	}
	if len(req.Body) > ingest.MaxBodyBytes || r.ContentLength > ingest.MaxBodyBytes {
		w.Header().Set("Connection", "close")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(resp.Body)
}

type recordView struct {
	store  store.Store
	logger *slog.Logger
}

// recordJSON is the local view of a stored record.
type recordJSON struct {
	ID               string   `json:"id"`
	Type             string   `json:"type"`
	Category         string   `json:"category"`
	Kind             string   `json:"kind,omitempty"`
	Status           string   `json:"status"`
	Alert            string   `json:"alert"`
	AlertAttempts    int      `json:"alert_attempts"`
	AlertMessageID   string   `json:"alert_message_id,omitempty"`
	AlertPublishedAt string   `json:"alert_published_at,omitempty"`
	AlertLastError   string   `json:"alert_last_error,omitempty"`
	Clinic           string   `json:"access_token_reference_id,omitempty"`
	JobID            string   `json:"job_id,omitempty"`
	Created          string   `json:"created,omitempty"`
	ReceivedAt       string   `json:"received_at"`
	ContentHash      string   `json:"content_hash"`
	SignatureMethod  string   `json:"signature_method,omitempty"`
	SchemaIssues     []string `json:"schema_issues,omitempty"`
	Errors           []string `json:"errors,omitempty"`
	ConflictOf       string   `json:"conflict_of,omitempty"`
	WebhookAttempt   string   `json:"webhook_attempt,omitempty"`
	Raw              string   `json:"raw"`
	RawBase64        string   `json:"raw_base64"`
}

func (v recordView) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rec, err := v.store.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidID) {
		writeJSON(w, http.StatusNotFound, map[string]string{"status": "not_found"})
		return
	}
	if err != nil {
		v.logger.ErrorContext(r.Context(), "record read failed", "error", err, "idBytes", len(id))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, viewOf(rec))
}

func viewOf(rec *store.Record) recordJSON {
	view := recordJSON{
		ID: rec.ID, Type: rec.Type, Category: rec.Category, Kind: rec.Kind,
		Status: string(rec.Status), Alert: string(rec.Alert), AlertAttempts: rec.AlertAttempts,
		AlertMessageID: rec.AlertMessageID, AlertLastError: rec.AlertLastError,
		Clinic: rec.Clinic, JobID: rec.JobID, Created: rec.Created,
		ReceivedAt:  rec.ReceivedAt.UTC().Format(time.RFC3339Nano),
		ContentHash: rec.ContentHash, SignatureMethod: rec.SignatureMethod,
		SchemaIssues: rec.SchemaIssues, Errors: rec.Errors, ConflictOf: rec.ConflictOf,
		WebhookAttempt: rec.WebhookAttempt,
		Raw:            string(rec.Raw),
		RawBase64:      base64.StdEncoding.EncodeToString(rec.Raw),
	}
	if view.Alert == "" {
		view.Alert = string(store.AlertNone)
	}
	if !rec.AlertPublishedAt.IsZero() {
		view.AlertPublishedAt = rec.AlertPublishedAt.UTC().Format(time.RFC3339Nano)
	}
	return view
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code, body = http.StatusInternalServerError, []byte(`{"status":"error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
