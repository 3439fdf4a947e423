package faults_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/snspub"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

// newSweeper builds a sweeper as the sweep function does, with no grace.
func newSweeper(t *testing.T, st store.Store, pub alert.Publisher, lease time.Duration, maxAttempts int) *sweep.Sweeper {
	t.Helper()
	return &sweep.Sweeper{
		Store:       st,
		Publisher:   pub,
		Lease:       lease,
		MaxAttempts: maxAttempts,
		Batch:       25,
		Logger:      testenv.Logger(t),
		Metrics:     metrics.NewEMF(testenv.LogWriter(t, "emf"), "CobaltReceiverFaultTests"),
		Now:         time.Now,
	}
}

// sweepUntilPublished runs s until its runs have published want alerts in
// all, for at most 10 s, and returns how many they published.
func sweepUntilPublished(t *testing.T, s *sweep.Sweeper, want int) int {
	t.Helper()
	total := 0
	waitFor(t, 10*time.Second, fmt.Sprintf("the sweep to publish %d alerts", want), func() bool {
		res, err := s.Run(t.Context())
		if err != nil {
			t.Fatalf("sweep run: %v", err)
		}
		total += res.Published
		return total >= want
	})
	return total
}

// pendingAlerts sends n failure events to url at once and checks that each
// was stored with its alert pending. It returns their ids.
func pendingAlerts(t *testing.T, url string, st store.Store, n int) []string {
	t.Helper()
	ids := make([]string, n)
	bodies := make([][]byte, n)
	for i := range ids {
		ids[i] = "evt-sweep-" + randomSuffix(t)
		bodies[i] = failureEvent(t, ids[i], i)
	}
	for i, resp := range sendAll(t, url, bodies, "2") {
		if resp.code != http.StatusOK || resp.answer.Status != "stored" {
			t.Fatalf("event %s answered %d %q, want 200 stored", ids[i], resp.code, resp.answer.Status)
		}
	}
	for _, id := range ids {
		if rec := getRecord(t, st, id); rec.Alert != store.AlertPending {
			t.Fatalf("alert of %s = %q, want pending", id, rec.Alert)
		}
	}
	return ids
}

// shiftedClock returns a clock running offset ahead of the wall clock, so
// a sweeper finds alerts due without waiting out their lease.
func shiftedClock(offset time.Duration) func() time.Time {
	return func() time.Time { return time.Now().Add(offset) }
}

// race runs the sweepers at once, each until one of its runs finds no due
// alert, and returns how many alerts they published in all.
func race(t *testing.T, sweepers ...*sweep.Sweeper) int {
	t.Helper()
	published := make([]int, len(sweepers))
	errs := make([]error, len(sweepers))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range sweepers {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for ctx.Err() == nil {
				res, err := s.Run(ctx)
				if err != nil {
					errs[i] = err
					return
				}
				published[i] += res.Published
				if res.Due == 0 {
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range sweepers {
		if errs[i] != nil {
			t.Fatalf("sweeper %d: %v", i, errs[i])
		}
		t.Logf("sweeper %d published %d alerts", i, published[i])
		total += published[i]
	}
	return total
}

func TestRacingSweepersPublishOnce(t *testing.T) {
	t.Parallel()
	const n = 8
	// The sweepers' clocks run two leases ahead, so no wait depends on the
	// lease; a long one keeps each publish (bounded by half the lease) from
	// timing out on a loaded machine after SNS took the message.
	const lease = 10 * time.Second

	t.Run("DynamoDB", func(t *testing.T) {
		t.Parallel()
		rig := newAWSRig(t)
		url := serve(t, newHandler(t, rig.store, rig.publisher, lease), rig.store)
		rig.sns.disable(t)
		ids := pendingAlerts(t, url, rig.direct, n)
		rig.sns.enable(t)

		// Each sweeper has clients of its own, as two sweep functions would.
		var sweepers []*sweep.Sweeper
		for range 2 {
			cfg := productionConfig(t)
			pub, err := snspub.New(snsClient(cfg, rig.sns.URL), rig.sink.topics)
			if err != nil {
				t.Fatalf("create SNS publisher: %v", err)
			}
			st := dynamostore.New(dynamoClient(cfg, rig.dynamo.URL), rig.table)
			s := newSweeper(t, st, pub, lease, 3)
			s.Now = shiftedClock(2 * lease)
			sweepers = append(sweepers, s)
		}
		if got := race(t, sweepers...); got != n {
			t.Errorf("sweepers published %d alerts, want %d", got, n)
		}
		checkPublishedOnce(t, rig.direct, rig.sink.deliveries(t), ids)
	})

	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		rig := newLocalRig(t)
		// A closed alert log fails every publish, as an SNS outage would.
		closed := rig.openAlertLog(t)
		if err := closed.Close(); err != nil {
			t.Fatal(err)
		}
		url := serve(t, newHandler(t, rig.store, closed, lease), rig.store)
		ids := pendingAlerts(t, url, rig.store, n)

		var sweepers []*sweep.Sweeper
		for range 2 {
			s := newSweeper(t, rig.store, rig.openAlertLog(t), lease, 3)
			s.Now = shiftedClock(2 * lease)
			sweepers = append(sweepers, s)
		}
		if got := race(t, sweepers...); got != n {
			t.Errorf("sweepers published %d alerts, want %d", got, n)
		}
		checkPublishedOnce(t, rig.store, rig.deliveries(t), ids)
	})
}

// checkPublishedOnce checks that each alert of ids was delivered once and
// marked published.
func checkPublishedOnce(t *testing.T, st store.Store, deliveries map[string]int, ids []string) {
	t.Helper()
	for _, id := range ids {
		if deliveries[id] != 1 {
			t.Errorf("alert of %s delivered %d times, want 1", id, deliveries[id])
		}
		if rec := getRecord(t, st, id); rec.Alert != store.AlertPublished {
			t.Errorf("alert of %s = %q, want published", id, rec.Alert)
		}
	}
}

func TestSweepBacksOffThenFails(t *testing.T) {
	t.Parallel()
	rig := newAWSRig(t)
	const lease = time.Second
	const maxAttempts = 3
	url := serve(t, newHandler(t, rig.store, rig.publisher, lease), rig.store)
	rig.sns.disable(t)
	id := pendingAlerts(t, url, rig.direct, 1)[0]

	var logs, emf bytes.Buffer
	s := newSweeper(t, rig.store, rig.publisher, lease, maxAttempts)
	s.Logger = slog.New(slog.NewJSONHandler(io.MultiWriter(testenv.LogWriter(t, "sweep"), &logs), nil))
	s.Metrics = metrics.NewEMF(io.MultiWriter(testenv.LogWriter(t, "sweep-emf"), &emf), "CobaltReceiverFaultTests")
	// The sweeper's clock jumps to each due time, so no backoff is waited
	// out for real.
	now := getRecord(t, rig.direct, id).AlertDue
	s.Now = func() time.Time { return now }

	for attempt := 1; attempt <= maxAttempts; attempt++ {
		res, err := s.Run(t.Context())
		if err != nil {
			t.Fatalf("sweep %d: %v", attempt, err)
		}
		if res.Retrying != 1 {
			t.Fatalf("sweep %d: result %+v, want 1 retrying", attempt, res)
		}
		rec := getRecord(t, rig.direct, id)
		if rec.Alert != store.AlertPending || rec.AlertAttempts != attempt {
			t.Errorf("after sweep %d: alert %q with %d attempts, want pending with %d",
				attempt, rec.Alert, rec.AlertAttempts, attempt)
		}
		if rec.AlertLastError == "" {
			t.Errorf("after sweep %d: no last error recorded", attempt)
		}
		wantDue := now.Add(s.Backoff(attempt)).Truncate(time.Millisecond)
		if !rec.AlertDue.Equal(wantDue) {
			t.Errorf("after sweep %d: due %s, want %s (backoff %s)", attempt, rec.AlertDue, wantDue, s.Backoff(attempt))
		}
		if due := dueIDs(t, rig.direct, rec.AlertDue.Add(-time.Millisecond)); due[id] {
			t.Errorf("after sweep %d: alert is due before its backoff ended", attempt)
		}
		now = rec.AlertDue
	}

	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatalf("last sweep: %v", err)
	}
	if res.Failed != 1 {
		t.Errorf("last sweep: result %+v, want 1 failed", res)
	}
	rec := getRecord(t, rig.direct, id)
	if rec.Alert != store.AlertFailed {
		t.Errorf("alert = %q after %d attempts, want failed", rec.Alert, maxAttempts)
	}
	if due := dueIDs(t, rig.direct, now.Add(24*time.Hour)); due[id] {
		t.Error("failed alert is still listed as due")
	}
	if n := rig.sink.deliveries(t)[id]; n != 0 {
		t.Errorf("SNS delivered %d alerts while down, want 0", n)
	}

	if got := metricSum(t, emf.Bytes(), metrics.AlertPublishFailed); got != maxAttempts {
		t.Errorf("%s = %v, want %d", metrics.AlertPublishFailed, got, maxAttempts)
	}
	if got := metricSum(t, emf.Bytes(), metrics.AlertsFailed); got != 1 {
		t.Errorf("%s = %v, want 1", metrics.AlertsFailed, got)
	}
	logged := false
	for _, line := range jsonLines(t, logs.Bytes()) {
		if line["msg"] == "alert failed: redrive needed" && line["eventId"] == id {
			logged = true
		}
	}
	if !logged {
		t.Error("no log line reports the failed alert")
	}
}

// TestSweepRecordsErrorAfterRunDeadline runs a sweep whose context ends
// while SNS hangs, as the sweep function's does near its timeout.
func TestSweepRecordsErrorAfterRunDeadline(t *testing.T) {
	t.Parallel()
	rig := newAWSRig(t)
	const lease = time.Second
	url := serve(t, newHandler(t, rig.store, rig.publisher, lease), rig.store)
	rig.sns.disable(t)
	id := pendingAlerts(t, url, rig.direct, 1)[0]
	before := getRecord(t, rig.direct, id).AlertLastError
	rig.sns.enable(t)
	rig.sns.addToxic(t, "timeout", "upstream", toxiproxy.Attributes{"timeout": 0})

	s := newSweeper(t, rig.store, rig.publisher, lease, 3)
	s.Now = shiftedClock(2 * lease)
	ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
	defer cancel()
	res, err := s.Run(ctx)
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if res.Retrying != 1 {
		t.Fatalf("sweep result %+v, want 1 retrying", res)
	}
	rec := getRecord(t, rig.direct, id)
	if rec.AlertLastError == "" || rec.AlertLastError == before {
		t.Errorf("last error = %q, want the sweep's publish error recorded", rec.AlertLastError)
	}
	if rec.Alert != store.AlertPending || rec.AlertAttempts != 1 {
		t.Errorf("alert %q with %d attempts, want pending with 1", rec.Alert, rec.AlertAttempts)
	}
}

// dueIDs lists the alerts st reports due at now.
func dueIDs(t *testing.T, st store.Store, now time.Time) map[string]bool {
	t.Helper()
	ids, err := st.DueAlerts(t.Context(), now, 100)
	if err != nil {
		t.Fatalf("list due alerts: %v", err)
	}
	due := map[string]bool{}
	for _, id := range ids {
		due[id] = true
	}
	return due
}

// metricSum adds up the values of one metric in EMF output.
func metricSum(t *testing.T, emf []byte, name string) float64 {
	t.Helper()
	sum := 0.0
	for _, doc := range jsonLines(t, emf) {
		if v, ok := doc[name].(float64); ok {
			sum += v
		}
	}
	return sum
}
