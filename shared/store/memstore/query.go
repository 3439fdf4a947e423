package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

// collect returns copies of the live records for which match is true, in
// storage key order.
func (s *Store) collect(ctx context.Context, match func(*store.Record) bool) ([]ddbitem.Keyed, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := s.now()
	var found []ddbitem.Keyed
	for key, rec := range s.records {
		if ddbitem.Expired(rec, now) || !match(rec) {
			continue
		}
		found = append(found, ddbitem.Keyed{Key: key, Rec: clone(rec)})
	}
	slices.SortFunc(found, func(a, b ddbitem.Keyed) int { return cmp.Compare(a.Key, b.Key) })
	return found, nil
}

// DueAlerts implements store.Store.DueAlerts.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list due alerts: %w", ddbitem.ErrLimit)
	}
	due, err := s.collect(ctx, func(rec *store.Record) bool { return ddbitem.Due(rec, now) })
	if err != nil {
		return nil, fmt.Errorf("list due alerts: %w", err)
	}
	return ddbitem.OldestDueIDs(due, limit), nil
}

// ByJobID implements store.Store.ByJobID.
func (s *Store) ByJobID(ctx context.Context, jobID string, limit int) ([]*store.Record, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list records of job %q: %w", jobID, ddbitem.ErrLimit)
	}
	if jobID == "" {
		return nil, nil
	}
	found, err := s.collect(ctx, func(rec *store.Record) bool {
		return rec.JobID == jobID
	})
	if err != nil {
		return nil, fmt.Errorf("list records of job %q: %w", jobID, err)
	}
	return ddbitem.OldestReceived(found, limit), nil
}

// Scan implements store.Store.Scan. It copies the matching records first and
// calls fn without holding the lock, so fn may write to the store.
func (s *Store) Scan(ctx context.Context, filter store.ScanFilter, fn func(*store.Record) error) error {
	found, err := s.collect(ctx, func(rec *store.Record) bool {
		return ddbitem.Matches(rec, filter)
	})
	if err != nil {
		return fmt.Errorf("scan records: %w", err)
	}
	for _, f := range found {
		if err := fn(f.Rec); err != nil {
			return fmt.Errorf("scan records, at %q: %w", f.Rec.ID, err)
		}
	}
	return nil
}
