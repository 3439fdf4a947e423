// Package store keeps one record per Cobalt event id, plus quarantine and
// conflict records, behind one interface with a DynamoDB and an embedded
// implementation of the same semantics.
package store

import (
	"context"
	"errors"
	"time"
)

// Status is the kind of record: a stored event, a quarantined body or a conflict.
type Status string

// Record statuses.
const (
	StatusStored      Status = "stored"
	StatusQuarantined Status = "quarantined"
	StatusConflict    Status = "conflict"
)

// AlertState is the delivery state of a record's alert.
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
	// ErrInvalidID is returned when an id is empty, longer than MaxIDBytes,
	// not valid UTF-8, or does not have the form its status requires.
	ErrInvalidID = errors.New("invalid record id")
	// ErrNoAlert is returned by RequeueAlert when the record has no alert
	// (AlertNone), so there is nothing to redrive.
	ErrNoAlert = errors.New("record has no alert")
)

// MaxIDBytes is the maximum length of an ID in bytes. It keeps every storage
// key under DynamoDB's 2048-byte partition key limit.
const MaxIDBytes = 1024

// ID prefixes of quarantine and conflict records.
const (
	QuarantinePrefix = "q-"
	ConflictPrefix   = "c-"
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

// ScanFilter selects records for Store.Scan. Zero fields match everything.
type ScanFilter struct {
	Type     string
	Category string
	Status   Status
	Alert    AlertState
	// ReceivedFrom and ReceivedTo bound ReceivedAt: from inclusive, to
	// exclusive.
	ReceivedFrom time.Time
	ReceivedTo   time.Time
}

// MaxAlertErrorBytes is how much of an alert error message is kept.
const MaxAlertErrorBytes = 500

// Store is the storage contract.
//
// A record whose ExpiresAt has passed is treated as absent by every method,
// whether or not the backend has deleted it yet. Times come back in UTC,
// truncated to milliseconds (ExpiresAt to seconds). The alert methods act on
// event records (status stored) only, since only those carry alerts; their id
// is the event id. Every error names the id it concerns.
type Store interface {
	// Create writes rec unless a live record with the same status namespace
	// and ID exists, in one conditional write. It returns (nil, nil) when it
	// wrote and (existing, nil) when the ID was taken, having written
	// nothing. A pending alert (Alert == AlertPending, AlertDue set) is
	// written in the same write, and an empty Alert is stored as AlertNone.
	// It returns ErrInvalidID for a bad ID and ErrTooLarge when the record
	// cannot fit. It returns another error for an unknown status or alert
	// state, a missing ReceivedAt, a pending alert without AlertDue, or an
	// alert on a record that is not an event.
	Create(ctx context.Context, rec *Record) (*Record, error)
	// Get returns the record with the given ID: an event id, a q- or a c- id.
	// An id with the q- or c- prefix is looked up in the quarantine or
	// conflict namespace first, then as an event id. It returns ErrNotFound
	// when no live record has the id.
	Get(ctx context.Context, id string) (*Record, error)
	// MarkPublished sets a pending alert of an event to published, with the
	// SNS message id and time, and takes it off the due list. On an alert
	// that is not pending (already published, failed or none) it changes
	// nothing and returns nil, so a late second call is harmless. It returns
	// ErrNotFound when the event does not exist.
	MarkPublished(ctx context.Context, id, messageID string, at time.Time) error
	// ClaimAlert takes the lease of a pending alert whose lease has expired
	// at now, renewing it to now+lease and counting an attempt, in one
	// conditional update, and returns the updated record. It returns
	// ErrNotClaimed when another claim or a publish got there first, and
	// ErrNotFound when the event does not exist.
	ClaimAlert(ctx context.Context, id string, now time.Time, lease time.Duration) (*Record, error)
	// RecordAlertError notes the error of a failed publish of a pending
	// alert, leaving it pending. The message is cut to MaxAlertErrorBytes,
	// and an empty message clears the last error. On an alert that is not
	// pending it changes nothing and returns nil. It returns ErrNotFound when
	// the event does not exist.
	RecordAlertError(ctx context.Context, id, message string, retryAt time.Time) error
	// FailAlert sets a pending alert to failed, keeping message as its last
	// error unless message is empty, and takes it off the due list. On an
	// alert that is not pending it changes nothing and returns nil. It
	// returns ErrNotFound when the event does not exist.
	FailAlert(ctx context.Context, id, message string) error
	// DueAlerts lists the IDs of pending alerts whose lease expired by now,
	// oldest first, at most limit (which must be positive).
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]string, error)

	// ByJobID lists the live records whose JobID is jobID, oldest ReceivedAt
	// first, at most limit (which must be positive).
	ByJobID(ctx context.Context, jobID string, limit int) ([]*Record, error)
	// RequeueAlert sets a published or failed alert of an event back to
	// pending, due at now, with its attempt count reset to zero and its
	// message id and publish time cleared, so the sweep publishes it again.
	// Operators' redrive uses it. On a pending alert it changes nothing and
	// returns nil. It returns ErrNoAlert when the event has no alert and
	// ErrNotFound when the event does not exist.
	RequeueAlert(ctx context.Context, id string, now time.Time) error
	// Scan calls fn for every live record that matches filter, in no
	// particular order, and stops at the first error fn returns, returning
	// it wrapped. It reads the whole store, so it is meant for operator
	// tools, not for request paths. fn may call other Store methods.
	Scan(ctx context.Context, filter ScanFilter, fn func(*Record) error) error
}
