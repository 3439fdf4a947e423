package sweep_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/embedded"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

// recordingPublisher records published event ids and fails while down.
type recordingPublisher struct {
	mu        sync.Mutex
	down      bool
	published map[string]int
}

func (p *recordingPublisher) Publish(_ context.Context, a *alert.Alert) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return "", errors.New("sns: connection refused")
	}
	p.published[a.EventID]++
	return fmt.Sprintf("msg-%s-%d", a.EventID, p.published[a.EventID]), nil
}

func (p *recordingPublisher) count(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.published[id]
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newSweeper(t *testing.T, st store.Store, pub alert.Publisher, clk *clock) *sweep.Sweeper {
	return &sweep.Sweeper{
		Store: st, Publisher: pub, Lease: 10 * time.Second, MaxAttempts: 3, Grace: time.Second,
		Batch: 50, Logger: testenv.Logger(t), Now: clk.Now,
	}
}

func openStore(t *testing.T, clk *clock) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Now = clk.Now
	t.Cleanup(func() { st.Close() })
	return st
}

// pendingFailure stores a failure event whose alert is pending with a lease
// ending at due.
func pendingFailure(t *testing.T, st store.Store, id string, received, due time.Time) {
	t.Helper()
	body := fmt.Sprintf(`{"id":%q,"type":"task.failed","data":{"task_id":"t","failure_reason":"x",`+
		`"reasons":[{"code":"ASSIGNEE_NOT_FOUND","description":"x"}]}}`, id)
	env, err := envelope.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	rec := &store.Record{
		ID: id, Status: store.StatusStored, Type: env.Type, Category: env.Category, Kind: string(env.Kind),
		ReceivedAt: received, ContentHash: env.ContentHash, Raw: []byte(body),
		Alert: store.AlertPending, AlertDue: due,
	}
	if existing, err := st.Create(context.Background(), rec); err != nil || existing != nil {
		t.Fatalf("create %s: %v %v", id, existing, err)
	}
}

func alertOf(t *testing.T, st store.Store, id string) *store.Record {
	t.Helper()
	rec, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestSweepPublishesExpiredLeaseOnly(t *testing.T) {
	clk := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	st := openStore(t, clk)
	pub := &recordingPublisher{published: map[string]int{}}
	pendingFailure(t, st, "expired", clk.Now().Add(-time.Minute), clk.Now().Add(-30*time.Second))
	pendingFailure(t, st, "leased", clk.Now(), clk.Now().Add(30*time.Second))
	pendingFailure(t, st, "in-grace", clk.Now(), clk.Now().Add(-500*time.Millisecond))

	res, err := newSweeper(t, st, pub, clk).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Published != 1 || pub.count("expired") != 1 {
		t.Errorf("published %d (expired %d times), want only the expired lease once", res.Published, pub.count("expired"))
	}
	if pub.count("leased") != 0 || pub.count("in-grace") != 0 {
		t.Error("sweep published an alert whose lease or grace period had not passed")
	}
	if got := alertOf(t, st, "expired"); got.Alert != store.AlertPublished || got.AlertMessageID == "" {
		t.Errorf("expired alert is %s with message id %q, want published", got.Alert, got.AlertMessageID)
	}
	if res.OldestAge < time.Minute {
		t.Errorf("OldestAge = %v, want at least 1m", res.OldestAge)
	}
}

func TestSweepBacksOffThenFails(t *testing.T) {
	clk := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	st := openStore(t, clk)
	pub := &recordingPublisher{published: map[string]int{}, down: true}
	s := newSweeper(t, st, pub, clk)
	pendingFailure(t, st, "stuck", clk.Now().Add(-time.Minute), clk.Now().Add(-time.Minute))

	var dues []time.Time
	for attempt := 1; attempt <= s.MaxAttempts; attempt++ {
		res, err := s.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Retrying != 1 {
			t.Fatalf("attempt %d: retrying %d, want 1", attempt, res.Retrying)
		}
		rec := alertOf(t, st, "stuck")
		if rec.Alert != store.AlertPending || rec.AlertAttempts != attempt || rec.AlertLastError == "" {
			t.Fatalf("attempt %d: alert %s attempts %d error %q", attempt, rec.Alert, rec.AlertAttempts, rec.AlertLastError)
		}
		wantDue := clk.Now().Add(s.Backoff(attempt))
		if !rec.AlertDue.Equal(wantDue) {
			t.Errorf("attempt %d: due %v, want %v", attempt, rec.AlertDue, wantDue)
		}
		dues = append(dues, rec.AlertDue)
		clk.Advance(rec.AlertDue.Sub(clk.Now()) + 2*time.Second)
	}
	if gap1, gap2 := dues[1].Sub(dues[0]), dues[2].Sub(dues[1]); gap2 <= gap1 {
		t.Errorf("backoff did not grow: %v then %v", gap1, gap2)
	}

	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 {
		t.Errorf("failed %d after %d attempts, want 1", res.Failed, s.MaxAttempts)
	}
	if got := alertOf(t, st, "stuck").Alert; got != store.AlertFailed {
		t.Errorf("alert = %s, want failed", got)
	}
}

func TestBackoffDoublesUpToCap(t *testing.T) {
	s := &sweep.Sweeper{Lease: 30 * time.Second}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		sweep.MaxBackoff, sweep.MaxBackoff}
	for i, w := range want {
		if got := s.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

func TestConcurrentSweepersPublishOnce(t *testing.T) {
	clk := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	st := openStore(t, clk)
	pub := &recordingPublisher{published: map[string]int{}}
	const n = 30
	for i := range n {
		pendingFailure(t, st, fmt.Sprintf("evt-%02d", i), clk.Now().Add(-time.Minute), clk.Now().Add(-time.Minute))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := newSweeper(t, st, pub, clk).Run(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range n {
		id := fmt.Sprintf("evt-%02d", i)
		if got := pub.count(id); got != 1 {
			t.Errorf("%s published %d times, want 1", id, got)
		}
	}
}
