package embedded

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

// scanBatch is how many matching records Scan reads per transaction.
const scanBatch = 100

// collect returns the live records after the key after (all when nil) for
// which match is true, in key order, at most max when max is positive, and
// the key of the last record it read.
func (s *Store) collect(ctx context.Context, after []byte, max int, match func(*store.Record) bool) ([]ddbitem.Keyed, []byte, error) {
	var found []ddbitem.Keyed
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
			found = append(found, ddbitem.Keyed{Key: string(k), Rec: rec})
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
		return nil, fmt.Errorf("list due alerts: %w", ddbitem.ErrLimit)
	}
	due, _, err := s.collect(ctx, nil, 0, func(rec *store.Record) bool { return ddbitem.Due(rec, now) })
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
	found, _, err := s.collect(ctx, nil, 0, func(rec *store.Record) bool {
		return rec.JobID == jobID
	})
	if err != nil {
		return nil, fmt.Errorf("list records of job %q: %w", jobID, err)
	}
	return ddbitem.OldestReceived(found, limit), nil
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
			if err := fn(f.Rec); err != nil {
				return fmt.Errorf("scan records, at %q: %w", f.Rec.ID, err)
			}
		}
		if last == nil {
			return nil
		}
		after = last
	}
}
