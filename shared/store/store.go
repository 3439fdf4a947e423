// Package store keeps one record per Cobalt event id, plus quarantine and
// conflict records, behind one interface with a DynamoDB and an embedded
// implementation of the same semantics.
package store

import (
	"context"
	"errors"
	"time"
)

// Status is what a record holds.
type Status string

// Record statuses.
const (
	StatusStored      Status = "stored"
	StatusQuarantined Status = "quarantined"
	StatusConflict    Status = "conflict"
)

// AlertState is where a record's alert stands.
type AlertState string

// Alert states. A pending alert whose lease has expired is due for the sweep.
const (
	AlertNone      AlertState = "none"
	AlertPending   AlertState = "pending"
	AlertPublished AlertState = "published"
	AlertFailed    AlertState = "failed"
)

// Errors returned by Store methods.
var (
	// ErrNotFound is returned by Get when no record has the id.
	ErrNotFound = errors.New("record not found")
	// ErrNotClaimed is returned by ClaimAlert when the alert is not pending
	// or its lease has not expired.
	ErrNotClaimed = errors.New("alert not claimable")
	// ErrTooLarge is returned by Create when the record cannot fit in an item
	// even with its raw body compressed.
	ErrTooLarge = errors.New("record too large to store")
)

// Record is one stored event, quarantined body or conflicting body.
type Record struct {
	// ID is the event id, "q-<sha256 hex of body>" for quarantine or
	// "c-<content hash>" for a conflict. IDs of different statuses never
	// collide in storage.
	ID       string
	Status   Status
	Type     string
	Category string
	Kind     string // envelope kind: success, failure, partial, test, unknown
	Clinic   string
	JobID    string
	Created  string
	// ReceivedAt is when the request arrived.
	ReceivedAt  time.Time
	ContentHash string
	// Raw is the body exactly as received.
	Raw             []byte
	SignatureMethod string
	// Delivery headers, as sent, "" when absent.
	WebhookID        string
	WebhookAttempt   string
	WebhookTimestamp string
	// SchemaIssues lists data fields that did not match the catalogue.
	SchemaIssues []string
	// Errors lists why a quarantined body is unusable.
	Errors []string
	// ConflictOf is the event id a conflict record shares.
	ConflictOf string

	Alert            AlertState
	AlertDue         time.Time // when a pending alert's lease expires
	AlertAttempts    int
	AlertPublishedAt time.Time
	AlertMessageID   string
	AlertLastError   string

	// ExpiresAt is when the record may be deleted; zero keeps it forever.
	ExpiresAt time.Time
}

// Store is the storage contract.
type Store interface {
	// Create writes rec unless a record with the same status namespace and ID
	// exists, in one conditional write. It returns (nil, nil) when it wrote
	// and (existing, nil) when the ID was taken, having written nothing.
	Create(ctx context.Context, rec *Record) (*Record, error)
	// Get returns the record with the given ID: an event id, a q- or a c- id.
	Get(ctx context.Context, id string) (*Record, error)
	// MarkPublished sets a pending alert of an event to published.
	MarkPublished(ctx context.Context, id, messageID string, at time.Time) error
	// ClaimAlert takes the lease of a pending alert whose lease has expired
	// at now, renewing it to now+lease and counting an attempt, in one
	// conditional update. It returns ErrNotClaimed when another claim or a
	// publish got there first.
	ClaimAlert(ctx context.Context, id string, now time.Time, lease time.Duration) (*Record, error)
	// RecordAlertError notes the error of a failed publish of a pending
	// alert, leaving it pending.
	RecordAlertError(ctx context.Context, id, message string) error
	// FailAlert sets a pending alert to failed.
	FailAlert(ctx context.Context, id, message string) error
	// DueAlerts lists the IDs of pending alerts whose lease expired by now,
	// oldest first, at most limit.
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]string, error)
}
