package embedded_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/embedded"
	"github.com/clinicops/cobalt-receiver/shared/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "store.db"))
	})
}

func open(t *testing.T, path string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestRecordsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "folder", "store.db")
	s, err := embedded.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	rec := &store.Record{
		ID: "evt-1", Status: store.StatusStored, ReceivedAt: time.Now(),
		ContentHash: "h1", Raw: []byte(`{"id":"evt-1"}`),
	}
	if _, err := s.Create(context.Background(), rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	got, err := open(t, path).Get(context.Background(), "evt-1")
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if got.ContentHash != "h1" || string(got.Raw) != `{"id":"evt-1"}` {
		t.Errorf("after reopen: hash %q raw %q, want h1 and the body", got.ContentHash, got.Raw)
	}
}

func TestNowJudgesExpiry(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "store.db"))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	rec := &store.Record{
		ID: "evt-1", Status: store.StatusStored, ReceivedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	if _, err := s.Create(context.Background(), rec); err != nil {
		t.Fatalf("Create: %v", err)
	}

	now = now.Add(time.Hour) // the expiry second itself is still live
	if _, err := s.Get(context.Background(), "evt-1"); err != nil {
		t.Errorf("Get at the expiry second: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := s.Get(context.Background(), "evt-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after expiry: error %v, want ErrNotFound", err)
	}
}

func TestOpenLockedFileFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	open(t, path)
	if s, err := embedded.Open(path); err == nil {
		s.Close()
		t.Fatal("second Open of a file in use succeeded, want an error")
	}
}
