package redrive_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/redrive"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/memstore"
)

// TestRequeueTruncatedType requeues a failure whose stored type lost its
// ".failed" suffix to the record's 1024-byte field bound: the kind recorded
// at ingestion still shows it alerts.
func TestRequeueTruncatedType(t *testing.T) {
	st := memstore.New()
	fullType := "task." + strings.Repeat("x", 2000) + ".failed"
	rec := &store.Record{
		ID: "evt-long-type", Status: store.StatusStored, Type: fullType[:1024], Category: "task",
		Kind: "failure", ReceivedAt: base, ContentHash: "hash",
		Raw:   []byte(`{"id":"evt-long-type","type":"` + fullType + `","data":{}}`),
		Alert: store.AlertPublished,
	}
	if _, err := st.Create(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	sel, err := redrive.Select(context.Background(), st, redrive.Selector{IDs: []string{"evt-long-type"}})
	if err != nil {
		t.Fatal(err)
	}
	actions, err := redrive.Requeue(context.Background(), st, sel, base, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != 1 || actions[0].Outcome != redrive.OutcomeRequeued {
		t.Fatalf("actions = %+v, want one requeued", actions)
	}
	got, err := st.Get(context.Background(), "evt-long-type")
	if err != nil {
		t.Fatal(err)
	}
	if got.Alert != store.AlertPending {
		t.Errorf("alert = %s, want pending", got.Alert)
	}
}
