package localserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert/alertlog"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/redrive"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/memstore"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

// adminRig is a local mux over a memory store holding one failure event
// whose alert was published, with an alert log in a temporary folder.
type adminRig struct {
	mux     *http.ServeMux
	store   store.Store
	logPath string
	eventID string
}

func newAdminRig(t *testing.T) *adminRig {
	t.Helper()
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(samples, func(s events.Sample) bool { return s.Name == "appointment.failed.json" })
	if i < 0 {
		t.Fatal("no sample appointment.failed.json")
	}
	env, err := envelope.Parse(samples[i].Body)
	if err != nil {
		t.Fatal(err)
	}

	st := memstore.New()
	now := time.Now()
	_, err = st.Create(context.Background(), &store.Record{
		ID: env.ID, Status: store.StatusStored, Type: env.Type, Category: env.Category, Kind: string(env.Kind),
		ReceivedAt: now.Add(-time.Hour), ContentHash: "hash", Raw: samples[i].Body,
		Alert: store.AlertPublished, AlertMessageID: "first-message", AlertPublishedAt: now.Add(-time.Hour),
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}

	logPath := filepath.Join(t.TempDir(), "alerts.jsonl")
	log, err := alertlog.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	sweeper := &sweep.Sweeper{
		Store: st, Publisher: log, Lease: 30 * time.Second, MaxAttempts: 3, Grace: 5 * time.Second,
		Batch: 10, Logger: testenv.Logger(t), Metrics: metrics.Discard{}, Now: time.Now,
	}

	return &adminRig{
		mux:     localserver.NewMux(nil, st, sweeper, testenv.Logger(t)),
		store:   st,
		logPath: logPath,
		eventID: env.ID,
	}
}

// post sends body to the admin route from remoteAddr with the Host header
// host, and returns the status code and the decoded response.
func (r *adminRig) post(t *testing.T, remoteAddr, host, contentType, body string) (int, localserver.RedriveResponse) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, localserver.AdminRedrivePath, strings.NewReader(body))
	req.RemoteAddr = remoteAddr
	req.Host = host
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	r.mux.ServeHTTP(rec, req)
	var resp localserver.RedriveResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("response %q is not JSON: %v", rec.Body.String(), err)
	}
	return rec.Code, resp
}

func (r *adminRig) alertLines(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(r.logPath)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

func TestAdminRedriveAccess(t *testing.T) {
	cases := []struct {
		name       string
		remoteAddr string
		host       string
		wantCode   int
	}{
		{"IPv4 loopback", "127.0.0.1:40000", "127.0.0.1:8080", http.StatusOK},
		{"other loopback address", "127.0.0.2:40000", "localhost:8080", http.StatusOK},
		{"IPv6 loopback", "[::1]:40000", "[::1]:8080", http.StatusOK},
		{"host without port", "127.0.0.1:40000", "localhost", http.StatusOK},
		{"remote address outside loopback", "192.0.2.10:40000", "127.0.0.1:8080", http.StatusForbidden},
		{"IPv4-mapped remote address", "[::ffff:192.0.2.10]:40000", "127.0.0.1:8080", http.StatusForbidden},
		{"host of another name", "127.0.0.1:40000", "attacker.example:8080", http.StatusForbidden},
		{"host of another address", "127.0.0.1:40000", "192.0.2.10:8080", http.StatusForbidden},
		{"remote address without port", "127.0.0.1", "127.0.0.1:8080", http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rig := newAdminRig(t)
			code, resp := rig.post(t, c.remoteAddr, c.host, "application/json",
				`{"ids":["`+rig.eventID+`"],"dry_run":true}`)
			if code != c.wantCode {
				t.Errorf("status code %d, want %d", code, c.wantCode)
			}
			if code == http.StatusForbidden && (resp.Status != "forbidden" || len(resp.Actions) != 0) {
				t.Errorf("forbidden response %+v, want status forbidden and no actions", resp)
			}
		})
	}
}

func TestAdminRedriveBadRequests(t *testing.T) {
	cases := []struct {
		name        string
		contentType string
		body        string
		wantCode    int
		wantStatus  string
		wantError   string
	}{
		{"no content type", "", `{"type":"appointment.failed"}`, http.StatusUnsupportedMediaType,
			"unsupported_media_type", "application/json"},
		{"text body", "text/plain", `{"type":"appointment.failed"}`, http.StatusUnsupportedMediaType,
			"unsupported_media_type", "application/json"},
		{"not JSON", "application/json", `type=appointment.failed`, http.StatusBadRequest,
			"bad_request", "invalid JSON body"},
		{"unknown field", "application/json", `{"event_ids":["x"]}`, http.StatusBadRequest,
			"bad_request", "event_ids"},
		{"two values", "application/json", `{"type":"appointment.failed"} {}`, http.StatusBadRequest,
			"bad_request", "more than one"},
		{"no selector", "application/json", `{"dry_run":true}`, http.StatusBadRequest,
			"bad_request", "no selector set"},
		{"success type", "application/json", `{"type":"appointment.created"}`, http.StatusBadRequest,
			"bad_request", "does not alert"},
		{"time not RFC 3339", "application/json", `{"from":"2026-03-01"}`, http.StatusBadRequest,
			"bad_request", "invalid JSON body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rig := newAdminRig(t)
			code, resp := rig.post(t, "127.0.0.1:40000", "127.0.0.1:8080", c.contentType, c.body)
			if code != c.wantCode {
				t.Errorf("status code %d, want %d", code, c.wantCode)
			}
			if resp.Status != c.wantStatus {
				t.Errorf("status %q, want %q", resp.Status, c.wantStatus)
			}
			if !strings.Contains(resp.Error, c.wantError) {
				t.Errorf("error %q, want it to contain %q", resp.Error, c.wantError)
			}
			if got := mustAlert(t, rig); got != store.AlertPublished {
				t.Errorf("alert %s after a rejected request, want published", got)
			}
		})
	}
}

func mustAlert(t *testing.T, rig *adminRig) store.AlertState {
	t.Helper()
	rec, err := rig.store.Get(context.Background(), rig.eventID)
	if err != nil {
		t.Fatalf("Get(%q): %v", rig.eventID, err)
	}
	return rec.Alert
}

func TestAdminRedriveDryRun(t *testing.T) {
	rig := newAdminRig(t)
	code, resp := rig.post(t, "127.0.0.1:40000", "127.0.0.1:8080", "application/json",
		`{"ids":["`+rig.eventID+`","evt-missing"],"dry_run":true}`)
	if code != http.StatusOK || resp.Status != "ok" {
		t.Fatalf("response %d %+v, want 200 ok", code, resp)
	}
	want := []redrive.Action{
		{ID: rig.eventID, Type: "appointment.failed", AlertBefore: store.AlertPublished,
			Outcome: redrive.OutcomeWouldRequeue},
		{ID: "evt-missing", Outcome: redrive.OutcomeNotFound},
	}
	if !reflect.DeepEqual(resp.Actions, want) {
		t.Errorf("actions %+v, want %+v", resp.Actions, want)
	}
	if !resp.DryRun {
		t.Error("response does not say dry_run")
	}
	if resp.Sweep != nil {
		t.Errorf("dry run ran a sweep: %+v", resp.Sweep)
	}
	if got := mustAlert(t, rig); got != store.AlertPublished {
		t.Errorf("alert %s after a dry run, want published", got)
	}
	if n := rig.alertLines(t); n != 0 {
		t.Errorf("alert log has %d lines after a dry run, want 0", n)
	}
}

func TestAdminRedrivePublishesAtOnce(t *testing.T) {
	rig := newAdminRig(t)
	code, resp := rig.post(t, "127.0.0.1:40000", "127.0.0.1:8080", "application/json; charset=utf-8",
		`{"type":"appointment.failed","category":"appointment"}`)
	if code != http.StatusOK || resp.Status != "ok" {
		t.Fatalf("response %d %+v, want 200 ok", code, resp)
	}
	if resp.Summary.Requeued != 1 || resp.Summary.Total != 1 {
		t.Errorf("summary %+v, want 1 in total and 1 requeued", resp.Summary)
	}
	if resp.Sweep == nil || resp.Sweep.Published != 1 {
		t.Errorf("sweep %+v, want 1 published", resp.Sweep)
	}
	if resp.SweepError != "" {
		t.Errorf("sweep error %q", resp.SweepError)
	}
	if n := rig.alertLines(t); n != 1 {
		t.Errorf("alert log has %d lines, want 1", n)
	}
	rec, err := rig.store.Get(context.Background(), rig.eventID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Alert != store.AlertPublished || rec.AlertMessageID == "first-message" || rec.AlertMessageID == "" {
		t.Errorf("record alert %s message id %q, want published with a new message id", rec.Alert, rec.AlertMessageID)
	}
}
