package faults_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/alertlog"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/embedded"
)

// localRig is local mode as localserver.Run wires it: the embedded store
// and the alert log in a data directory.
type localRig struct {
	store    *embedded.Store
	alerts   *alertlog.Log
	alertLog string // path of the alert log
}

func newLocalRig(t *testing.T) *localRig {
	t.Helper()
	dir := t.TempDir()
	st, err := embedded.Open(filepath.Join(dir, localserver.StoreFile))
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	rig := &localRig{store: st, alertLog: filepath.Join(dir, localserver.AlertLogFile)}
	rig.alerts = rig.openAlertLog(t)
	return rig
}

// openAlertLog opens another appender on the rig's alert log.
func (r *localRig) openAlertLog(t *testing.T) *alertlog.Log {
	t.Helper()
	log, err := alertlog.Open(r.alertLog)
	if err != nil {
		t.Fatalf("open alert log: %v", err)
	}
	t.Cleanup(func() { _ = log.Close() })
	return log
}

// deliveries counts the alert log lines of each event id.
func (r *localRig) deliveries(t *testing.T) map[string]int {
	t.Helper()
	data, err := os.ReadFile(r.alertLog)
	if err != nil {
		t.Fatalf("read alert log: %v", err)
	}
	counts := map[string]int{}
	for _, line := range jsonLines(t, data) {
		id, _ := line["event_id"].(string)
		counts[id]++
	}
	return counts
}

// gatedPublisher holds each Publish while its gate is closed, until the
// gate opens or the publish's context ends, then passes it on.
type gatedPublisher struct {
	next alert.Publisher

	mu   sync.Mutex
	gate chan struct{}
}

// hold closes the gate and returns the function that opens it again.
func (g *gatedPublisher) hold() (release func()) {
	gate := make(chan struct{})
	g.mu.Lock()
	g.gate = gate
	g.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }
}

// Publish implements alert.Publisher.
func (g *gatedPublisher) Publish(ctx context.Context, a *alert.Alert) (string, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return g.next.Publish(ctx, a)
}

// scanRecords returns the records of st that match filter.
func scanRecords(t *testing.T, st store.Store, filter store.ScanFilter) []*store.Record {
	t.Helper()
	var recs []*store.Record
	err := st.Scan(t.Context(), filter, func(rec *store.Record) error {
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		t.Fatalf("scan records: %v", err)
	}
	return recs
}

// waitForRecord polls st until id is stored, for at most timeout.
func waitForRecord(t *testing.T, st store.Store, id string, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "record "+id+" to be stored", func() bool {
		_, err := st.Get(t.Context(), id)
		return err == nil
	})
}

// TestHungUpSenderKeepsAlertError covers a sender that hangs up while the
// alert is being published: the publish fails with the request, and its
// error must still be recorded on the pending alert.
func TestHungUpSenderKeepsAlertError(t *testing.T) {
	t.Parallel()
	rig := newLocalRig(t)
	pub := &gatedPublisher{next: rig.alerts}
	release := pub.hold()
	defer release()
	url := serve(t, newHandler(t, rig.store, pub, 30*time.Second), rig.store)
	id := "evt-hangup-" + randomSuffix(t)

	impatient := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := sendWith(impatient, url, failureEvent(t, id, 0), "1"); err == nil {
		t.Fatalf("sender got %d %q, want it to time out while the publish is held", resp.code, resp.answer.Status)
	}
	waitFor(t, 5*time.Second, "the publish error to be recorded", func() bool {
		rec, err := rig.store.Get(t.Context(), id)
		return err == nil && rec.AlertLastError != ""
	})
	if rec := getRecord(t, rig.store, id); rec.Alert != store.AlertPending {
		t.Errorf("alert = %q, want pending", rec.Alert)
	}
	if n := rig.deliveries(t)[id]; n != 0 {
		t.Errorf("alert log holds %d lines for %s, want 0", n, id)
	}
}
