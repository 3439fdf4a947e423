package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

// errLimit is returned for a limit that is not positive.
var errLimit = errors.New("limit must be positive")

// keyed is a copy of a record with its storage key, which breaks ties when
// sorting.
type keyed struct {
	key string
	rec *store.Record
}

// collect returns copies of the live records for which match is true, in
// storage key order.
func (s *Store) collect(ctx context.Context, match func(*store.Record) bool) ([]keyed, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := s.now()
	var found []keyed
	for key, rec := range s.records {
		if ddbitem.Expired(rec, now) || !match(rec) {
			continue
		}
		found = append(found, keyed{key: key, rec: clone(rec)})
	}
	slices.SortFunc(found, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	return found, nil
}

// DueAlerts implements store.Store.DueAlerts.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list due alerts: %w", errLimit)
	}
	due, err := s.collect(ctx, func(rec *store.Record) bool {
		return rec.Alert == store.AlertPending && rec.AlertDue.UnixMilli() <= now.UnixMilli()
	})
	if err != nil {
		return nil, fmt.Errorf("list due alerts: %w", err)
	}
	slices.SortFunc(due, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.rec.AlertDue.UnixMilli(), b.rec.AlertDue.UnixMilli()), cmp.Compare(a.key, b.key))
	})
	ids := make([]string, 0, min(limit, len(due)))
	for _, d := range due[:min(limit, len(due))] {
		ids = append(ids, d.rec.ID)
	}
	return ids, nil
}

// ByJobID implements store.Store.ByJobID.
func (s *Store) ByJobID(ctx context.Context, jobID string, limit int) ([]*store.Record, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list records of job %q: %w", jobID, errLimit)
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
	slices.SortFunc(found, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.rec.ReceivedAt.UnixMilli(), b.rec.ReceivedAt.UnixMilli()), cmp.Compare(a.key, b.key))
	})
	var recs []*store.Record
	for _, f := range found[:min(limit, len(found))] {
		recs = append(recs, f.rec)
	}
	return recs, nil
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
		if err := fn(f.rec); err != nil {
			return fmt.Errorf("scan records, at %q: %w", f.rec.ID, err)
		}
	}
	return nil
}
