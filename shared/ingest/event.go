package ingest

import (
	"context"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

// minPublishTime is the least time left in the budget for a publish to be
// tried during the request. With less, the alert stays pending for the sweep.
const minPublishTime = 50 * time.Millisecond

// alertWriteTime is kept free in the budget after a publish to store its
// outcome: the alert marked published, or the publish error recorded. A
// publish that used up the whole budget would leave no time for either.
const alertWriteTime = 250 * time.Millisecond

// CategoryOther is the category recorded for types outside the known ones.
const CategoryOther = "other"

// storeEvent writes the event with its pending alert in one conditional
// write, answers a repeated id as a duplicate or a conflict, and publishes
// the alert of a new failure or partial event.
func (h *Handler) storeEvent(ctx context.Context, req *Request, env *envelope.Envelope, body []byte,
	method signature.Method, deadline time.Time) outcome {
	if len(env.SchemaIssues) > 0 {
		h.Logger.WarnContext(ctx, "event data does not match its schema", "eventId", env.ID,
			"eventType", bounded(env.Type), "issues", env.SchemaIssues)
		h.Metrics.Record(metrics.Count(metrics.SchemaMismatches, 1))
	}

	rec := h.eventRecord(req, env, body, method)
	alerts := alert.Raised(env.Kind)
	if alerts {
		rec.Alert = store.AlertPending
		rec.AlertDue = rec.ReceivedAt.Add(h.AlertLease)
	}

	storeCtx, cancel := h.storeContext(ctx, deadline)
	existing, err := h.Store.Create(storeCtx, rec)
	cancel()
	if err != nil {
		return h.storeFailed(ctx, env.ID, err)
	}

	var out outcome
	switch {
	case existing == nil:
		h.recordLag(env)
		out = reply(http.StatusOK, answer{Status: statusStored, ID: env.ID}, metrics.EventsStored)
		out.alert = rec.Alert
		// The alert is built only for a new event: a duplicate or a
		// conflict publishes nothing, and masking PHI is the costliest step.
		if alerts {
			out.alert = h.publish(ctx, env.ID, alert.Build(env, h.Alerts), deadline)
		}
	case existing.ContentHash == rec.ContentHash:
		out = reply(http.StatusOK, answer{Status: statusDuplicate, ID: env.ID}, metrics.EventsDuplicate)
		out.alert = existing.Alert
	default:
		out = h.conflict(ctx, rec, deadline)
	}
	out.eventID, out.eventType, out.category = env.ID, bounded(env.Type), rec.Category
	out.issues = len(env.SchemaIssues)
	return out
}

func (h *Handler) eventRecord(req *Request, env *envelope.Envelope, body []byte, method signature.Method) *store.Record {
	rec := h.newRecord(req, body, method)
	rec.ID = env.ID
	rec.Status = store.StatusStored
	rec.Type = env.Type
	rec.Category = env.Category
	if rec.Category == "" {
		rec.Category = CategoryOther
	}
	rec.Kind = string(env.Kind)
	rec.ContentHash = env.ContentHash
	rec.SchemaIssues = env.SchemaIssues
	rec.Type = keepField(rec, "type", env.Type)
	rec.Clinic = keepField(rec, "access_token_reference_id", env.Clinic)
	rec.JobID = keepField(rec, "job_id", env.JobID)
	rec.Created = keepField(rec, "created", env.Created)
	rec.Alert = store.AlertNone
	if h.Retention > 0 && env.CreatedAt.IsZero() {
		// Without a creation time a replay cannot be recognised as stale,
		// so the record that detects it must never expire.
		rec.ExpiresAt = time.Time{}
	}
	return rec
}

// maxFieldBytes bounds each envelope field copied out of the body into a
// record's query fields. The raw body always keeps the whole value; the
// bound keeps items under DynamoDB's item limit and index keys under its
// 2048-byte key limit.
const maxFieldBytes = 1024

// keepField returns value cut to maxFieldBytes on a character boundary,
// noting a cut in rec's schema issues.
func keepField(rec *store.Record, name, value string) string {
	if len(value) <= maxFieldBytes {
		return value
	}
	cut := maxFieldBytes
	for cut > 0 && !utf8.RuneStart(value[cut]) {
		cut--
	}
	rec.SchemaIssues = append(rec.SchemaIssues,
		fmt.Sprintf("%s is longer than %d bytes; the record keeps its first %d bytes and the raw body all of it",
			name, maxFieldBytes, cut))
	return value[:cut]
}

// conflict keeps a second body sent under a stored id as a conflict record,
// c-<its content hash>, and answers 409. The first record stays as it is.
func (h *Handler) conflict(ctx context.Context, rec *store.Record, deadline time.Time) outcome {
	eventID := rec.ID
	rec.ID = "c-" + rec.ContentHash
	rec.Status = store.StatusConflict
	rec.ConflictOf = eventID
	rec.Alert = store.AlertNone
	rec.AlertDue = time.Time{}

	storeCtx, cancel := h.storeContext(ctx, deadline)
	defer cancel()
	if _, err := h.Store.Create(storeCtx, rec); err != nil {
		return h.storeFailed(ctx, eventID, err)
	}
	h.Logger.WarnContext(ctx, "event id reused with other content", "eventId", eventID, "conflictId", rec.ID)
	return reply(http.StatusConflict, answer{Status: statusConflict, ID: eventID, ConflictID: rec.ID},
		metrics.EventsConflict)
}

// publish sends the alert of a newly stored event within the answer budget
// and marks it published. On any failure the alert stays pending, and the
// sweep publishes it once its lease expires.
func (h *Handler) publish(ctx context.Context, eventID string, msg *alert.Alert, deadline time.Time) store.AlertState {
	if deadline.Sub(h.Now()) < minPublishTime+alertWriteTime {
		h.Logger.WarnContext(ctx, "alert left pending: no time left to publish", "eventId", eventID)
		return store.AlertPending
	}
	pubCtx, cancelPublish := context.WithDeadline(ctx, deadline.Add(-alertWriteTime))
	messageID, err := h.Publisher.Publish(pubCtx, msg)
	cancelPublish()

	// The outcome is stored even when the request's context has ended, for
	// example because the sender hung up, so that a published alert is not
	// published again by the sweep and a failed one keeps its error.
	writeCtx, cancelWrite := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancelWrite()
	if err != nil {
		h.Logger.ErrorContext(ctx, "alert publish failed", "error", err, "eventId", eventID, "topic", msg.Topic)
		h.Metrics.Record(metrics.Count(metrics.AlertPublishFailed, 1))
		if noteErr := h.Store.RecordAlertError(writeCtx, eventID, err.Error(), time.Time{}); noteErr != nil {
			h.Logger.ErrorContext(ctx, "alert error not recorded", "error", noteErr, "eventId", eventID)
		}
		return store.AlertPending
	}
	h.Metrics.Record(metrics.Count(metrics.AlertsPublished, 1))

	if err := h.Store.MarkPublished(writeCtx, eventID, messageID, h.Now()); err != nil {
		h.Logger.ErrorContext(ctx, "alert published but not marked", "error", err, "eventId", eventID,
			"messageId", messageID)
		return store.AlertPending
	}
	return store.AlertPublished
}

// recordLag records the time from the event's creation to its storage.
func (h *Handler) recordLag(env *envelope.Envelope) {
	if env.CreatedAt.IsZero() {
		return
	}
	lag := h.Now().Sub(env.CreatedAt)
	if lag < 0 {
		lag = 0
	}
	h.Metrics.Record(metrics.Value{Name: metrics.EndToEndLag, Unit: metrics.UnitMilliseconds,
		Value: float64(lag.Milliseconds())})
}
