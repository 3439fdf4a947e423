// Package storetest is the conformance suite of store.Store: every
// implementation runs the same cases through Run, so the embedded and the
// DynamoDB store keep the same semantics.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

// Run runs the conformance cases as parallel subtests of t. newStore returns
// an empty store for one subtest and arranges its cleanup with t.Cleanup.
//
// NOTE: the DueAlerts and ByJobID cases read right after writing, which
// DynamoDB Local's indexes allow but AWS's eventually consistent global
// secondary indexes do not guarantee, so the suite is not meant for a real
// table.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	cases := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"CreateThenGet", testCreateThenGet},
		{"GetMissing", testGetMissing},
		{"DuplicateReturnsExisting", testDuplicateReturnsExisting},
		{"NamespacesDoNotCollide", testNamespacesDoNotCollide},
		{"ConcurrentCreateOneWinner", testConcurrentCreateOneWinner},
		{"CreateRejectsInvalid", testCreateRejectsInvalid},
		{"UnusualIDs", testUnusualIDs},
		{"RawBytesRoundTrip", testRawBytesRoundTrip},
		{"LargeBodyRoundTrip", testLargeBodyRoundTrip},
		{"IncompressibleBodyTooLarge", testIncompressibleBodyTooLarge},
		{"ExpiredRecords", testExpiredRecords},
		{"CanceledContext", testCanceledContext},
		{"PendingAlertInCreate", testPendingAlertInCreate},
		{"DueAlertsOrderAndLimit", testDueAlertsOrderAndLimit},
		{"ClaimAlertLease", testClaimAlertLease},
		{"ClaimAlertConcurrent", testClaimAlertConcurrent},
		{"MarkPublished", testMarkPublished},
		{"RecordAlertError", testRecordAlertError},
		{"FailAlert", testFailAlert},
		{"RequeueAlert", testRequeueAlert},
		{"AlertMethodsOnMissing", testAlertMethodsOnMissing},
		{"ByJobID", testByJobID},
		{"Scan", testScan},
		{"ScanRequeuesInCallback", testScanRequeuesInCallback},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newStore(t))
		})
	}
}

// base is the reference time of the cases, with a sub-millisecond part that
// the stores truncate.
var base = time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC)

// ms returns t in UTC truncated to milliseconds, as stores return times.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// event returns a minimal stored event record.
func event(id string) *store.Record {
	return &store.Record{
		ID:          id,
		Status:      store.StatusStored,
		Type:        "appointment.created",
		Category:    "appointment",
		Kind:        "success",
		ReceivedAt:  base,
		ContentHash: "hash-" + id,
		Raw:         []byte(`{"id":"` + id + `"}`),
		Alert:       store.AlertNone,
	}
}

// failure returns a stored failure event with a pending alert due at due.
func failure(id string, due time.Time) *store.Record {
	rec := event(id)
	rec.Type = "appointment.failed"
	rec.Kind = "failure"
	rec.Alert = store.AlertPending
	rec.AlertDue = due
	return rec
}

// mustCreate creates rec and fails the test unless it was written.
func mustCreate(t *testing.T, s store.Store, rec *store.Record) {
	t.Helper()
	existing, err := s.Create(context.Background(), rec)
	if err != nil {
		t.Fatalf("Create(%q): %v", rec.ID, err)
	}
	if existing != nil {
		t.Fatalf("Create(%q) found an existing record with hash %q, want a new record", rec.ID, existing.ContentHash)
	}
}

// mustGet returns the record id and fails the test when Get fails.
func mustGet(t *testing.T, s store.Store, id string) *store.Record {
	t.Helper()
	rec, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return rec
}

// wantNotFound fails the test unless Get(id) returns store.ErrNotFound.
func wantNotFound(t *testing.T, s store.Store, id string) {
	t.Helper()
	rec, err := s.Get(context.Background(), id)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %v, %v; want ErrNotFound", id, rec, err)
	}
}

// dueIDs returns DueAlerts(now, 100) and fails the test on error.
func dueIDs(t *testing.T, s store.Store, now time.Time) []string {
	t.Helper()
	ids, err := s.DueAlerts(context.Background(), now, 100)
	if err != nil {
		t.Fatalf("DueAlerts: %v", err)
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// diff lists the fields in which got and want differ, comparing times with
// Equal and an empty slice as nil.
func diff(got, want *store.Record) []string {
	if got == nil || want == nil {
		if got == want {
			return nil
		}
		return []string{fmt.Sprintf("record: got %v, want %v", got, want)}
	}
	var out []string
	gv, wv := reflect.ValueOf(*got), reflect.ValueOf(*want)
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if equalField(g, w) {
			continue
		}
		if name == "Raw" {
			out = append(out, fmt.Sprintf("Raw: got %d bytes, want %d bytes", len(got.Raw), len(want.Raw)))
			continue
		}
		out = append(out, fmt.Sprintf("%s: got %#v, want %#v", name, g, w))
	}
	return out
}

func equalField(g, w any) bool {
	switch g := g.(type) {
	case time.Time:
		return g.Equal(w.(time.Time))
	case []byte:
		w := w.([]byte)
		return len(g) == 0 && len(w) == 0 || reflect.DeepEqual(g, w)
	case []string:
		w := w.([]string)
		return len(g) == 0 && len(w) == 0 || reflect.DeepEqual(g, w)
	}
	return reflect.DeepEqual(g, w)
}

// checkRecord fails the test when got differs from want.
func checkRecord(t *testing.T, label string, got, want *store.Record) {
	t.Helper()
	for _, d := range diff(got, want) {
		t.Errorf("%s: %s", label, d)
	}
}
