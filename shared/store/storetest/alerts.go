package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

const lease = 30 * time.Second

func testPendingAlertInCreate(t *testing.T, s store.Store) {
	rec := failure("alert-1", base.Add(lease))
	mustCreate(t, s, rec)

	got := mustGet(t, s, "alert-1")
	if got.Alert != store.AlertPending {
		t.Errorf("Alert = %q, want pending", got.Alert)
	}
	if !got.AlertDue.Equal(ms(base.Add(lease))) {
		t.Errorf("AlertDue = %v, want %v", got.AlertDue, ms(base.Add(lease)))
	}
	if got.AlertAttempts != 0 {
		t.Errorf("AlertAttempts = %d, want 0", got.AlertAttempts)
	}
	if ids := dueIDs(t, s, base.Add(lease).Add(-time.Millisecond)); contains(ids, "alert-1") {
		t.Errorf("DueAlerts before the lease expired = %v, want without alert-1", ids)
	}
	if ids := dueIDs(t, s, base.Add(lease)); !contains(ids, "alert-1") {
		t.Errorf("DueAlerts when the lease expired = %v, want alert-1", ids)
	}

	// Records without a pending alert are never due.
	mustCreate(t, s, event("no-alert"))
	published := failure("published-at-create", base)
	published.Alert = store.AlertPublished
	mustCreate(t, s, published)
	ids := dueIDs(t, s, base.Add(time.Hour))
	if !slices.Equal(ids, []string{"alert-1"}) {
		t.Errorf("DueAlerts = %v, want [alert-1]", ids)
	}
}

func testDueAlertsOrderAndLimit(t *testing.T, s store.Store) {
	for _, a := range []struct {
		id  string
		due time.Duration
	}{{"due-c", 3 * time.Second}, {"due-a", time.Second}, {"due-b", 2 * time.Second}, {"due-later", time.Hour}} {
		mustCreate(t, s, failure(a.id, base.Add(a.due)))
	}
	ctx := context.Background()
	got, err := s.DueAlerts(ctx, base.Add(time.Minute), 2)
	if err != nil {
		t.Fatalf("DueAlerts: %v", err)
	}
	if want := []string{"due-a", "due-b"}; !slices.Equal(got, want) {
		t.Errorf("DueAlerts(limit 2) = %v, want %v", got, want)
	}
	if got := dueIDs(t, s, base.Add(time.Minute)); !slices.Equal(got, []string{"due-a", "due-b", "due-c"}) {
		t.Errorf("DueAlerts = %v, want [due-a due-b due-c]", got)
	}
	if _, err := s.DueAlerts(ctx, base, 0); err == nil {
		t.Error("DueAlerts with limit 0 succeeded, want an error")
	}
}

func testClaimAlertLease(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, failure("claim-1", base.Add(lease)))

	if rec, err := s.ClaimAlert(ctx, "claim-1", base.Add(10*time.Second), lease); !errors.Is(err, store.ErrNotClaimed) {
		t.Fatalf("ClaimAlert before the lease expired = %v, %v; want ErrNotClaimed", rec, err)
	}

	now := base.Add(lease + time.Second)
	rec, err := s.ClaimAlert(ctx, "claim-1", now, lease)
	if err != nil {
		t.Fatalf("ClaimAlert after the lease expired: %v", err)
	}
	if rec.AlertAttempts != 1 {
		t.Errorf("AlertAttempts = %d, want 1", rec.AlertAttempts)
	}
	if !rec.AlertDue.Equal(ms(now.Add(lease))) {
		t.Errorf("AlertDue = %v, want %v", rec.AlertDue, ms(now.Add(lease)))
	}
	if rec.ID != "claim-1" || rec.Alert != store.AlertPending || string(rec.Raw) != `{"id":"claim-1"}` {
		t.Errorf("claimed record = %q %q raw %q, want the whole pending record", rec.ID, rec.Alert, rec.Raw)
	}
	if ids := dueIDs(t, s, now); contains(ids, "claim-1") {
		t.Errorf("DueAlerts right after the claim = %v, want without claim-1", ids)
	}

	// The renewed lease blocks a second claim until it expires.
	if _, err := s.ClaimAlert(ctx, "claim-1", now.Add(lease/2), lease); !errors.Is(err, store.ErrNotClaimed) {
		t.Errorf("second ClaimAlert inside the new lease: error %v, want ErrNotClaimed", err)
	}
	rec, err = s.ClaimAlert(ctx, "claim-1", now.Add(lease), lease)
	if err != nil {
		t.Fatalf("ClaimAlert after the new lease: %v", err)
	}
	if rec.AlertAttempts != 2 {
		t.Errorf("AlertAttempts after two claims = %d, want 2", rec.AlertAttempts)
	}
	if got := mustGet(t, s, "claim-1").AlertAttempts; got != 2 {
		t.Errorf("stored AlertAttempts = %d, want 2", got)
	}

	mustCreate(t, s, event("no-alert"))
	if _, err := s.ClaimAlert(ctx, "no-alert", now, lease); !errors.Is(err, store.ErrNotClaimed) {
		t.Errorf("ClaimAlert of a record without alert: error %v, want ErrNotClaimed", err)
	}
}

func testClaimAlertConcurrent(t *testing.T, s store.Store) {
	const sweepers = 20
	mustCreate(t, s, failure("contested", base))
	now := base.Add(time.Minute)

	errs := make([]error, sweepers)
	var wg sync.WaitGroup
	for i := range sweepers {
		wg.Go(func() {
			_, errs[i] = s.ClaimAlert(context.Background(), "contested", now, lease)
		})
	}
	wg.Wait()

	claimed := 0
	for i, err := range errs {
		switch {
		case err == nil:
			claimed++
		case !errors.Is(err, store.ErrNotClaimed):
			t.Errorf("sweeper %d: error %v, want nil or ErrNotClaimed", i, err)
		}
	}
	if claimed != 1 {
		t.Errorf("%d sweepers claimed the alert, want exactly 1", claimed)
	}
	if got := mustGet(t, s, "contested").AlertAttempts; got != 1 {
		t.Errorf("AlertAttempts = %d, want 1", got)
	}
}

func testMarkPublished(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, failure("pub-1", base))
	at := base.Add(2 * time.Second)

	if err := s.MarkPublished(ctx, "pub-1", "msg-1", at); err != nil {
		t.Fatalf("MarkPublished: %v", err)
	}
	got := mustGet(t, s, "pub-1")
	if got.Alert != store.AlertPublished {
		t.Errorf("Alert = %q, want published", got.Alert)
	}
	if got.AlertMessageID != "msg-1" {
		t.Errorf("AlertMessageID = %q, want msg-1", got.AlertMessageID)
	}
	if !got.AlertPublishedAt.Equal(ms(at)) {
		t.Errorf("AlertPublishedAt = %v, want %v", got.AlertPublishedAt, ms(at))
	}
	if ids := dueIDs(t, s, base.Add(time.Hour)); contains(ids, "pub-1") {
		t.Errorf("DueAlerts = %v, want without the published alert", ids)
	}
	if _, err := s.ClaimAlert(ctx, "pub-1", base.Add(time.Hour), lease); !errors.Is(err, store.ErrNotClaimed) {
		t.Errorf("ClaimAlert of a published alert: error %v, want ErrNotClaimed", err)
	}

	// A second call changes nothing and returns nil.
	if err := s.MarkPublished(ctx, "pub-1", "msg-2", at.Add(time.Second)); err != nil {
		t.Errorf("second MarkPublished: %v", err)
	}
	if got := mustGet(t, s, "pub-1"); got.AlertMessageID != "msg-1" || !got.AlertPublishedAt.Equal(ms(at)) {
		t.Errorf("after second MarkPublished: message %q at %v, want msg-1 at %v", got.AlertMessageID, got.AlertPublishedAt, ms(at))
	}

	mustCreate(t, s, event("no-alert"))
	if err := s.MarkPublished(ctx, "no-alert", "msg-3", at); err != nil {
		t.Errorf("MarkPublished of a record without alert: %v", err)
	}
	if got := mustGet(t, s, "no-alert"); got.Alert != store.AlertNone || got.AlertMessageID != "" {
		t.Errorf("record without alert became %q with message %q, want unchanged", got.Alert, got.AlertMessageID)
	}
}

func testRecordAlertError(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, failure("err-1", base))

	// 300 two-byte runes: 600 bytes, cut inside a rune at byte 500.
	long := strings.Repeat("é", 300) + "x"
	if err := s.RecordAlertError(ctx, "err-1", long, time.Time{}); err != nil {
		t.Fatalf("RecordAlertError: %v", err)
	}
	got := mustGet(t, s, "err-1")
	if got.Alert != store.AlertPending {
		t.Errorf("Alert = %q, want pending", got.Alert)
	}
	if n := len(got.AlertLastError); n == 0 || n > store.MaxAlertErrorBytes {
		t.Errorf("AlertLastError has %d bytes, want 1 to %d", n, store.MaxAlertErrorBytes)
	}
	if !utf8.ValidString(got.AlertLastError) || !strings.HasPrefix(long, got.AlertLastError) {
		t.Errorf("AlertLastError = %q, want a valid UTF-8 prefix of the message", got.AlertLastError)
	}
	if ids := dueIDs(t, s, base.Add(time.Hour)); !contains(ids, "err-1") {
		t.Errorf("DueAlerts = %v, want err-1 still due", ids)
	}

	if err := s.RecordAlertError(ctx, "err-1", "sns: throttled", time.Time{}); err != nil {
		t.Fatalf("second RecordAlertError: %v", err)
	}
	if got := mustGet(t, s, "err-1").AlertLastError; got != "sns: throttled" {
		t.Errorf("AlertLastError = %q, want the latest message", got)
	}

	retryAt := base.Add(2 * time.Hour)
	if err := s.RecordAlertError(ctx, "err-1", "sns: timeout", retryAt); err != nil {
		t.Fatalf("RecordAlertError with retryAt: %v", err)
	}
	if got := mustGet(t, s, "err-1").AlertDue; !got.Equal(retryAt.Truncate(time.Millisecond)) {
		t.Errorf("AlertDue = %v, want %v", got, retryAt)
	}
	if ids := dueIDs(t, s, base.Add(time.Hour)); contains(ids, "err-1") {
		t.Errorf("DueAlerts before retryAt = %v, want err-1 deferred", ids)
	}
	if ids := dueIDs(t, s, base.Add(3*time.Hour)); !contains(ids, "err-1") {
		t.Errorf("DueAlerts after retryAt = %v, want err-1 due", ids)
	}
}

func testFailAlert(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, failure("fail-1", base))
	if err := s.FailAlert(ctx, "fail-1", "gave up after 5 attempts"); err != nil {
		t.Fatalf("FailAlert: %v", err)
	}
	got := mustGet(t, s, "fail-1")
	if got.Alert != store.AlertFailed {
		t.Errorf("Alert = %q, want failed", got.Alert)
	}
	if got.AlertLastError != "gave up after 5 attempts" {
		t.Errorf("AlertLastError = %q, want the failure message", got.AlertLastError)
	}
	if ids := dueIDs(t, s, base.Add(time.Hour)); contains(ids, "fail-1") {
		t.Errorf("DueAlerts = %v, want without the failed alert", ids)
	}
	if _, err := s.ClaimAlert(ctx, "fail-1", base.Add(time.Hour), lease); !errors.Is(err, store.ErrNotClaimed) {
		t.Errorf("ClaimAlert of a failed alert: error %v, want ErrNotClaimed", err)
	}

	// Failing again, or publishing a failed alert, changes nothing.
	if err := s.FailAlert(ctx, "fail-1", "other"); err != nil {
		t.Errorf("second FailAlert: %v", err)
	}
	if err := s.MarkPublished(ctx, "fail-1", "msg", base); err != nil {
		t.Errorf("MarkPublished of a failed alert: %v", err)
	}
	if got := mustGet(t, s, "fail-1"); got.Alert != store.AlertFailed || got.AlertLastError != "gave up after 5 attempts" {
		t.Errorf("after second FailAlert: %q %q, want failed with the first message", got.Alert, got.AlertLastError)
	}
}

func testRequeueAlert(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := base.Add(time.Hour)

	mustCreate(t, s, failure("requeue-failed", base))
	if _, err := s.ClaimAlert(ctx, "requeue-failed", base, lease); err != nil {
		t.Fatalf("ClaimAlert: %v", err)
	}
	if err := s.FailAlert(ctx, "requeue-failed", "sns down"); err != nil {
		t.Fatalf("FailAlert: %v", err)
	}
	mustCreate(t, s, failure("requeue-published", base))
	if err := s.MarkPublished(ctx, "requeue-published", "msg-1", base); err != nil {
		t.Fatalf("MarkPublished: %v", err)
	}

	for _, id := range []string{"requeue-failed", "requeue-published"} {
		if err := s.RequeueAlert(ctx, id, now); err != nil {
			t.Fatalf("RequeueAlert(%q): %v", id, err)
		}
		got := mustGet(t, s, id)
		if got.Alert != store.AlertPending || !got.AlertDue.Equal(ms(now)) || got.AlertAttempts != 0 {
			t.Errorf("%s after requeue: %q due %v attempts %d, want pending due %v attempts 0",
				id, got.Alert, got.AlertDue, got.AlertAttempts, ms(now))
		}
		if got.AlertMessageID != "" || !got.AlertPublishedAt.IsZero() {
			t.Errorf("%s after requeue: message %q at %v, want both cleared", id, got.AlertMessageID, got.AlertPublishedAt)
		}
	}
	if ids := dueIDs(t, s, now); !slices.Contains(ids, "requeue-failed") || !slices.Contains(ids, "requeue-published") {
		t.Errorf("DueAlerts = %v, want both requeued alerts", ids)
	}
	if ids := dueIDs(t, s, now.Add(-time.Millisecond)); len(ids) != 0 {
		t.Errorf("DueAlerts before the requeue time = %v, want none", ids)
	}

	// Requeueing a pending alert changes nothing.
	if _, err := s.ClaimAlert(ctx, "requeue-failed", now, lease); err != nil {
		t.Fatalf("ClaimAlert after requeue: %v", err)
	}
	if err := s.RequeueAlert(ctx, "requeue-failed", now); err != nil {
		t.Errorf("RequeueAlert of a pending alert: %v", err)
	}
	if got := mustGet(t, s, "requeue-failed"); got.AlertAttempts != 1 || !got.AlertDue.Equal(ms(now.Add(lease))) {
		t.Errorf("pending alert after requeue: attempts %d due %v, want unchanged 1 and %v", got.AlertAttempts, got.AlertDue, ms(now.Add(lease)))
	}

	mustCreate(t, s, event("no-alert"))
	if err := s.RequeueAlert(ctx, "no-alert", now); !errors.Is(err, store.ErrNoAlert) {
		t.Errorf("RequeueAlert of a record without alert: error %v, want ErrNoAlert", err)
	}
	if got := mustGet(t, s, "no-alert"); got.Alert != store.AlertNone {
		t.Errorf("record without alert became %q, want none", got.Alert)
	}
}

func testAlertMethodsOnMissing(t *testing.T, s store.Store) {
	ctx := context.Background()
	// A quarantine record is not an event, so its id names no alert.
	mustCreate(t, s, &store.Record{ID: "q-abc", Status: store.StatusQuarantined, ReceivedAt: base})
	for _, id := range []string{"missing", "q-abc"} {
		calls := map[string]error{
			"MarkPublished":    s.MarkPublished(ctx, id, "m", base),
			"RecordAlertError": s.RecordAlertError(ctx, id, "e", time.Time{}),
			"FailAlert":        s.FailAlert(ctx, id, "e"),
			"RequeueAlert":     s.RequeueAlert(ctx, id, base),
		}
		_, calls["ClaimAlert"] = s.ClaimAlert(ctx, id, base, lease)
		for name, err := range calls {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s(%q): error %v, want ErrNotFound", name, id, err)
			}
		}
	}
	wantNotFound(t, s, "missing")
}
