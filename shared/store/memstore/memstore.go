// Package memstore implements store.Store in memory, with the semantics of
// the embedded and DynamoDB stores, for benchmarks and fast tests.
//
// Records live in a map under the same storage keys as in DynamoDB
// ("event#<id>", "quarantine#<sha>", "conflict#<hash>"), guarded by one
// mutex, so each conditional write decides exactly as the DynamoDB store's
// conditional request does. Create rejects the records DynamoDB could not
// hold. The store keeps its own copy of every record and hands out copies,
// so callers never share memory with it. Nothing survives the process.
package memstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

// Store is a store.Store in memory. It is safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	records map[string]*store.Record

	// Now returns the time that expiry is judged by. When it is nil the
	// store uses time.Now. Set it before the first call.
	Now func() time.Time
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{records: map[string]*store.Record{}}
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// clone returns a copy of rec that shares no slice with it.
func clone(rec *store.Record) *store.Record {
	out := *rec
	out.Raw = bytes.Clone(rec.Raw)
	out.SchemaIssues = slices.Clone(rec.SchemaIssues)
	out.Errors = slices.Clone(rec.Errors)
	return &out
}

// live returns the record at key unless it is absent or expired. The caller
// holds s.mu.
func (s *Store) live(key string) *store.Record {
	rec := s.records[key]
	if rec == nil || ddbitem.Expired(rec, s.now()) {
		return nil
	}
	return rec
}

// label names a status in error messages.
func label(status store.Status) string {
	switch status {
	case store.StatusQuarantined:
		return "quarantine"
	case store.StatusConflict:
		return "conflict"
	}
	return "event"
}

// Create implements store.Store.Create. It applies the DynamoDB store's
// item size limit, so all stores accept the same records.
func (s *Store) Create(ctx context.Context, rec *store.Record) (*store.Record, error) {
	prepared, key, err := ddbitem.Prepare(rec)
	if err != nil {
		return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
	}
	if _, err := ddbitem.Encode(prepared, key); err != nil {
		return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.live(key); old != nil {
		return clone(old), nil
	}
	s.records[key] = clone(prepared)
	return nil, nil
}

// Get implements store.Store.Get.
func (s *Store) Get(ctx context.Context, id string) (*store.Record, error) {
	keys, err := ddbitem.LookupKeys(id)
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", id, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %q: %w", id, err)
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, key := range keys {
		if rec := s.live(key); rec != nil {
			return clone(rec), nil
		}
	}
	return nil, fmt.Errorf("get %q: %w", id, store.ErrNotFound)
}

// modifyAlert calls change on a copy of the live event id under the write
// lock and stores the copy unless change returns an error. It returns the
// changed record, nil with no error when change returned ddbitem.ErrUnchanged, and
// an error wrapping store.ErrNotFound when there is no live event.
func (s *Store) modifyAlert(ctx context.Context, id string, change func(*store.Record) error) (*store.Record, error) {
	if err := ddbitem.CheckID(id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := ddbitem.EventKey(id)

	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.live(key)
	if old == nil {
		return nil, store.ErrNotFound
	}
	rec := clone(old)
	if err := change(rec); err != nil {
		if errors.Is(err, ddbitem.ErrUnchanged) {
			return nil, nil
		}
		return nil, err
	}
	s.records[key] = rec
	return clone(rec), nil
}

// MarkPublished implements store.Store.MarkPublished.
func (s *Store) MarkPublished(ctx context.Context, id, messageID string, at time.Time) error {
	if _, err := s.modifyAlert(ctx, id, ddbitem.MarkPublished(messageID, at)); err != nil {
		return fmt.Errorf("mark alert of %q published: %w", id, err)
	}
	return nil
}

// ClaimAlert implements store.Store.ClaimAlert.
func (s *Store) ClaimAlert(ctx context.Context, id string, now time.Time, lease time.Duration) (*store.Record, error) {
	rec, err := s.modifyAlert(ctx, id, ddbitem.Claim(now, lease))
	if err != nil {
		return nil, fmt.Errorf("claim alert of %q: %w", id, err)
	}
	return rec, nil
}

// RecordAlertError implements store.Store.RecordAlertError. An empty message
// clears the last error.
func (s *Store) RecordAlertError(ctx context.Context, id, message string, retryAt time.Time) error {
	if _, err := s.modifyAlert(ctx, id, ddbitem.RecordError(message, retryAt)); err != nil {
		return fmt.Errorf("record alert error of %q: %w", id, err)
	}
	return nil
}

// FailAlert implements store.Store.FailAlert. An empty message keeps the
// last error recorded.
func (s *Store) FailAlert(ctx context.Context, id, message string) error {
	if _, err := s.modifyAlert(ctx, id, ddbitem.Fail(message)); err != nil {
		return fmt.Errorf("fail alert of %q: %w", id, err)
	}
	return nil
}

// RequeueAlert implements store.Store.RequeueAlert.
func (s *Store) RequeueAlert(ctx context.Context, id string, now time.Time) error {
	if _, err := s.modifyAlert(ctx, id, ddbitem.Requeue(now)); err != nil {
		return fmt.Errorf("requeue alert of %q: %w", id, err)
	}
	return nil
}
