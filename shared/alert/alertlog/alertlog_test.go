package alertlog_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/alertlog"
	"github.com/clinicops/cobalt-receiver/shared/alert/internal/alerttest"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

type object = alerttest.Object

// entry is one line of the log as a reader decodes it.
type entry struct {
	Topic       string          `json:"topic"`
	EventID     string          `json:"event_id"`
	EventType   string          `json:"event_type"`
	Subject     string          `json:"subject"`
	Attributes  map[string]any  `json:"attributes"`
	Message     json.RawMessage `json:"message"`
	Text        string          `json:"text"`
	PublishedAt string          `json:"published_at"`
	MessageID   string          `json:"message_id"`
}

func partialAlert(id string) *alert.Alert {
	env := alerttest.Event(id, "telephone_encounter.created_partial", "telephone_encounter", envelope.KindPartial, object{
		{"telephone_encounter_id", "te_1"},
		{"refill_medication_name", "Lisinopril <10 mg> & more"},
		{"refill_failure_reason", "Medication not found."},
		{"reasons", alerttest.Reasons("REFILL_FAILED", "x", "MEDICATION_NOT_FOUND", "y")},
	})
	return alert.Build(env, alert.Options{})
}

// readLog returns the decoded lines of the log at path, failing the test on
// a line that is not a whole JSON object.
func readLog(t *testing.T, path string) []entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var entries []entry
	scanner := bufio.NewScanner(f)
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		var e entry
		if err := json.Unmarshal(scanner.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%.200s", len(entries)+1, err, scanner.Text())
		}
		entries = append(entries, e)
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return entries
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestPublishWritesOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "alerts.jsonl")
	log, err := alertlog.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	a := partialAlert("evt_1")
	before := time.Now().UTC()

	id, err := log.Publish(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}

	entries := readLog(t, path)
	if len(entries) != 1 {
		t.Fatalf("log has %d lines, want 1", len(entries))
	}
	e := entries[0]
	checks := []struct{ name, got, want string }{
		{"topic", e.Topic, "telephone_encounter"},
		{"event_id", e.EventID, "evt_1"},
		{"event_type", e.EventType, "telephone_encounter.created_partial"},
		{"subject", e.Subject, a.Subject},
		{"text", e.Text, a.Text},
		{"message_id", e.MessageID, id},
		{"message", string(e.Message), string(a.Document)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !uuidPattern.MatchString(id) {
		t.Errorf("message id %q is not a random UUID", id)
	}
	wantAttrs := map[string]any{
		"event_type":                "telephone_encounter.created_partial",
		"category":                  "telephone_encounter",
		"event_id":                  "evt_1",
		"access_token_reference_id": "clinic_1",
		"job_id":                    "12345",
		"error_codes":               []any{"REFILL_FAILED", "MEDICATION_NOT_FOUND"},
		"partial":                   "true",
	}
	if !reflect.DeepEqual(e.Attributes, wantAttrs) {
		t.Errorf("attributes = %v, want %v", e.Attributes, wantAttrs)
	}
	published, err := time.Parse(time.RFC3339Nano, e.PublishedAt)
	if err != nil {
		t.Errorf("published_at %q is not RFC 3339: %v", e.PublishedAt, err)
	}
	if published.Before(before.Add(-time.Second)) || published.After(time.Now().Add(time.Second)) {
		t.Errorf("published_at %s is not the time of publishing", e.PublishedAt)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("log file mode = %v (%v), want 0600", info.Mode().Perm(), err)
	}
}

func TestPublishKeepsMessageAsObject(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	log, err := alertlog.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	if _, err := log.Publish(context.Background(), partialAlert("evt_1")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"message":{"event_id":"evt_1"`) {
		t.Errorf("message is not embedded as an object:\n%s", raw)
	}
	if !strings.Contains(string(raw), "Lisinopril <10 mg> & more") {
		t.Errorf("log escapes HTML characters:\n%s", raw)
	}
	if !strings.HasSuffix(string(raw), "}\n") || strings.Count(string(raw), "\n") != 1 {
		t.Errorf("log is not one line ending in a newline:\n%q", raw)
	}
}

func TestPublishConcurrentLinesStayWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	log, err := alertlog.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()

	const workers, each = 8, 40
	// Large alerts make interleaved writes likely if the log did not
	// serialize them.
	big := alerttest.Event("", "document.failed", "document", envelope.KindFailure, object{
		{"reasons", alerttest.Reasons("UNKNOWN_ERROR", strings.Repeat("d", 100000))},
	})
	alerts := make([][]*alert.Alert, workers)
	for w := range workers {
		for i := range each {
			env := *big
			env.ID = fmt.Sprintf("evt_%d_%d", w, i)
			alerts[w] = append(alerts[w], alert.Build(&env, alert.Options{}))
		}
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	ids := make(chan string, workers*each)
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			<-start
			for _, a := range alerts[w] {
				id, err := log.Publish(context.Background(), a)
				if err != nil {
					errs <- err
					continue
				}
				ids <- id
			}
		})
	}
	close(start)
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Errorf("Publish: %v", err)
	}

	entries := readLog(t, path)
	if len(entries) != workers*each {
		t.Fatalf("log has %d lines, want %d", len(entries), workers*each)
	}
	seenEvents := make(map[string]bool)
	for _, e := range entries {
		seenEvents[e.EventID] = true
	}
	if len(seenEvents) != workers*each {
		t.Errorf("log has %d distinct events, want %d", len(seenEvents), workers*each)
	}
	seenIDs := make(map[string]bool)
	for id := range ids {
		seenIDs[id] = true
	}
	if len(seenIDs) != workers*each {
		t.Errorf("Publish returned %d distinct message ids, want %d", len(seenIDs), workers*each)
	}
}

func TestOpenAgainAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	for i, id := range []string{"evt_first", "evt_second"} {
		log, err := alertlog.Open(path)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		if _, err := log.Publish(context.Background(), partialAlert(id)); err != nil {
			t.Fatal(err)
		}
		if err := log.Close(); err != nil {
			t.Fatal(err)
		}
	}
	entries := readLog(t, path)
	var got []string
	for _, e := range entries {
		got = append(got, e.EventID)
	}
	if want := []string{"evt_first", "evt_second"}; !reflect.DeepEqual(got, want) {
		t.Errorf("log events = %v, want %v", got, want)
	}
}

func TestPublishRejects(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	invalid := partialAlert("evt_bad")
	invalid.Document = []byte(`{"event_id":`)
	tests := []struct {
		name    string
		ctx     context.Context
		alert   *alert.Alert
		wantErr string
	}{
		{"invalid document", context.Background(), invalid, `event "evt_bad": alert document is not valid JSON`},
		{"nil alert", context.Background(), nil, "alert is nil"},
		{"canceled context", canceled, partialAlert("evt_1"), "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "alerts.jsonl")
			log, err := alertlog.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer log.Close()
			_, err = log.Publish(tt.ctx, tt.alert)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Publish error = %v, want one containing %q", err, tt.wantErr)
			}
			if info, err := os.Stat(path); err != nil || info.Size() != 0 {
				t.Errorf("log after a rejected alert has %d bytes (%v), want 0", info.Size(), err)
			}
		})
	}
}

func TestPublishAfterClose(t *testing.T) {
	log, err := alertlog.Open(filepath.Join(t.TempDir(), "alerts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := log.Publish(context.Background(), partialAlert("evt_1")); !errors.Is(err, alertlog.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
}

func TestOpenDirectoryFails(t *testing.T) {
	dir := t.TempDir()
	if _, err := alertlog.Open(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open(%s) error = %v, want one naming the path", dir, err)
	}
}
