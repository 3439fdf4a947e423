package ingest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/alertlog"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
	"github.com/clinicops/cobalt-receiver/shared/store/embedded"
)

const secret = "whsec_ingest_unit_test"

// failingPublisher fails every publish until healed.
type failingPublisher struct {
	mu     sync.Mutex
	failed int
	next   alert.Publisher
	healed bool
}

func (p *failingPublisher) Publish(ctx context.Context, a *alert.Alert) (string, error) {
	p.mu.Lock()
	healed := p.healed
	if !healed {
		p.failed++
	}
	p.mu.Unlock()
	if !healed {
		return "", errors.New("sns: service unavailable")
	}
	return p.next.Publish(ctx, a)
}

// countingMetrics records every metric observation.
type countingMetrics struct {
	mu     sync.Mutex
	counts map[string]float64
}

func (m *countingMetrics) Record(values ...metrics.Value) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range values {
		m.counts[v.Name] += v.Value
	}
}

func (m *countingMetrics) get(name string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[name]
}

type fixture struct {
	h       *ingest.Handler
	store   *embedded.Store
	pub     *failingPublisher
	metrics *countingMetrics
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := embedded.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log, err := alertlog.Open(filepath.Join(dir, "alerts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	f := &fixture{store: st, pub: &failingPublisher{next: log, healed: true},
		metrics: &countingMetrics{counts: map[string]float64{}}}
	f.h = &ingest.Handler{
		Store:      st,
		Publisher:  f.pub,
		Secrets:    secrets.Static{"whsec_old", secret},
		AlertLease: 30 * time.Second,
		Logger:     testenv.Logger(t),
		Metrics:    f.metrics,
		Now:        time.Now,
	}
	return f
}

func signed(body string) *ingest.Request {
	h := http.Header{}
	h.Set("cobalt-verification", signature.Sign([]byte(body), secret))
	h.Set("webhook-attempt", "1")
	return &ingest.Request{Method: http.MethodPost, Header: h, Body: []byte(body), Received: time.Now()}
}

type answer struct {
	Status     string   `json:"status"`
	ID         string   `json:"id"`
	ConflictID string   `json:"conflict_id"`
	Errors     []string `json:"errors"`
}

func decode(t *testing.T, resp ingest.Response) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", resp.Body, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return a
}

const failureEvent = `{"id":"evt_fail_1","object":"event","type":"appointment.failed","access_token_reference_id":"clinic_1",` +
	`"created":"2026-02-01T10:00:00Z","job_id":77,"data":{"appointment_id":"a1","mrn":"MRN-TEST-0009",` +
	`"failure_reason":"Patient not found","reasons":[{"code":"PATIENT_NOT_FOUND","description":"Patient not found"}]}}`

func TestHandleStoresFailureAndPublishes(t *testing.T) {
	f := newFixture(t)
	resp := f.h.Handle(context.Background(), signed(failureEvent))
	if a := decode(t, resp); resp.StatusCode != 200 || a.Status != "stored" || a.ID != "evt_fail_1" {
		t.Fatalf("answer %d %+v, want 200 stored evt_fail_1", resp.StatusCode, a)
	}
	rec, err := f.store.Get(context.Background(), "evt_fail_1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Alert != store.AlertPublished {
		t.Errorf("alert = %s, want published", rec.Alert)
	}
	if rec.JobID != "77" {
		t.Errorf("job id = %q, want the string 77", rec.JobID)
	}
	if rec.Category != "appointment" || rec.Kind != "failure" {
		t.Errorf("category/kind = %s/%s", rec.Category, rec.Kind)
	}
	if string(rec.Raw) != failureEvent {
		t.Error("raw body differs from the body sent")
	}
	if rec.SignatureMethod != string(signature.MethodRaw) {
		t.Errorf("signature method = %q, want raw", rec.SignatureMethod)
	}
	if got := f.metrics.get(metrics.AlertsPublished); got != 1 {
		t.Errorf("%s = %v, want 1", metrics.AlertsPublished, got)
	}
}

func TestHandlePublishFailureLeavesAlertPending(t *testing.T) {
	f := newFixture(t)
	f.pub.healed = false
	resp := f.h.Handle(context.Background(), signed(failureEvent))
	if a := decode(t, resp); resp.StatusCode != 200 || a.Status != "stored" {
		t.Fatalf("answer %d %+v, want 200 stored", resp.StatusCode, a)
	}
	rec, err := f.store.Get(context.Background(), "evt_fail_1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Alert != store.AlertPending {
		t.Errorf("alert = %s, want pending", rec.Alert)
	}
	if rec.AlertLastError == "" {
		t.Error("publish error not recorded")
	}
	if rec.AlertDue.Before(rec.ReceivedAt.Add(29 * time.Second)) {
		t.Errorf("alert due %v, want the 30 s lease after %v", rec.AlertDue, rec.ReceivedAt)
	}
	if got := f.metrics.get(metrics.AlertPublishFailed); got != 1 {
		t.Errorf("%s = %v, want 1", metrics.AlertPublishFailed, got)
	}
}

func TestHandleDuplicateWritesNothing(t *testing.T) {
	f := newFixture(t)
	f.h.Handle(context.Background(), signed(failureEvent))
	before, _ := f.store.Get(context.Background(), "evt_fail_1")
	resp := f.h.Handle(context.Background(), signed(failureEvent))
	if a := decode(t, resp); resp.StatusCode != 200 || a.Status != "duplicate" {
		t.Fatalf("answer %d %+v, want 200 duplicate", resp.StatusCode, a)
	}
	after, _ := f.store.Get(context.Background(), "evt_fail_1")
	if !after.ReceivedAt.Equal(before.ReceivedAt) || after.AlertMessageID != before.AlertMessageID {
		t.Error("duplicate changed the stored record")
	}
	if got := f.metrics.get(metrics.AlertsPublished); got != 1 {
		t.Errorf("%s = %v after a duplicate, want 1", metrics.AlertsPublished, got)
	}
}

func TestHandleReserializedSignature(t *testing.T) {
	f := newFixture(t)
	pretty := "{\n  \"id\": \"evt_pretty\",\n  \"type\": \"task.created\",\n  \"data\": {\"task_id\": 1.0}\n}"
	compact := `{"id":"evt_pretty","type":"task.created","data":{"task_id":1}}`
	req := signed(pretty)
	req.Header.Set("cobalt-verification", signature.Sign([]byte(compact), secret))
	resp := f.h.Handle(context.Background(), req)
	if a := decode(t, resp); resp.StatusCode != 200 || a.Status != "stored" {
		t.Fatalf("answer %d %+v, want 200 stored", resp.StatusCode, a)
	}
	rec, _ := f.store.Get(context.Background(), "evt_pretty")
	if rec.SignatureMethod != string(signature.MethodReserialized) {
		t.Errorf("signature method = %q, want reserialized", rec.SignatureMethod)
	}
	if string(rec.Raw) != pretty {
		t.Error("raw body is not the body as received")
	}
}

func TestHandleBase64Body(t *testing.T) {
	body := `{"id":"evt_b64","type":"note.uploaded","data":{}}`
	tests := []struct {
		name string
		body string
		flag bool
	}{
		{name: "encoded and flagged", body: base64.StdEncoding.EncodeToString([]byte(body)), flag: true},
		{name: "flag set on a plain body", body: body, flag: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			req := signed(body)
			req.Body, req.Base64 = []byte(tt.body), tt.flag
			resp := f.h.Handle(context.Background(), req)
			if a := decode(t, resp); resp.StatusCode != 200 || a.Status != "stored" {
				t.Fatalf("answer %d %+v, want 200 stored", resp.StatusCode, a)
			}
			rec, _ := f.store.Get(context.Background(), "evt_b64")
			if string(rec.Raw) != body {
				t.Errorf("raw = %q, want the decoded body", rec.Raw)
			}
		})
	}
}

func TestHandleSecretsUnavailable(t *testing.T) {
	f := newFixture(t)
	f.h.Secrets = secrets.Static(nil)
	resp := f.h.Handle(context.Background(), signed(failureEvent))
	if a := decode(t, resp); resp.StatusCode != 503 || a.Status != "unavailable" {
		t.Fatalf("answer %d %+v, want 503 unavailable so Cobalt retries", resp.StatusCode, a)
	}
}

func TestHandleUnknownFailureGoesToOther(t *testing.T) {
	f := newFixture(t)
	body := `{"id":"evt_unknown","type":"referral.sync_failed","data":{"failure_reason":"x"}}`
	resp := f.h.Handle(context.Background(), signed(body))
	if a := decode(t, resp); resp.StatusCode != 200 || a.Status != "stored" {
		t.Fatalf("answer %d %+v, want 200 stored", resp.StatusCode, a)
	}
	rec, _ := f.store.Get(context.Background(), "evt_unknown")
	if rec.Category != ingest.CategoryOther || rec.Alert != store.AlertPublished {
		t.Errorf("category %q alert %q, want other published", rec.Category, rec.Alert)
	}
}

func TestHandleTestEventDoesNotAlert(t *testing.T) {
	f := newFixture(t)
	body := `{"id":"test-event-1","object":"event","type":"test.event","data":{"message":"hi","timestamp":"2026-01-01T00:00:00Z"}}`
	resp := f.h.Handle(context.Background(), signed(body))
	if a := decode(t, resp); resp.StatusCode != 200 || a.Status != "stored" {
		t.Fatalf("answer %d %+v, want 200 stored", resp.StatusCode, a)
	}
	rec, _ := f.store.Get(context.Background(), "test-event-1")
	if rec.Alert != store.AlertNone {
		t.Errorf("alert = %s, want none", rec.Alert)
	}
}

func TestHandleSchemaMismatchIsStored(t *testing.T) {
	f := newFixture(t)
	body := `{"id":"evt_schema","type":"appointment.created","data":{"appointment_id":["not","a","string"]}}`
	resp := f.h.Handle(context.Background(), signed(body))
	if a := decode(t, resp); resp.StatusCode != 200 || a.Status != "stored" {
		t.Fatalf("answer %d %+v, want 200 stored", resp.StatusCode, a)
	}
	rec, _ := f.store.Get(context.Background(), "evt_schema")
	if len(rec.SchemaIssues) == 0 {
		t.Error("schema issues not recorded")
	}
	if got := f.metrics.get(metrics.SchemaMismatches); got != 1 {
		t.Errorf("%s = %v, want 1", metrics.SchemaMismatches, got)
	}
}

func TestHandleStaleEventWithRetention(t *testing.T) {
	f := newFixture(t)
	f.h.Retention = 24 * time.Hour
	body := `{"id":"evt_old","type":"task.created","created":"2020-01-01T00:00:00Z","data":{}}`
	resp := f.h.Handle(context.Background(), signed(body))
	a := decode(t, resp)
	if resp.StatusCode != 400 || a.Status != "quarantined" {
		t.Fatalf("answer %d %+v, want 400 quarantined", resp.StatusCode, a)
	}
	rec, err := f.store.Get(context.Background(), a.ID)
	if err != nil {
		t.Fatalf("quarantine record of the stale event: %v", err)
	}
	if rec.ExpiresAt.IsZero() {
		t.Error("quarantine record has no expiry although retention is set")
	}
}

// slowStore blocks every Create until its context ends, as a store that
// cannot be reached in time does.
type slowStore struct {
	store.Store
	deadline time.Time
}

func (s *slowStore) Create(ctx context.Context, _ *store.Record) (*store.Record, error) {
	s.deadline, _ = ctx.Deadline()
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestHandleStoreDeadline(t *testing.T) {
	tests := []struct {
		attempt string
		budget  time.Duration
	}{
		{attempt: "1", budget: ingest.FirstAttemptBudget},
		{attempt: "2", budget: ingest.RetryBudget},
		{attempt: "", budget: ingest.RetryBudget},
	}
	for _, tt := range tests {
		t.Run("attempt "+tt.attempt, func(t *testing.T) {
			f := newFixture(t)
			slow := &slowStore{Store: f.store}
			f.h.Store = slow
			req := signed(failureEvent)
			req.Header.Set("webhook-attempt", tt.attempt)
			if tt.attempt == "" {
				req.Header.Del("webhook-attempt")
			}
			req.Received = time.Now().Add(-200 * time.Millisecond)
			resp := f.h.Handle(context.Background(), req)
			if a := decode(t, resp); resp.StatusCode != 503 || a.Status != "unavailable" {
				t.Fatalf("answer %d %+v, want 503 unavailable", resp.StatusCode, a)
			}
			want := req.Received.Add(tt.budget)
			if slow.deadline.After(want) || slow.deadline.Before(want.Add(-time.Second)) {
				t.Errorf("store deadline %v, want within the budget ending %v", slow.deadline, want)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	for attempt, want := range map[string]time.Duration{"1": 4 * time.Second, "2": 1500 * time.Millisecond,
		"": 1500 * time.Millisecond, "x": 1500 * time.Millisecond} {
		if got := ingest.Budget(attempt); got != want {
			t.Errorf("Budget(%q) = %v, want %v", attempt, got, want)
		}
	}
}

// rotatingSource holds secrets that change on Refresh, as Secrets Manager
// does after a rotation.
type rotatingSource struct {
	mu        sync.Mutex
	current   []signature.Secret
	next      []signature.Secret
	refreshes int
}

func (r *rotatingSource) Secrets(context.Context) ([]signature.Secret, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current, nil
}

func (r *rotatingSource) Refresh(context.Context) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refreshes++
	if r.next == nil {
		return false
	}
	r.current, r.next = r.next, nil
	return true
}

func TestHandleRefreshesSecretsOnMismatch(t *testing.T) {
	f := newFixture(t)
	src := &rotatingSource{current: []signature.Secret{"whsec_before_rotation"}, next: []signature.Secret{secret}}
	f.h.Secrets = src
	resp := f.h.Handle(context.Background(), signed(failureEvent))
	if a := decode(t, resp); resp.StatusCode != 200 || a.Status != "stored" {
		t.Fatalf("answer %d %+v, want 200 stored after the secrets were re-read", resp.StatusCode, a)
	}

	req := signed(`{"id":"evt_forged","type":"task.created","data":{}}`)
	req.Header.Set("cobalt-verification", signature.Sign(req.Body, "whsec_attacker"))
	resp = f.h.Handle(context.Background(), req)
	if a := decode(t, resp); resp.StatusCode != 401 || a.Status != "unauthorized" {
		t.Errorf("forged answer %d %+v, want 401", resp.StatusCode, a)
	}
	if src.refreshes != 2 {
		t.Errorf("refreshes = %d, want one per mismatched request", src.refreshes)
	}
}

// longFieldBodies are authentic events whose envelope fields are far longer
// than any real one; each must still be stored whole.
func longFieldBodies() map[string]string {
	long := strings.Repeat("9", 3000)
	return map[string]string{
		"job_id":  `{"id":"evt_long_job","type":"task.failed","job_id":"` + long + `","data":{}}`,
		"type":    `{"id":"evt_long_type","type":"task.` + strings.Repeat("x", 500_000) + `_failed","data":{}}`,
		"clinic":  `{"id":"evt_long_clinic","type":"task.created","access_token_reference_id":"` + strings.Repeat("c", 600_000) + `","data":{}}`,
		"created": `{"id":"evt_long_created","type":"task.created","created":"` + strings.Repeat("2", 300_000) + `","data":{}}`,
	}
}

func checkLongFields(t *testing.T, h *ingest.Handler, st store.Store) {
	for name, body := range longFieldBodies() {
		t.Run(name, func(t *testing.T) {
			resp := h.Handle(context.Background(), signed(body))
			a := decode(t, resp)
			if resp.StatusCode != 200 || a.Status != "stored" {
				t.Fatalf("answer %d %+v, want 200 stored", resp.StatusCode, a)
			}
			rec, err := st.Get(context.Background(), a.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if string(rec.Raw) != body {
				t.Error("raw body not kept whole")
			}
			for field, v := range map[string]string{"type": rec.Type, "job_id": rec.JobID, "clinic": rec.Clinic, "created": rec.Created} {
				if len(v) > 1024 {
					t.Errorf("record %s has %d bytes, want at most 1024", field, len(v))
				}
			}
			if len(rec.SchemaIssues) == 0 {
				t.Error("the cut field is not noted in the schema issues")
			}
		})
	}
}

func TestHandleLongFieldsEmbedded(t *testing.T) {
	f := newFixture(t)
	checkLongFields(t, f.h, f.store)
}

// TestHandleLongFieldsDynamoDB runs the same events against DynamoDB Local,
// whose index keys are limited to 2048 bytes and items to 400 KB.
func TestHandleLongFieldsDynamoDB(t *testing.T) {
	url := testenv.DynamoDBURL(t)
	client := dynamodb.NewFromConfig(testenv.AWSConfig(t, url))
	table := fmt.Sprintf("ingest-long-%d", time.Now().UnixNano())
	if err := dynamostore.CreateTable(context.Background(), client, table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table})
	})
	f := newFixture(t)
	st := dynamostore.New(client, table)
	f.h.Store = st
	checkLongFields(t, f.h, st)
}

func TestHandleRetentionWithoutCreatedNeverExpires(t *testing.T) {
	f := newFixture(t)
	f.h.Retention = 24 * time.Hour
	for id, created := range map[string]string{"evt_no_created": ``, "evt_bad_created": `,"created":"yesterday"`,
		"evt_recent": `,"created":"` + time.Now().UTC().Format(time.RFC3339) + `"`} {
		body := `{"id":"` + id + `","type":"task.created"` + created + `,"data":{}}`
		resp := f.h.Handle(context.Background(), signed(body))
		if a := decode(t, resp); resp.StatusCode != 200 {
			t.Fatalf("%s: answer %d %+v, want 200", id, resp.StatusCode, a)
		}
		rec, err := f.store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if wantExpiry := id == "evt_recent"; rec.ExpiresAt.IsZero() == wantExpiry {
			t.Errorf("%s: expires at %v, want expiry %v", id, rec.ExpiresAt, wantExpiry)
		}
	}
}

func TestHandleAnswerBudgetOverride(t *testing.T) {
	f := newFixture(t)
	slow := &slowStore{Store: f.store}
	f.h.Store = slow
	f.h.AnswerBudget = func(string) time.Duration { return 700 * time.Millisecond }
	req := signed(failureEvent)
	resp := f.h.Handle(context.Background(), req)
	if resp.StatusCode != 503 {
		t.Fatalf("answer %d, want 503", resp.StatusCode)
	}
	if want := req.Received.Add(700 * time.Millisecond); slow.deadline.After(want) {
		t.Errorf("store deadline %v, want by %v", slow.deadline, want)
	}
}
