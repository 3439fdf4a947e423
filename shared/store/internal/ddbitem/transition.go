package ddbitem

import (
	"errors"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

// The alert transitions below are what the embedded and in-memory stores
// apply inside one transaction or lock, with the semantics that the DynamoDB
// store's conditional updates have. Each changes rec in place, or returns
// ErrUnchanged to leave it as it is without an error, or another error.

// ErrUnchanged makes a store write nothing and report success.
var ErrUnchanged = errors.New("unchanged")

// Transition changes a record's alert in place.
type Transition func(rec *store.Record) error

// MarkPublished sets a pending alert to published.
func MarkPublished(messageID string, at time.Time) Transition {
	return func(rec *store.Record) error {
		if rec.Alert != store.AlertPending {
			return ErrUnchanged
		}
		rec.Alert = store.AlertPublished
		rec.AlertPublishedAt = Millis(at)
		rec.AlertMessageID = messageID
		return nil
	}
}

// Claim renews the lease of a pending alert due by now and counts an attempt.
func Claim(now time.Time, lease time.Duration) Transition {
	return func(rec *store.Record) error {
		if rec.Alert != store.AlertPending || rec.AlertDue.UnixMilli() > now.UnixMilli() {
			return store.ErrNotClaimed
		}
		rec.AlertDue = Millis(now.Add(lease))
		rec.AlertAttempts++
		return nil
	}
}

// RecordError keeps the error of a failed publish, and moves the due time
// to retryAt unless it is zero. An empty message clears the last error.
func RecordError(message string, retryAt time.Time) Transition {
	return func(rec *store.Record) error {
		if rec.Alert != store.AlertPending {
			return ErrUnchanged
		}
		rec.AlertLastError = TruncateError(message)
		if !retryAt.IsZero() {
			rec.AlertDue = Millis(retryAt)
		}
		return nil
	}
}

// Fail sets a pending alert to failed. An empty message keeps the last error.
func Fail(message string) Transition {
	return func(rec *store.Record) error {
		if rec.Alert != store.AlertPending {
			return ErrUnchanged
		}
		rec.Alert = store.AlertFailed
		if message != "" {
			rec.AlertLastError = TruncateError(message)
		}
		return nil
	}
}

// Requeue sets a published or failed alert back to pending, due at now.
func Requeue(now time.Time) Transition {
	return func(rec *store.Record) error {
		switch rec.Alert {
		case store.AlertPublished, store.AlertFailed:
		case store.AlertNone:
			return store.ErrNoAlert
		default:
			return ErrUnchanged
		}
		rec.Alert = store.AlertPending
		rec.AlertDue = Millis(now)
		rec.AlertAttempts = 0
		rec.AlertMessageID = ""
		rec.AlertPublishedAt = time.Time{}
		return nil
	}
}
