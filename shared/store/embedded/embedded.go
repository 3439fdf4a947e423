// Package embedded implements store.Store in a local bbolt file, for running
// the receiver without AWS.
//
// Records are JSON values in one bucket under the same storage keys as in
// DynamoDB ("event#<id>", "quarantine#<sha>", "conflict#<hash>"). Every
// method runs in one bbolt transaction, so each conditional write decides
// exactly as the DynamoDB store's conditional request does, and Create
// rejects the records DynamoDB could not hold. Index lookups (ByJobID,
// DueAlerts) read the whole bucket, which suits a local volume of records.
package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

var bucketName = []byte("records")

// Store is a store.Store in a bbolt file. It is safe for concurrent use;
// one process at a time may open the file.
type Store struct {
	db *bolt.DB

	// Now returns the time that expiry is judged by; nil means time.Now.
	// Set it before the first call.
	Now func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open opens the store file at path, creating it and its folder when
// missing. It fails after a second when another process holds the file.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketName)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.MaxBatchDelay = batchDelay
	return &Store{db: db}, nil
}

// batchDelay is how long a write waits for concurrent writes to share its
// transaction and its fsync. Under a burst, one fsync per write would queue
// requests past their answer deadline; a lone write waits only this long.
const batchDelay = 2 * time.Millisecond

// Close closes the file, waiting for running transactions to end.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.db.Path(), err)
	}
	return nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// update runs fn in a read-write transaction that concurrent writes may
// share (bbolt's Batch), so fn must set its results afresh on every call:
// when a batch fails, bbolt runs each of its functions again on its own.
// An error of ctx, checked before the transaction and again before it
// commits, rolls it back.
func (s *Store) update(ctx context.Context, fn func(b *bolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Batch(func(tx *bolt.Tx) error {
		if err := fn(tx.Bucket(bucketName)); err != nil {
			return err
		}
		return ctx.Err()
	})
}

// view runs fn in a read-only transaction after checking ctx.
func (s *Store) view(ctx context.Context, fn func(b *bolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error {
		return fn(tx.Bucket(bucketName))
	})
}

// load returns the live record at key, or nil when there is none.
func (s *Store) load(b *bolt.Bucket, key string) (*store.Record, error) {
	data := b.Get([]byte(key))
	if data == nil {
		return nil, nil
	}
	rec, err := decode(data)
	if err != nil {
		return nil, err
	}
	if ddbitem.Expired(rec, s.now()) {
		return nil, nil
	}
	return rec, nil
}

func decode(data []byte) (*store.Record, error) {
	var rec store.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return &rec, nil
}

func put(b *bolt.Bucket, key string, rec *store.Record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	return b.Put([]byte(key), data)
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
// item size limit, so both accept the same records.
func (s *Store) Create(ctx context.Context, rec *store.Record) (*store.Record, error) {
	prepared, key, err := ddbitem.Prepare(rec)
	if err != nil {
		return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
	}
	if _, err := ddbitem.Encode(prepared, key); err != nil {
		return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
	}

	var existing *store.Record
	err = s.update(ctx, func(b *bolt.Bucket) error {
		existing = nil
		old, err := s.load(b, key)
		if err != nil || old != nil {
			existing = old
			return err
		}
		return put(b, key, prepared)
	})
	if err != nil {
		return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
	}
	return existing, nil
}

// Get implements store.Store.Get.
func (s *Store) Get(ctx context.Context, id string) (*store.Record, error) {
	keys, err := ddbitem.LookupKeys(id)
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", id, err)
	}
	var rec *store.Record
	err = s.view(ctx, func(b *bolt.Bucket) error {
		for _, key := range keys {
			rec, err = s.load(b, key)
			if err != nil || rec != nil {
				return err
			}
		}
		return store.ErrNotFound
	})
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", id, err)
	}
	return rec, nil
}

// modifyAlert loads the live event id and calls change on it in one
// read-write transaction, storing the changed record unless change returns
// an error. It returns the changed record, nil with no error when change
// returned ddbitem.ErrUnchanged, and an error wrapping store.ErrNotFound when there
// is no live event.
func (s *Store) modifyAlert(ctx context.Context, id string, change func(*store.Record) error) (*store.Record, error) {
	if err := ddbitem.CheckID(id); err != nil {
		return nil, err
	}
	key := ddbitem.EventKey(id)
	var rec *store.Record
	err := s.update(ctx, func(b *bolt.Bucket) error {
		var err error
		rec, err = s.load(b, key)
		switch {
		case err != nil:
			return err
		case rec == nil:
			return store.ErrNotFound
		}
		if err := change(rec); err != nil {
			return err
		}
		return put(b, key, rec)
	})
	if errors.Is(err, ddbitem.ErrUnchanged) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
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
