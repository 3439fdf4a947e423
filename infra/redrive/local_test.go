package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

const testSecret = "whsec_redrive_test_secret"

// receiver is a local-mode ingest process started by a test.
type receiver struct {
	url     string
	dataDir string
}

// startReceiver runs the receiver binary in local mode on a free loopback
// port with its own data directory, and waits until /healthz returns 200.
// Its output goes to testenv.LogWriter.
func startReceiver(t *testing.T) *receiver {
	t.Helper()
	binary := testenv.Binary(t, "../../functions/ingest")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()

	r := &receiver{url: "http://" + addr, dataDir: t.TempDir()}
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), "LISTEN_ADDR="+addr, "DATA_DIR="+r.dataDir,
		"COBALT_WEBHOOK_SECRETS="+testSecret, "SWEEP_INTERVAL_SECONDS=3600")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start receiver: %v", err)
	}
	listening := make(chan struct{})
	go copyUntilListening(stdout, testenv.LogWriter(t, "receiver"), listening)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("receiver wrote no listening line within 30 s")
	}
	resp, err := http.Get(r.url + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d, want 200", resp.StatusCode)
	}
	return r
}

// copyUntilListening copies the receiver's output lines to w and closes
// listening at its "listening" line.
func copyUntilListening(output io.Reader, w io.Writer, listening chan<- struct{}) {
	scanner := bufio.NewScanner(output)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	signalled := false
	for scanner.Scan() {
		line := scanner.Bytes()
		_, _ = w.Write(append(line, '\n'))
		var entry struct {
			Message string `json:"message"`
		}
		if !signalled && json.Unmarshal(line, &entry) == nil && entry.Message == "listening" {
			signalled = true
			close(listening)
		}
	}
	_, _ = io.Copy(io.Discard, output)
}

// send posts a signed body to the webhook route and fails the test unless
// it is stored.
func (r *receiver) send(t *testing.T, body []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url+"/webhooks/cobalt", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("cobalt-verification", signature.Sign(body, testSecret))
	req.Header.Set("webhook-attempt", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /webhooks/cobalt: %v", err)
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(respBody), `"stored"`) {
		t.Fatalf("POST /webhooks/cobalt = %d %s, want 200 stored", resp.StatusCode, respBody)
	}
}

// alertState returns the alert field of GET /events/{id}.
func (r *receiver) alertState(t *testing.T, id string) string {
	t.Helper()
	resp, err := http.Get(r.url + "/events/" + id)
	if err != nil {
		t.Fatalf("GET /events/%s: %v", id, err)
	}
	defer resp.Body.Close()
	var rec struct {
		Alert string `json:"alert"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rec); err != nil {
		t.Fatalf("record of %s is not JSON: %v", id, err)
	}
	return rec.Alert
}

type alertLine struct {
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	MessageID string `json:"message_id"`
}

// alertLines returns the lines of the alert log for eventID.
func (r *receiver) alertLines(t *testing.T, eventID string) []alertLine {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.dataDir, "alerts.jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var lines []alertLine
	for _, text := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if text == "" {
			continue
		}
		var line alertLine
		if err := json.Unmarshal([]byte(text), &line); err != nil {
			t.Fatalf("alert line is not JSON: %v", err)
		}
		if line.EventID == eventID {
			lines = append(lines, line)
		}
	}
	return lines
}

// sample returns the body and envelope of the embedded sample name.
func sample(t *testing.T, name string) ([]byte, *envelope.Envelope) {
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
	return samples[i].Body, env
}

// phiValues returns the string values of the body's data that carry PHI.
func phiValues(t *testing.T, body []byte) []string {
	t.Helper()
	var doc struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, key := range []string{"mrn", "patient_mrn", "first_name", "last_name", "patient_name",
		"date_of_birth", "email", "phone", "failure_reason"} {
		if v, ok := doc.Data[key].(string); ok && v != "" {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		t.Fatal("sample carries no PHI value to look for")
	}
	return values
}

func TestLocalRedrivePublishesSecondAlert(t *testing.T) {
	r := startReceiver(t)
	body, env := sample(t, "appointment.failed.json")
	r.send(t, body)
	first := r.alertLines(t, env.ID)
	if len(first) != 1 {
		t.Fatalf("alert log has %d lines for %s after the delivery, want 1", len(first), env.ID)
	}

	dry := runRedrive(t, nil, "-local", r.url, "-id", env.ID, "-dry-run")
	if dry.code != 0 {
		t.Fatalf("dry run exit status %d; stderr:\n%s", dry.code, dry.stderr)
	}
	if !strings.Contains(dry.stdout, "would be requeued") {
		t.Errorf("dry-run output lacks the planned action:\n%s", dry.stdout)
	}
	if n := len(r.alertLines(t, env.ID)); n != 1 {
		t.Errorf("alert log has %d lines for %s after a dry run, want 1", n, env.ID)
	}
	if got := r.alertState(t, env.ID); got != "published" {
		t.Errorf("alert %s after a dry run, want published", got)
	}

	res := runRedrive(t, nil, "-local", r.url, "-id", env.ID)
	if res.code != 0 {
		t.Fatalf("redrive exit status %d; stdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	wantLine := regexp.MustCompile(regexp.QuoteMeta(env.ID) + `\s+appointment\.failed\s+published\s+requeued`)
	if !wantLine.MatchString(res.stdout) {
		t.Errorf("output lacks the line of %s:\n%s", env.ID, res.stdout)
	}
	if !strings.Contains(res.stdout, "1 published") {
		t.Errorf("output lacks the sweep's count:\n%s", res.stdout)
	}
	lines := r.alertLines(t, env.ID)
	if len(lines) != 2 {
		t.Fatalf("alert log has %d lines for %s after the redrive, want 2", len(lines), env.ID)
	}
	if lines[1].EventType != env.Type {
		t.Errorf("second alert has type %q, want %q", lines[1].EventType, env.Type)
	}
	if lines[1].MessageID == lines[0].MessageID {
		t.Errorf("second alert reuses message id %s", lines[0].MessageID)
	}
	if got := r.alertState(t, env.ID); got != "published" {
		t.Errorf("alert %s after the redrive, want published", got)
	}
	for _, value := range phiValues(t, body) {
		if strings.Contains(res.stdout+res.stderr+dry.stdout+dry.stderr, value) {
			t.Errorf("redrive output contains a PHI value of %d bytes", len(value))
		}
	}
}

func TestLocalRedriveReportsSkips(t *testing.T) {
	r := startReceiver(t)
	failure, failEnv := sample(t, "task.failed.json")
	success, okEnv := sample(t, "task.created.json")
	r.send(t, failure)
	r.send(t, success)

	res := runRedrive(t, nil, "-local", r.url, "-id", okEnv.ID, "-id", "evt-no-such-event", "-id", failEnv.ID)
	if res.code != 1 {
		t.Errorf("exit status %d, want 1 for an id not found; stderr:\n%s", res.code, res.stderr)
	}
	checks := []struct {
		name string
		line *regexp.Regexp
	}{
		{"no alert", regexp.MustCompile(regexp.QuoteMeta(okEnv.ID) + `\s+task\.created\s+none\s+skipped: event has no alert`)},
		{"not found", regexp.MustCompile(`evt-no-such-event\s+-\s+-\s+not found`)},
		{"requeued", regexp.MustCompile(regexp.QuoteMeta(failEnv.ID) + `\s+task\.failed\s+published\s+requeued`)},
		{"summary", regexp.MustCompile(`summary: 3 listed: 1 requeued, .*1 without alert, .*1 not found`)},
	}
	for _, c := range checks {
		if !c.line.MatchString(res.stdout) {
			t.Errorf("output lacks the %s line:\n%s", c.name, res.stdout)
		}
	}
	if !strings.Contains(res.stderr, "event ids not found: 1") {
		t.Errorf("stderr lacks the not-found error:\n%s", res.stderr)
	}
	if n := len(r.alertLines(t, failEnv.ID)); n != 2 {
		t.Errorf("alert log has %d lines for %s, want 2", n, failEnv.ID)
	}
	if n := len(r.alertLines(t, okEnv.ID)); n != 0 {
		t.Errorf("alert log has %d lines for the success event, want 0", n)
	}
}

func TestLocalRedriveNeedsYesAboveLimit(t *testing.T) {
	r := startReceiver(t)
	body, env := sample(t, "appointment.failed.json")
	const count = 101
	for i := range count {
		r.send(t, bytes.Replace(body, []byte(env.ID), []byte(fmt.Sprintf("evt-guard-%03d", i)), 1))
	}

	rejected := runRedrive(t, nil, "-local", r.url, "-type", "appointment.failed")
	if rejected.code != 1 {
		t.Errorf("exit status %d without -yes, want 1", rejected.code)
	}
	if !strings.Contains(rejected.stderr, "-yes") {
		t.Errorf("rejection does not mention -yes:\n%s", rejected.stderr)
	}
	if n := len(r.alertLines(t, "evt-guard-000")); n != 1 {
		t.Errorf("alert log has %d lines for evt-guard-000 after the rejected run, want 1", n)
	}

	res := runRedrive(t, nil, "-local", r.url, "-type", "appointment.failed", "-yes")
	if res.code != 0 {
		t.Fatalf("exit status %d with -yes; stderr:\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, fmt.Sprintf("%d requeued", count)) {
		t.Errorf("output lacks %d requeued:\n%s", count, res.stdout)
	}
	for _, id := range []string{"evt-guard-000", "evt-guard-100"} {
		if n := len(r.alertLines(t, id)); n != 2 {
			t.Errorf("alert log has %d lines for %s, want 2", n, id)
		}
	}
}

func TestLocalRedriveUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()

	res := runRedrive(t, nil, "-local", url, "-id", "evt-1")
	if res.code != 1 {
		t.Errorf("exit status %d, want 1", res.code)
	}
	if !strings.Contains(res.stderr, "is the local receiver") {
		t.Errorf("stderr does not say the receiver may not be running:\n%s", res.stderr)
	}
}
