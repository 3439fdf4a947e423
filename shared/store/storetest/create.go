package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

func testCreateThenGet(t *testing.T, s store.Store) {
	rec := &store.Record{
		ID:               "evt_01HZX",
		Status:           store.StatusStored,
		Type:             "patient.insurance.updated",
		Category:         "patient",
		Kind:             "success",
		Clinic:           "clinic-ref-7",
		JobID:            "4711",
		Created:          "2026-03-01T11:59:58.5Z",
		ReceivedAt:       base,
		ContentHash:      strings.Repeat("ab", 32),
		Raw:              []byte(`{"id":"evt_01HZX","type":"patient.insurance.updated","data":{}}`),
		SignatureMethod:  "raw",
		WebhookID:        "wh-1",
		WebhookAttempt:   "2",
		WebhookTimestamp: "1772366398",
		SchemaIssues:     []string{"data.plan: missing", "data.rank: want number"},
		Alert:            store.AlertNone,
		ExpiresAt:        time.Now().Add(48 * time.Hour),
	}
	mustCreate(t, s, rec)

	want := *rec
	want.ReceivedAt = ms(rec.ReceivedAt)
	want.ExpiresAt = time.Unix(rec.ExpiresAt.Unix(), 0).UTC()
	checkRecord(t, "Get after Create", mustGet(t, s, rec.ID), &want)

	quarantine := &store.Record{
		ID:          "q-" + strings.Repeat("0f", 32),
		Status:      store.StatusQuarantined,
		ReceivedAt:  base,
		ContentHash: strings.Repeat("0f", 32),
		Raw:         []byte(`[1,2,3]`),
		Errors:      []string{"body is not a JSON object"},
	}
	mustCreate(t, s, quarantine)
	wantQ := *quarantine
	wantQ.ReceivedAt = ms(base)
	wantQ.Alert = store.AlertNone
	checkRecord(t, "Get quarantine", mustGet(t, s, quarantine.ID), &wantQ)

	conflict := &store.Record{
		ID:          "c-" + strings.Repeat("1e", 32),
		Status:      store.StatusConflict,
		Type:        "patient.insurance.updated",
		ReceivedAt:  base.Add(time.Second),
		ContentHash: strings.Repeat("1e", 32),
		Raw:         []byte(`{"id":"evt_01HZX","type":"patient.insurance.updated","data":{"x":1}}`),
		ConflictOf:  "evt_01HZX",
		Alert:       store.AlertNone,
	}
	mustCreate(t, s, conflict)
	wantC := *conflict
	wantC.ReceivedAt = ms(conflict.ReceivedAt)
	checkRecord(t, "Get conflict", mustGet(t, s, conflict.ID), &wantC)
}

func testGetMissing(t *testing.T, s store.Store) {
	mustCreate(t, s, event("present"))
	for _, id := range []string{"absent", "q-absent", "c-absent", "q-", "c-"} {
		wantNotFound(t, s, id)
	}
}

func testDuplicateReturnsExisting(t *testing.T, s store.Store) {
	first := event("dup-1")
	first.ContentHash = "first-hash"
	mustCreate(t, s, first)

	second := event("dup-1")
	second.ContentHash = "second-hash"
	second.Type = "appointment.updated"
	second.Raw = []byte(`{"other":true}`)
	existing, err := s.Create(context.Background(), second)
	if err != nil {
		t.Fatalf("second Create: %v", err)
	}
	if existing == nil {
		t.Fatal("second Create wrote the record, want the existing one")
	}
	if existing.ContentHash != "first-hash" {
		t.Errorf("existing ContentHash = %q, want %q", existing.ContentHash, "first-hash")
	}
	want := *first
	want.ReceivedAt = ms(first.ReceivedAt)
	checkRecord(t, "existing record", existing, &want)
	checkRecord(t, "Get after duplicate", mustGet(t, s, "dup-1"), &want)
}

func testNamespacesDoNotCollide(t *testing.T, s store.Store) {
	hex := strings.Repeat("5a", 32)
	ev := event(hex)
	q := &store.Record{ID: "q-" + hex, Status: store.StatusQuarantined, ReceivedAt: base, ContentHash: "q"}
	c := &store.Record{ID: "c-" + hex, Status: store.StatusConflict, ReceivedAt: base, ContentHash: "c", ConflictOf: hex}
	// An event whose own id looks like a quarantine id.
	evQ := event("q-" + hex)
	for _, rec := range []*store.Record{ev, q, c, evQ} {
		mustCreate(t, s, rec)
	}

	if got := mustGet(t, s, hex); got.Status != store.StatusStored || got.ID != hex {
		t.Errorf("Get(hex) = %s %q, want stored %q", got.Status, got.ID, hex)
	}
	if got := mustGet(t, s, "c-"+hex); got.Status != store.StatusConflict || got.ContentHash != "c" {
		t.Errorf("Get(c-hex) = %s with hash %q, want conflict with hash c", got.Status, got.ContentHash)
	}
	// Get looks up the quarantine namespace first, so the quarantine id
	// that an answer named always finds its record.
	if got := mustGet(t, s, "q-"+hex); got.Status != store.StatusQuarantined || got.ContentHash != "q" {
		t.Errorf("Get(q-hex) = %s with hash %q, want the quarantine record first", got.Status, got.ContentHash)
	}

	// The quarantine record is still there: a second Create returns it.
	existing, err := s.Create(context.Background(), &store.Record{
		ID: "q-" + hex, Status: store.StatusQuarantined, ReceivedAt: base, ContentHash: "other",
	})
	if err != nil {
		t.Fatalf("Create quarantine again: %v", err)
	}
	if existing == nil || existing.Status != store.StatusQuarantined || existing.ContentHash != "q" {
		t.Errorf("Create quarantine again returned %+v, want the quarantine record with hash q", existing)
	}
}

func testConcurrentCreateOneWinner(t *testing.T, s store.Store) {
	const writers = 50
	type result struct {
		hash     string
		existing *store.Record
		err      error
	}
	results := make([]result, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			rec := event("race-1")
			rec.ContentHash = fmt.Sprintf("hash-%02d", i)
			existing, err := s.Create(context.Background(), rec)
			results[i] = result{rec.ContentHash, existing, err}
		})
	}
	wg.Wait()

	var winners []string
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("writer %d: %v", i, r.err)
		}
		if r.existing == nil {
			winners = append(winners, r.hash)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d writers won (%v), want exactly 1", len(winners), winners)
	}
	for i, r := range results {
		if r.existing != nil && r.existing.ContentHash != winners[0] {
			t.Errorf("writer %d got existing hash %q, want the winner's %q", i, r.existing.ContentHash, winners[0])
		}
	}
	if got := mustGet(t, s, "race-1").ContentHash; got != winners[0] {
		t.Errorf("stored hash = %q, want the winner's %q", got, winners[0])
	}
}

func testCreateRejectsInvalid(t *testing.T, s store.Store) {
	cases := []struct {
		name   string
		modify func(*store.Record)
		is     error
	}{
		{"empty id", func(r *store.Record) { r.ID = "" }, store.ErrInvalidID},
		{"id over 1024 bytes", func(r *store.Record) { r.ID = strings.Repeat("x", 1025) }, store.ErrInvalidID},
		{"id not UTF-8", func(r *store.Record) { r.ID = "bad\xff" }, store.ErrInvalidID},
		{"quarantine without q- prefix", func(r *store.Record) {
			r.ID, r.Status = "abc", store.StatusQuarantined
		}, store.ErrInvalidID},
		{"quarantine with bare prefix", func(r *store.Record) {
			r.ID, r.Status = "q-", store.StatusQuarantined
		}, store.ErrInvalidID},
		{"conflict without c- prefix", func(r *store.Record) {
			r.ID, r.Status = "q-abc", store.StatusConflict
		}, store.ErrInvalidID},
		{"unknown status", func(r *store.Record) { r.Status = "archived" }, nil},
		{"missing received time", func(r *store.Record) { r.ReceivedAt = time.Time{} }, nil},
		{"unknown alert state", func(r *store.Record) { r.Alert = "sent" }, nil},
		{"pending alert without due time", func(r *store.Record) {
			r.Alert, r.AlertDue = store.AlertPending, time.Time{}
		}, nil},
		{"alert on quarantine", func(r *store.Record) {
			r.ID, r.Status = "q-abc", store.StatusQuarantined
			r.Alert, r.AlertDue = store.AlertPending, base
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := event("valid-id")
			c.modify(rec)
			existing, err := s.Create(context.Background(), rec)
			if err == nil {
				t.Fatalf("Create = %v, nil; want an error", existing)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("Create error = %v, want %v", err, c.is)
			}
		})
	}
	wantNotFound(t, s, "valid-id")
	wantNotFound(t, s, "q-abc")

	if _, err := s.Get(context.Background(), strings.Repeat("x", 1025)); !errors.Is(err, store.ErrInvalidID) {
		t.Errorf("Get of a 1025-byte id: error %v, want ErrInvalidID", err)
	}
}

func testUnusualIDs(t *testing.T, s store.Store) {
	ids := []struct {
		name string
		id   string
	}{
		{"unicode", "événement-日本-🚀"},
		{"slashes", "a/b/../c/"},
		{"hash sign", "event#x"},
		{"only hash", "#"},
		{"spaces and quotes", ` "quoted" id `},
		{"numeric", "12345"},
		{"1024 ascii bytes", strings.Repeat("z", 1024)},
		{"1024 bytes of 3-byte runes", strings.Repeat("日", 341) + "a"},
	}
	for _, c := range ids {
		t.Run(c.name, func(t *testing.T) {
			rec := event(c.id)
			mustCreate(t, s, rec)
			if got := mustGet(t, s, c.id); got.ID != c.id || got.ContentHash != rec.ContentHash {
				t.Errorf("Get returned id %q hash %q, want %q %q", got.ID, got.ContentHash, c.id, rec.ContentHash)
			}
			existing, err := s.Create(context.Background(), event(c.id))
			if err != nil || existing == nil {
				t.Errorf("second Create = %v, %v; want the existing record", existing, err)
			}
		})
	}

	long := &store.Record{
		ID: "q-" + strings.Repeat("f", 1022), Status: store.StatusQuarantined, ReceivedAt: base, ContentHash: "long",
	}
	mustCreate(t, s, long)
	if got := mustGet(t, s, long.ID); got.ContentHash != "long" {
		t.Errorf("Get(1024-byte quarantine id) hash = %q, want long", got.ContentHash)
	}
}

func testRawBytesRoundTrip(t *testing.T, s store.Store) {
	bodies := []struct {
		name string
		raw  []byte
	}{
		{"invalid UTF-8 and NUL", []byte{'{', 0x00, 0xff, 0xfe, '"', 0xc3, 0x28, 0x00, '}'}},
		{"only NUL", []byte{0, 0, 0}},
		{"lone surrogate escape", []byte(`{"id":"\ud800","x":"` + "\xed\xa0\x80" + `"}`)},
		{"CRLF and BOM", []byte("\xef\xbb\xbf{\r\n\"id\": 1\r\n}")},
	}
	for i, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			rec := event(fmt.Sprintf("raw-%d", i))
			rec.Raw = b.raw
			mustCreate(t, s, rec)
			if got := mustGet(t, s, rec.ID).Raw; !bytes.Equal(got, b.raw) {
				t.Errorf("Raw = %q, want %q", got, b.raw)
			}
		})
	}
}

// compressibleBody returns a JSON-like body of n bytes that gzip shrinks well.
func compressibleBody(n int) []byte {
	var buf bytes.Buffer
	for i := 0; buf.Len() < n; i++ {
		fmt.Fprintf(&buf, `{"line":%d,"text":"the quick brown fox jumps over the lazy dog"},`, i)
	}
	return buf.Bytes()[:n]
}

// randomBody returns n bytes that gzip cannot shrink.
func randomBody(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testLargeBodyRoundTrip(t *testing.T, s store.Store) {
	bodies := []struct {
		name string
		raw  []byte
	}{
		{"just over 64 KiB", compressibleBody(64<<10 + 1)},
		{"1 MiB compressible", compressibleBody(1 << 20)},
		{"300 KB incompressible", randomBody(300_000, 1)},
	}
	for i, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			rec := event(fmt.Sprintf("large-%d", i))
			rec.Raw = b.raw
			mustCreate(t, s, rec)
			if got := mustGet(t, s, rec.ID).Raw; !bytes.Equal(got, b.raw) {
				t.Errorf("Raw: got %d bytes, want %d bytes, equal=false", len(got), len(b.raw))
			}
		})
	}
}

func testIncompressibleBodyTooLarge(t *testing.T, s store.Store) {
	rec := event("too-large")
	rec.Raw = randomBody(500_000, 2)
	existing, err := s.Create(context.Background(), rec)
	if !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("Create = %v, %v; want ErrTooLarge", existing, err)
	}
	wantNotFound(t, s, "too-large")
}

func testExpiredRecords(t *testing.T, s store.Store) {
	ctx := context.Background()
	old := event("expiring")
	old.JobID = "job-exp"
	old.ContentHash = "old"
	old.ExpiresAt = time.Now().Add(-time.Hour)
	mustCreate(t, s, old)
	wantNotFound(t, s, "expiring")
	recs, err := s.ByJobID(ctx, "job-exp", 10)
	if err != nil {
		t.Fatalf("ByJobID: %v", err)
	}
	if len(recs) != 0 {
		t.Errorf("ByJobID returned %d expired records, want 0", len(recs))
	}

	// A Create over an expired record writes.
	fresh := event("expiring")
	fresh.ContentHash = "fresh"
	fresh.ExpiresAt = time.Now().Add(time.Hour)
	mustCreate(t, s, fresh)
	got := mustGet(t, s, "expiring")
	if got.ContentHash != "fresh" {
		t.Errorf("ContentHash = %q, want fresh", got.ContentHash)
	}
	if want := time.Unix(fresh.ExpiresAt.Unix(), 0); !got.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, want)
	}

	// A live record with an expiry is not overwritten.
	existing, err := s.Create(ctx, event("expiring"))
	if err != nil || existing == nil || existing.ContentHash != "fresh" {
		t.Errorf("Create over live record = %v, %v; want the existing record", existing, err)
	}

	// An expired pending alert is neither due nor claimable.
	alert := failure("expired-alert", base)
	alert.ExpiresAt = time.Now().Add(-time.Hour)
	mustCreate(t, s, alert)
	if ids := dueIDs(t, s, base.Add(time.Hour)); contains(ids, "expired-alert") {
		t.Errorf("DueAlerts = %v, want no expired alert", ids)
	}
	if _, err := s.ClaimAlert(ctx, "expired-alert", base.Add(time.Hour), time.Minute); err == nil {
		t.Error("ClaimAlert of an expired record succeeded, want an error")
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Create(ctx, event("canceled")); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with canceled context: error %v, want context.Canceled", err)
	}
	wantNotFound(t, s, "canceled")
	if _, err := s.Get(ctx, "canceled"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with canceled context: error %v, want context.Canceled", err)
	}
	if _, err := s.DueAlerts(ctx, base, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("DueAlerts with canceled context: error %v, want context.Canceled", err)
	}
}
