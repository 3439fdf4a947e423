package redrive_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/alertlog"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/redrive"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

// base is the received time the fixtures count from.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// runSuite runs every store-backed case against the stores newStore returns,
// one empty store per case.
func runSuite(t *testing.T, newStore func(t *testing.T) store.Store) {
	cases := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"RequeueOutcomes", testRequeueOutcomes},
		{"DryRunChangesNothing", testDryRunChangesNothing},
		{"SelectorsCombine", testSelectorsCombine},
		{"SecondRunSkipsRequeued", testSecondRunSkipsRequeued},
		{"SweepPublishesRequeued", testSweepPublishesRequeued},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newStore(t))
		})
	}
}

// fixture describes one record to create.
type fixture struct {
	id       string
	status   store.Status
	typ      string
	job      string
	received time.Duration // after base
	alert    store.AlertState
}

// record builds the store record of f, with a minimal body of its type.
func (f fixture) record() *store.Record {
	category, kind := envelope.Classify(f.typ)
	if category == "" {
		category = alert.TopicOther
	}
	rec := &store.Record{
		ID:          f.id,
		Status:      f.status,
		Type:        f.typ,
		Category:    category,
		Kind:        string(kind),
		JobID:       f.job,
		ReceivedAt:  base.Add(f.received),
		ContentHash: "hash-" + f.id,
		Raw:         []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"data":{}}`, f.id, f.typ)),
		Alert:       f.alert,
	}
	switch f.status {
	case "":
		rec.Status = store.StatusStored
	case store.StatusConflict:
		rec.ConflictOf = "evt-a"
	}
	switch f.alert {
	case store.AlertPending:
		rec.AlertDue = base.Add(time.Hour)
	case store.AlertPublished:
		rec.AlertPublishedAt = base.Add(f.received + time.Second)
		rec.AlertMessageID = "msg-" + f.id
		rec.AlertAttempts = 1
	case store.AlertFailed:
		rec.AlertAttempts = 11
		rec.AlertLastError = "topic unavailable"
	}
	return rec
}

// fixtures are the records most cases start from.
var fixtures = []fixture{
	{id: "evt-a", typ: "appointment.failed", job: "J1", received: time.Minute, alert: store.AlertFailed},
	{id: "evt-b", typ: "appointment.failed", job: "J2", received: 2 * time.Minute, alert: store.AlertPublished},
	{id: "evt-c", typ: "task.failed", job: "J1", received: 3 * time.Minute, alert: store.AlertFailed},
	{id: "evt-d", typ: "appointment.created", job: "J1", received: 90 * time.Second},
	{id: "evt-e", typ: "telephone_encounter.created_partial", job: "J3", received: 4 * time.Minute,
		alert: store.AlertPublished},
	{id: "evt-f", typ: "widget.sync_failed", received: 5 * time.Minute, alert: store.AlertFailed},
	{id: "evt-g", typ: "patient.failed", job: "J1", received: 6 * time.Minute, alert: store.AlertPending},
	{id: "q-0123abcd", status: store.StatusQuarantined, received: 7 * time.Minute},
	{id: "c-4567ef", status: store.StatusConflict, typ: "appointment.failed", job: "J1", received: 8 * time.Minute},
}

func seed(t *testing.T, s store.Store, list []fixture) {
	t.Helper()
	for _, f := range list {
		existing, err := s.Create(context.Background(), f.record())
		if err != nil {
			t.Fatalf("Create(%q): %v", f.id, err)
		}
		if existing != nil {
			t.Fatalf("Create(%q) found an existing record", f.id)
		}
	}
}

func mustSelect(t *testing.T, s store.Store, sel redrive.Selector) *redrive.Selection {
	t.Helper()
	got, err := redrive.Select(context.Background(), s, sel)
	if err != nil {
		t.Fatalf("Select(%+v): %v", sel, err)
	}
	return got
}

func recordIDs(recs []*store.Record) []string {
	ids := []string{}
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

func mustGet(t *testing.T, s store.Store, id string) *store.Record {
	t.Helper()
	rec, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return rec
}

// snapshot returns every live record by id.
func snapshot(t *testing.T, s store.Store) map[string]*store.Record {
	t.Helper()
	all := map[string]*store.Record{}
	err := s.Scan(context.Background(), store.ScanFilter{}, func(rec *store.Record) error {
		all[rec.ID] = rec
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return all
}

func testRequeueOutcomes(t *testing.T, s store.Store) {
	seed(t, s, fixtures)
	ctx := context.Background()
	due := base.Add(10 * time.Minute)
	sel := mustSelect(t, s, redrive.Selector{
		IDs: []string{"evt-a", "evt-b", "evt-g", "evt-d", "q-0123abcd", "evt-missing", "evt-a"},
	})
	pendingBefore := mustGet(t, s, "evt-g")

	actions, err := redrive.Requeue(ctx, s, sel, due, false)
	if err != nil {
		t.Fatalf("Requeue: %v", err)
	}
	want := []redrive.Action{
		{ID: "evt-a", Type: "appointment.failed", AlertBefore: store.AlertFailed, Outcome: redrive.OutcomeRequeued},
		{ID: "evt-b", Type: "appointment.failed", AlertBefore: store.AlertPublished, Outcome: redrive.OutcomeRequeued},
		{ID: "evt-g", Type: "patient.failed", AlertBefore: store.AlertPending, Outcome: redrive.OutcomeAlreadyPending},
		{ID: "evt-d", Type: "appointment.created", AlertBefore: store.AlertNone, Outcome: redrive.OutcomeNoAlert},
		{ID: "q-0123abcd", AlertBefore: store.AlertNone, Outcome: redrive.OutcomeNotEvent},
		{ID: "evt-missing", Outcome: redrive.OutcomeNotFound},
	}
	if !reflect.DeepEqual(actions, want) {
		t.Errorf("actions:\n got %+v\nwant %+v", actions, want)
	}

	for _, id := range []string{"evt-a", "evt-b"} {
		rec := mustGet(t, s, id)
		if rec.Alert != store.AlertPending {
			t.Errorf("%s: alert %s, want pending", id, rec.Alert)
		}
		if !rec.AlertDue.Equal(due) {
			t.Errorf("%s: due %s, want %s", id, rec.AlertDue, due)
		}
		if rec.AlertAttempts != 0 {
			t.Errorf("%s: attempts %d, want 0", id, rec.AlertAttempts)
		}
		if rec.AlertMessageID != "" || !rec.AlertPublishedAt.IsZero() {
			t.Errorf("%s: message id %q and publish time %s kept, want both cleared",
				id, rec.AlertMessageID, rec.AlertPublishedAt)
		}
	}
	if got := mustGet(t, s, "evt-g"); !reflect.DeepEqual(got, pendingBefore) {
		t.Errorf("pending alert changed:\n got %+v\nwant %+v", got, pendingBefore)
	}
	if got := mustGet(t, s, "evt-d"); got.Alert != store.AlertNone {
		t.Errorf("event without alert now has alert %s", got.Alert)
	}

	summary := redrive.Summarize(actions)
	wantSummary := redrive.Summary{Total: 6, Requeued: 2, AlreadyPending: 1, NoAlert: 1, NotEvent: 1, NotFound: 1}
	if summary != wantSummary {
		t.Errorf("summary %+v, want %+v", summary, wantSummary)
	}
}

func testDryRunChangesNothing(t *testing.T, s store.Store) {
	seed(t, s, fixtures)
	before := snapshot(t, s)
	sel := mustSelect(t, s, redrive.Selector{From: base})

	actions, err := redrive.Requeue(context.Background(), s, sel, base.Add(time.Hour), true)
	if err != nil {
		t.Fatalf("Requeue dry run: %v", err)
	}
	if after := snapshot(t, s); !reflect.DeepEqual(after, before) {
		t.Errorf("dry run changed the store:\nbefore %+v\n after %+v", before, after)
	}
	got := map[string]redrive.Outcome{}
	for _, a := range actions {
		got[a.ID] = a.Outcome
	}
	want := map[string]redrive.Outcome{
		"evt-a": redrive.OutcomeWouldRequeue,
		"evt-b": redrive.OutcomeWouldRequeue,
		"evt-c": redrive.OutcomeWouldRequeue,
		"evt-e": redrive.OutcomeWouldRequeue,
		"evt-f": redrive.OutcomeWouldRequeue,
		"evt-g": redrive.OutcomeAlreadyPending,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dry-run outcomes %v, want %v", got, want)
	}
}

func testSelectorsCombine(t *testing.T, s store.Store) {
	seed(t, s, fixtures)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	cases := []struct {
		name         string
		sel          redrive.Selector
		want         []string
		wantNotFound []string
	}{
		{"type", redrive.Selector{Type: "appointment.failed"}, []string{"evt-a", "evt-b"}, nil},
		{"category skips events without alert", redrive.Selector{Category: "appointment"},
			[]string{"evt-a", "evt-b"}, nil},
		{"category other", redrive.Selector{Category: "other"}, []string{"evt-f"}, nil},
		{"partial type", redrive.Selector{Type: "telephone_encounter.created_partial"}, []string{"evt-e"}, nil},
		{"job skips conflict and no alert", redrive.Selector{JobIDs: []string{"J1"}},
			[]string{"evt-a", "evt-c", "evt-g"}, nil},
		{"two jobs", redrive.Selector{JobIDs: []string{"J3", "J1"}},
			[]string{"evt-a", "evt-c", "evt-e", "evt-g"}, nil},
		{"job and type", redrive.Selector{JobIDs: []string{"J1"}, Type: "task.failed"}, []string{"evt-c"}, nil},
		{"job and category", redrive.Selector{JobIDs: []string{"J1", "J2"}, Category: "appointment"},
			[]string{"evt-a", "evt-b"}, nil},
		{"unknown job", redrive.Selector{JobIDs: []string{"J9"}}, []string{}, nil},
		{"from is inclusive", redrive.Selector{From: at(2 * time.Minute)},
			[]string{"evt-b", "evt-c", "evt-e", "evt-f", "evt-g"}, nil},
		{"to is exclusive", redrive.Selector{To: at(2 * time.Minute)}, []string{"evt-a"}, nil},
		{"from and to", redrive.Selector{From: at(2 * time.Minute), To: at(4 * time.Minute)},
			[]string{"evt-b", "evt-c"}, nil},
		{"range and type", redrive.Selector{From: at(0), To: at(time.Hour), Type: "task.failed"},
			[]string{"evt-c"}, nil},
		{"range and category", redrive.Selector{From: at(90 * time.Second), Category: "appointment"},
			[]string{"evt-b"}, nil},
		{"range outside every event", redrive.Selector{From: at(time.Hour)}, []string{}, nil},
		{"ids keep their order", redrive.Selector{IDs: []string{"evt-c", "evt-a"}},
			[]string{"evt-c", "evt-a"}, nil},
		{"ids and category", redrive.Selector{IDs: []string{"evt-c", "evt-a"}, Category: "appointment"},
			[]string{"evt-a"}, nil},
		{"ids and job", redrive.Selector{IDs: []string{"evt-a", "evt-b"}, JobIDs: []string{"J2"}},
			[]string{"evt-b"}, nil},
		{"ids and from", redrive.Selector{IDs: []string{"evt-a", "evt-b"}, From: at(2 * time.Minute)},
			[]string{"evt-b"}, nil},
		{"ids and exclusive to", redrive.Selector{IDs: []string{"evt-a", "evt-b"}, To: at(2 * time.Minute)},
			[]string{"evt-a"}, nil},
		{"job and range", redrive.Selector{JobIDs: []string{"J1"}, From: at(time.Minute), To: at(3 * time.Minute)},
			[]string{"evt-a"}, nil},
		{"id without alert is kept", redrive.Selector{IDs: []string{"evt-d"}}, []string{"evt-d"}, nil},
		{"quarantine id is kept", redrive.Selector{IDs: []string{"q-0123abcd"}}, []string{"q-0123abcd"}, nil},
		{"unknown ids", redrive.Selector{IDs: []string{"evt-x", "evt-a", "evt-y"}},
			[]string{"evt-a"}, []string{"evt-x", "evt-y"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustSelect(t, s, c.sel)
			if ids := recordIDs(got.Records); !slices.Equal(ids, c.want) {
				t.Errorf("records %v, want %v", ids, c.want)
			}
			if !slices.Equal(got.NotFound, c.wantNotFound) {
				t.Errorf("not found %v, want %v", got.NotFound, c.wantNotFound)
			}
		})
	}
}

func testSecondRunSkipsRequeued(t *testing.T, s store.Store) {
	seed(t, s, fixtures)
	ctx := context.Background()
	sel := redrive.Selector{Type: "appointment.failed"}
	first, err := redrive.Requeue(ctx, s, mustSelect(t, s, sel), base, false)
	if err != nil {
		t.Fatalf("first Requeue: %v", err)
	}
	if got := redrive.Summarize(first).Requeued; got != 2 {
		t.Errorf("first run requeued %d, want 2", got)
	}
	second, err := redrive.Requeue(ctx, s, mustSelect(t, s, sel), base, false)
	if err != nil {
		t.Fatalf("second Requeue: %v", err)
	}
	summary := redrive.Summarize(second)
	if summary.Requeued != 0 || summary.AlreadyPending != 2 {
		t.Errorf("second run %+v, want 0 requeued and 2 already pending", summary)
	}
}

// sampleRecord returns the stored record of the sample named name, with the
// given alert state.
func sampleRecord(t *testing.T, name string, state store.AlertState, received time.Duration) *store.Record {
	t.Helper()
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(samples, func(s events.Sample) bool { return s.Name == name })
	if i < 0 {
		t.Fatalf("no sample %s", name)
	}
	env, err := envelope.Parse(samples[i].Body)
	if err != nil {
		t.Fatalf("sample %s: %v", name, err)
	}
	rec := fixture{id: env.ID, typ: env.Type, received: received, alert: state}.record()
	rec.Raw = samples[i].Body
	return rec
}

func testSweepPublishesRequeued(t *testing.T, s store.Store) {
	ctx := context.Background()
	failed := sampleRecord(t, "appointment.failed.json", store.AlertFailed, time.Minute)
	published := sampleRecord(t, "telephone_encounter.created_partial.json", store.AlertPublished, 2*time.Minute)
	untouched := sampleRecord(t, "task.failed.json", store.AlertPublished, 3*time.Minute)
	for _, rec := range []*store.Record{failed, published, untouched} {
		if _, err := s.Create(ctx, rec); err != nil {
			t.Fatalf("Create(%q): %v", rec.ID, err)
		}
	}
	logPath := filepath.Join(t.TempDir(), "alerts.jsonl")
	log, err := alertlog.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	now := base.Add(time.Hour)
	sweeper := &sweep.Sweeper{
		Store: s, Publisher: log, Lease: 30 * time.Second, MaxAttempts: 3, Grace: 5 * time.Second,
		Batch: 10, Logger: testenv.Logger(t), Metrics: metrics.Discard{}, Now: func() time.Time { return now },
	}

	sel := mustSelect(t, s, redrive.Selector{IDs: []string{failed.ID, published.ID}})
	if _, err := redrive.Requeue(ctx, s, sel, now.Add(-sweeper.Grace), false); err != nil {
		t.Fatalf("Requeue: %v", err)
	}
	res, err := sweeper.Run(ctx)
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if res.Published != 2 || res.Due != 2 {
		t.Errorf("sweep due %d published %d, want 2 and 2", res.Due, res.Published)
	}

	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	logText := string(data)
	if n := strings.Count(logText, "\n"); n != 2 {
		t.Errorf("alert log has %d lines, want 2", n)
	}
	for _, rec := range []*store.Record{failed, published} {
		if !strings.Contains(logText, fmt.Sprintf(`"event_id":%q`, rec.ID)) {
			t.Errorf("alert log has no line for %s", rec.ID)
		}
		got := mustGet(t, s, rec.ID)
		if got.Alert != store.AlertPublished || got.AlertMessageID == "" {
			t.Errorf("%s after sweep: alert %s message id %q, want published with an id",
				rec.ID, got.Alert, got.AlertMessageID)
		}
		if got.AlertMessageID != "" && !strings.Contains(logText, got.AlertMessageID) {
			t.Errorf("%s: message id %s is not in the alert log", rec.ID, got.AlertMessageID)
		}
	}
	if strings.Contains(logText, untouched.ID) {
		t.Errorf("alert log has a line for %s, which was not redriven", untouched.ID)
	}
}

func TestSelectorValidate(t *testing.T) {
	cases := []struct {
		name    string
		sel     redrive.Selector
		wantErr string // "" for a valid selector
	}{
		{"empty", redrive.Selector{}, "no selector set"},
		{"one id", redrive.Selector{IDs: []string{"evt-1"}}, ""},
		{"empty id", redrive.Selector{IDs: []string{"evt-1", ""}}, "event id is empty"},
		{"long id", redrive.Selector{IDs: []string{strings.Repeat("x", store.MaxIDBytes+1)}}, "longer than"},
		{"invalid UTF-8 id", redrive.Selector{IDs: []string{"evt-\xff"}}, "not valid UTF-8"},
		{"job", redrive.Selector{JobIDs: []string{"123"}}, ""},
		{"blank job", redrive.Selector{JobIDs: []string{" "}}, "job id is empty"},
		{"failure type", redrive.Selector{Type: "patient.insurance.failed"}, ""},
		{"unknown failure type", redrive.Selector{Type: "widget.sync_failed"}, ""},
		{"partial type", redrive.Selector{Type: "telephone_encounter.created_partial"}, ""},
		{"success type", redrive.Selector{Type: "appointment.created"}, "does not alert"},
		{"test type", redrive.Selector{Type: "test.event"}, "does not alert"},
		{"category", redrive.Selector{Category: "telephone_encounter"}, ""},
		{"category other", redrive.Selector{Category: "other"}, ""},
		{"unknown category", redrive.Selector{Category: "appointments"}, "unknown category"},
		{"from only", redrive.Selector{From: base}, ""},
		{"to only", redrive.Selector{To: base}, ""},
		{"from equals to", redrive.Selector{From: base, To: base}, "is not before"},
		{"from after to", redrive.Selector{From: base.Add(time.Second), To: base}, "is not before"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.sel.Validate()
			if c.wantErr == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, redrive.ErrInvalidSelector) {
				t.Errorf("Validate() = %v, want ErrInvalidSelector", err)
			}
			if err != nil && !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Validate() = %q, want it to contain %q", err, c.wantErr)
			}
		})
	}
}

func TestSelectRejectsInvalidSelector(t *testing.T) {
	_, err := redrive.Select(context.Background(), nil, redrive.Selector{})
	if !errors.Is(err, redrive.ErrInvalidSelector) {
		t.Errorf("Select(empty) = %v, want ErrInvalidSelector", err)
	}
}

func TestOutcomeDescription(t *testing.T) {
	outcomes := []redrive.Outcome{
		redrive.OutcomeRequeued, redrive.OutcomeWouldRequeue, redrive.OutcomeAlreadyPending,
		redrive.OutcomeNoAlert, redrive.OutcomeNotEvent, redrive.OutcomeNotFound,
	}
	seen := map[string]redrive.Outcome{}
	for _, o := range outcomes {
		d := o.Description()
		if d == "" || d == string(o) {
			t.Errorf("%s has no description", o)
		}
		if other, ok := seen[d]; ok {
			t.Errorf("%s and %s share the description %q", o, other, d)
		}
		seen[d] = o
	}
	if !strings.Contains(redrive.OutcomeAlreadyPending.Description(), "sweep") {
		t.Errorf("already-pending description %q does not say the sweep publishes it",
			redrive.OutcomeAlreadyPending.Description())
	}
}
