package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

func testByJobID(t *testing.T, s store.Store) {
	ctx := context.Background()
	records := []struct {
		id       string
		jobID    string
		received time.Duration
	}{
		{"job-third", "12345", 3 * time.Second},
		{"job-first", "12345", time.Second},
		{"job-second", "12345", 2 * time.Second},
		{"job-padded", "0012345", time.Second},
		{"job-float", "12345.0", time.Second},
		{"job-none", "", time.Second},
	}
	for _, r := range records {
		rec := event(r.id)
		rec.JobID = r.jobID
		rec.ReceivedAt = base.Add(r.received)
		mustCreate(t, s, rec)
	}
	conflict := &store.Record{
		ID: "c-job", Status: store.StatusConflict, JobID: "12345",
		ReceivedAt: base.Add(4 * time.Second), ConflictOf: "job-first",
	}
	mustCreate(t, s, conflict)

	cases := []struct {
		jobID string
		limit int
		want  []string
	}{
		{"12345", 10, []string{"job-first", "job-second", "job-third", "c-job"}},
		{"12345", 2, []string{"job-first", "job-second"}},
		{"0012345", 10, []string{"job-padded"}},
		{"12345.0", 10, []string{"job-float"}},
		{"999", 10, nil},
		{"", 10, nil},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q limit %d", c.jobID, c.limit), func(t *testing.T) {
			recs, err := s.ByJobID(ctx, c.jobID, c.limit)
			if err != nil {
				t.Fatalf("ByJobID: %v", err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.ID)
				if r.JobID != c.jobID {
					t.Errorf("record %q has JobID %q, want %q", r.ID, r.JobID, c.jobID)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("ByJobID = %v, want %v", got, c.want)
			}
		})
	}

	recs, err := s.ByJobID(ctx, "12345", 1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("ByJobID(limit 1) = %d records, %v; want 1", len(recs), err)
	}
	want := event("job-first")
	want.JobID = "12345"
	want.ReceivedAt = ms(base.Add(time.Second))
	checkRecord(t, "ByJobID record", recs[0], want)

	if _, err := s.ByJobID(ctx, "12345", 0); err == nil {
		t.Error("ByJobID with limit 0 succeeded, want an error")
	}
}

// scanSet creates records for the Scan cases.
func scanSet(t *testing.T, s store.Store) {
	t.Helper()
	records := []struct {
		id       string
		typ      string
		category string
		received time.Duration
		alert    store.AlertState
	}{
		{"scan-1", "appointment.failed", "appointment", 0, store.AlertFailed},
		{"scan-2", "appointment.failed", "appointment", time.Hour, store.AlertPublished},
		{"scan-3", "task.failed", "task", 2 * time.Hour, store.AlertFailed},
		{"scan-4", "appointment.created", "appointment", 3 * time.Hour, store.AlertNone},
	}
	for _, r := range records {
		rec := event(r.id)
		rec.Type, rec.Category = r.typ, r.category
		rec.ReceivedAt = base.Add(r.received)
		rec.Alert = r.alert
		mustCreate(t, s, rec)
	}
	mustCreate(t, s, &store.Record{
		ID: "q-scan", Status: store.StatusQuarantined, ReceivedAt: base.Add(30 * time.Minute),
	})
	expired := event("scan-expired")
	expired.Type, expired.Category = "appointment.failed", "appointment"
	expired.ExpiresAt = time.Now().Add(-time.Hour)
	mustCreate(t, s, expired)
}

func testScan(t *testing.T, s store.Store) {
	scanSet(t, s)
	cases := []struct {
		name   string
		filter store.ScanFilter
		want   []string
	}{
		{"all", store.ScanFilter{}, []string{"q-scan", "scan-1", "scan-2", "scan-3", "scan-4"}},
		{"type", store.ScanFilter{Type: "appointment.failed"}, []string{"scan-1", "scan-2"}},
		{"category", store.ScanFilter{Category: "appointment"}, []string{"scan-1", "scan-2", "scan-4"}},
		{"status", store.ScanFilter{Status: store.StatusQuarantined}, []string{"q-scan"}},
		{"alert", store.ScanFilter{Alert: store.AlertFailed}, []string{"scan-1", "scan-3"}},
		{"from inclusive", store.ScanFilter{ReceivedFrom: base.Add(time.Hour)}, []string{"scan-2", "scan-3", "scan-4"}},
		{"to exclusive", store.ScanFilter{ReceivedTo: base.Add(time.Hour)}, []string{"q-scan", "scan-1"}},
		{"category and range", store.ScanFilter{
			Category: "appointment", ReceivedFrom: base.Add(time.Minute), ReceivedTo: base.Add(4 * time.Hour),
		}, []string{"scan-2", "scan-4"}},
		{"no match", store.ScanFilter{Type: "note.failed"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := s.Scan(context.Background(), c.filter, func(rec *store.Record) error {
				got = append(got, rec.ID)
				return nil
			})
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("Scan = %v, want %v", got, c.want)
			}
		})
	}

	stop := errors.New("stop here")
	calls := 0
	err := s.Scan(context.Background(), store.ScanFilter{}, func(*store.Record) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("Scan error = %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("Scan called the callback %d times after it failed, want 1", calls)
	}
}

// testScanRequeuesInCallback is an operator's redrive: requeue every failed
// alert of one type from inside the Scan callback.
func testScanRequeuesInCallback(t *testing.T, s store.Store) {
	scanSet(t, s)
	ctx := context.Background()
	now := base.Add(24 * time.Hour)
	var requeued []string
	err := s.Scan(ctx, store.ScanFilter{Category: "appointment", Alert: store.AlertFailed}, func(rec *store.Record) error {
		requeued = append(requeued, rec.ID)
		return s.RequeueAlert(ctx, rec.ID, now)
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if !slices.Equal(requeued, []string{"scan-1"}) {
		t.Errorf("requeued %v, want [scan-1]", requeued)
	}
	if ids := dueIDs(t, s, now); !slices.Equal(ids, []string{"scan-1"}) {
		t.Errorf("DueAlerts = %v, want [scan-1]", ids)
	}
	if got := mustGet(t, s, "scan-3").Alert; got != store.AlertFailed {
		t.Errorf("scan-3 alert = %q, want failed", got)
	}
}
