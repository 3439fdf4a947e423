package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/memstore"
	"github.com/clinicops/cobalt-receiver/shared/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}

func TestRecordsAreCopies(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	rec := &store.Record{
		ID: "evt-1", Status: store.StatusStored, ReceivedAt: time.Now(),
		ContentHash: "h1", Raw: []byte(`{"id":"evt-1"}`), SchemaIssues: []string{"data.mrn is missing"},
	}
	if _, err := s.Create(ctx, rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	rec.Raw[0] = 'X'
	rec.SchemaIssues[0] = "changed by the caller"

	got, err := s.Get(ctx, "evt-1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(got.Raw) != `{"id":"evt-1"}` {
		t.Errorf("Raw after the caller changed its slice: %q, want the body as created", got.Raw)
	}
	if got.SchemaIssues[0] != "data.mrn is missing" {
		t.Errorf("SchemaIssues after the caller changed its slice: %q", got.SchemaIssues)
	}

	got.Raw[0] = 'Y'
	again, err := s.Get(ctx, "evt-1")
	if err != nil {
		t.Fatalf("second Get: %v", err)
	}
	if string(again.Raw) != `{"id":"evt-1"}` {
		t.Errorf("Raw after a reader changed its copy: %q, want the body as created", again.Raw)
	}
}

func TestNowJudgesExpiry(t *testing.T) {
	s := memstore.New()
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
