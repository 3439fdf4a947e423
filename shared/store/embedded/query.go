package embedded

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

// errLimit is returned for a limit that is not positive.
var errLimit = errors.New("limit must be positive")

// scanBatch is how many matching records Scan reads per transaction.
const scanBatch = 100

// keyed is a record with its storage key, which breaks ties when sorting.
type keyed struct {
	key string
	rec *store.Record
}

// collect returns the live records after the key after (all when nil) for
// which match is true, in key order, at most max when max is positive, and
// the key of the last record it read.
func (s *Store) collect(ctx context.Context, after []byte, max int, match func(*store.Record) bool) ([]keyed, []byte, error) {
	var found []keyed
	var last []byte
	err := s.view(ctx, func(b *bolt.Bucket) error {
		now := s.now()
		c := b.Cursor()
		k, v := c.First()
		if after != nil {
			k, v = c.Seek(after)
			if bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			last = bytes.Clone(k)
			rec, err := decode(v)
			if err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			if ddbitem.Expired(rec, now) || !match(rec) {
				continue
			}
			found = append(found, keyed{key: string(k), rec: rec})
			if max > 0 && len(found) == max {
				return nil
			}
		}
		last = nil
		return nil
	})
	return found, last, err
}

// DueAlerts implements store.Store.DueAlerts.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list due alerts: %w", errLimit)
	}
	due, _, err := s.collect(ctx, nil, 0, func(rec *store.Record) bool {
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
	found, _, err := s.collect(ctx, nil, 0, func(rec *store.Record) bool {
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

// Scan implements store.Store.Scan. It reads scanBatch matching records per
// read-only transaction and calls fn between transactions, so fn may write
// to the store.
func (s *Store) Scan(ctx context.Context, filter store.ScanFilter, fn func(*store.Record) error) error {
	var after []byte
	for {
		batch, last, err := s.collect(ctx, after, scanBatch, func(rec *store.Record) bool {
			return ddbitem.Matches(rec, filter)
		})
		if err != nil {
			return fmt.Errorf("scan records: %w", err)
		}
		for _, f := range batch {
			if err := fn(f.rec); err != nil {
				return fmt.Errorf("scan records, at %q: %w", f.rec.ID, err)
			}
		}
		if last == nil {
			return nil
		}
		after = last
	}
}
