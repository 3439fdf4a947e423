package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/memstore"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

type countingPublisher struct {
	mu    sync.Mutex
	count int
}

func (p *countingPublisher) Publish(context.Context, *alert.Alert) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	return fmt.Sprintf("msg-%d", p.count), nil
}

// TestRunUntilDoneDrainsFullBatches checks one invocation keeps sweeping
// while each run finds a full batch, so a backlog larger than the batch is
// published in one scheduled run.
func TestRunUntilDoneDrainsFullBatches(t *testing.T) {
	st := memstore.New()
	now := time.Now()
	const pending = 23
	for i := range pending {
		id := fmt.Sprintf("evt-%02d", i)
		body := fmt.Sprintf(`{"id":%q,"type":"task.failed","data":{"failure_reason":"x"}}`, id)
		env, err := envelope.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Create(context.Background(), &store.Record{
			ID: id, Status: store.StatusStored, Type: env.Type, Category: env.Category, Kind: string(env.Kind),
			ReceivedAt: now.Add(-time.Hour), ContentHash: env.ContentHash, Raw: []byte(body),
			Alert: store.AlertPending, AlertDue: now.Add(-time.Minute),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pub := &countingPublisher{}
	s := &sweep.Sweeper{
		Store: st, Publisher: pub, Lease: 30 * time.Second, MaxAttempts: 3, Batch: 5,
		Logger: testenv.Logger(t), Now: time.Now,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := runUntilDone(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Published != pending || pub.count != pending {
		t.Errorf("published %d (publisher saw %d), want %d", res.Published, pub.count, pending)
	}
}
