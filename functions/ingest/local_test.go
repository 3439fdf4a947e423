package main_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

const testSecret = "whsec_e2e_test_secret"

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveBinaries()
	os.Exit(code)
}

// receiver is a local-mode ingest process started by a test. Its output is
// kept in logs and copied to testenv.LogWriter, where the test command scans
// it for secrets and PHI.
type receiver struct {
	url     string
	dataDir string
	mu      sync.Mutex
	logs    bytes.Buffer
	logFile io.Writer
}

func (r *receiver) logText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logs.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startReceiver runs the receiver binary in local mode on a free loopback
// port with its own data directory, and waits for its listening line.
func startReceiver(t *testing.T, extraEnv ...string) *receiver {
	t.Helper()
	binary := testenv.Binary(t, ".")
	addr := freeAddr(t)
	r := &receiver{url: "http://" + addr, dataDir: t.TempDir(), logFile: testenv.LogWriter(t, "receiver")}
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), "LISTEN_ADDR="+addr, "DATA_DIR="+r.dataDir,
		"COBALT_WEBHOOK_SECRETS=whsec_other_secret,"+testSecret)
	cmd.Env = append(cmd.Env, extraEnv...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start receiver: %v", err)
	}
	listening := make(chan struct{})
	go r.readLogs(stdout, listening)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatalf("receiver wrote no listening line; output:\n%s", r.logText())
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

func (r *receiver) readLogs(stdout io.Reader, listening chan<- struct{}) {
	scanner := bufio.NewScanner(stdout)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	signalled := false
	for scanner.Scan() {
		line := scanner.Text()
		r.mu.Lock()
		r.logs.WriteString(line + "\n")
		_, _ = io.WriteString(r.logFile, line+"\n")
		r.mu.Unlock()
		var entry struct {
			Message string `json:"message"`
		}
		if !signalled && json.Unmarshal([]byte(line), &entry) == nil && entry.Message == "listening" {
			signalled = true
			close(listening)
		}
	}
}

type answer struct {
	Status     string   `json:"status"`
	ID         string   `json:"id"`
	ConflictID string   `json:"conflict_id"`
	Errors     []string `json:"errors"`
}

// post sends body to the webhook route with the given headers and returns
// the status code and decoded answer.
func (r *receiver) post(t *testing.T, method string, body []byte, header map[string]string) (int, answer) {
	t.Helper()
	req, err := http.NewRequest(method, r.url+"/webhooks/cobalt", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s /webhooks/cobalt: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", raw, err)
	}
	if a.Status == "" {
		t.Errorf("answer %q has no status", raw)
	}
	return resp.StatusCode, a
}

func (r *receiver) send(t *testing.T, body []byte) (int, answer) {
	t.Helper()
	return r.post(t, http.MethodPost, body, map[string]string{
		"Cobalt-Verification": signature.Sign(body, testSecret),
		"webhook-attempt":     "1",
	})
}

type record struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Category  string `json:"category"`
	Status    string `json:"status"`
	Alert     string `json:"alert"`
	Raw       string `json:"raw"`
	RawBase64 string `json:"raw_base64"`
}

func (r *receiver) record(t *testing.T, id string) (int, record) {
	t.Helper()
	resp, err := http.Get(r.url + "/events/" + id)
	if err != nil {
		t.Fatalf("GET /events/%s: %v", id, err)
	}
	defer resp.Body.Close()
	var rec record
	if err := json.NewDecoder(resp.Body).Decode(&rec); err != nil {
		t.Fatalf("record of %s is not JSON: %v", id, err)
	}
	return resp.StatusCode, rec
}

type alertLine struct {
	Topic      string          `json:"topic"`
	EventID    string          `json:"event_id"`
	EventType  string          `json:"event_type"`
	Subject    string          `json:"subject"`
	Attributes map[string]any  `json:"attributes"`
	Message    json.RawMessage `json:"message"`
}

func (r *receiver) alerts(t *testing.T) []alertLine {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.dataDir, "alerts.jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []alertLine
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var a alertLine
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("alert line %q is not JSON: %v", line, err)
		}
		out = append(out, a)
	}
	return out
}

func alerting(kind envelope.Kind) bool {
	return kind == envelope.KindFailure || kind == envelope.KindPartial
}

// TestLocalEverySample sends every sample twice and checks the answers,
// records and alert lines.
func TestLocalEverySample(t *testing.T) {
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	r := startReceiver(t)

	wantAlerts := map[string]string{}
	for _, s := range samples {
		env, err := envelope.Parse(s.Body)
		if err != nil {
			t.Fatalf("sample %s does not parse: %v", s.Name, err)
		}
		code, a := r.send(t, s.Body)
		if code != http.StatusOK || a.Status != "stored" || a.ID != env.ID {
			t.Errorf("%s: answer %d %+v, want 200 stored %s", s.Name, code, a, env.ID)
			continue
		}
		code, rec := r.record(t, env.ID)
		if code != http.StatusOK {
			t.Errorf("%s: GET record = %d", s.Name, code)
			continue
		}
		wantAlert := "none"
		if alerting(env.Kind) {
			wantAlert = "published"
			wantAlerts[env.ID] = env.Type
		}
		if rec.Status != "stored" || rec.Alert != wantAlert || rec.Type != env.Type {
			t.Errorf("%s: record status=%s alert=%s type=%s, want stored %s %s",
				s.Name, rec.Status, rec.Alert, rec.Type, wantAlert, env.Type)
		}
		if rec.Raw != string(s.Body) {
			t.Errorf("%s: raw differs from the body sent", s.Name)
		}
		if rec.RawBase64 != base64.StdEncoding.EncodeToString(s.Body) {
			t.Errorf("%s: raw_base64 differs from the body sent", s.Name)
		}
	}
	if len(wantAlerts) == 0 {
		t.Fatal("no sample raises an alert")
	}
	checkAlerts(t, r.alerts(t), wantAlerts)

	for _, s := range samples {
		code, a := r.send(t, s.Body)
		if code != http.StatusOK || a.Status != "duplicate" {
			t.Errorf("%s resent: answer %d %s, want 200 duplicate", s.Name, code, a.Status)
		}
	}
	checkAlerts(t, r.alerts(t), wantAlerts)
	checkLogsClean(t, r.logText(), samples)
}

func checkAlerts(t *testing.T, lines []alertLine, want map[string]string) {
	t.Helper()
	if len(lines) != len(want) {
		t.Errorf("alert log has %d lines, want %d", len(lines), len(want))
	}
	seen := map[string]int{}
	for _, line := range lines {
		seen[line.EventID]++
		if want[line.EventID] != line.EventType {
			t.Errorf("alert for %s has type %q, want %q", line.EventID, line.EventType, want[line.EventID])
		}
		if line.Subject == "" || len(line.Subject) >= 100 {
			t.Errorf("alert for %s has subject of %d bytes", line.EventID, len(line.Subject))
		}
		if line.Attributes["event_id"] != line.EventID {
			t.Errorf("alert for %s has event_id attribute %v", line.EventID, line.Attributes["event_id"])
		}
		var doc map[string]any
		if err := json.Unmarshal(line.Message, &doc); err != nil {
			t.Errorf("alert for %s: message is not a JSON object: %v", line.EventID, err)
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("event %s has %d alert lines, want 1", id, seen[id])
		}
	}
}

// checkLogsClean fails when a secret, a signature or a PHI-bearing field
// value of the samples appears in the receiver's output.
func checkLogsClean(t *testing.T, logs string, samples []events.Sample) {
	t.Helper()
	forbidden := []string{testSecret, "whsec_other_secret"}
	for _, s := range samples {
		forbidden = append(forbidden, signature.Sign(s.Body, testSecret))
		var doc struct {
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(s.Body, &doc)
		for _, key := range []string{"mrn", "patient_mrn", "first_name", "last_name", "patient_name",
			"date_of_birth", "email", "phone", "existing_mrn"} {
			if v, ok := doc.Data[key].(string); ok && v != "" {
				forbidden = append(forbidden, v)
			}
		}
	}
	for _, value := range forbidden {
		// Whole words only, so a short first name does not match inside an
		// unrelated word.
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(value) + `\b`).MatchString(logs) {
			t.Errorf("receiver output contains a forbidden value of %d bytes", len(value))
		}
	}
}

// TestLocalContract checks each answer of the HTTP contract in local mode.
func TestLocalContract(t *testing.T) {
	r := startReceiver(t)
	body := []byte(`{"id":"evt_contract_1","object":"event","type":"task.created","created":"2026-03-01T10:00:00Z","data":{"task_id":"t1"}}`)
	signed := map[string]string{"cobalt-verification": signature.Sign(body, testSecret)}

	t.Run("method", func(t *testing.T) {
		code, a := r.post(t, http.MethodGet, nil, nil)
		if code != http.StatusMethodNotAllowed || a.Status != "method_not_allowed" {
			t.Errorf("GET = %d %s, want 405 method_not_allowed", code, a.Status)
		}
	})
	t.Run("too large", func(t *testing.T) {
		big := bytes.Repeat([]byte("a"), 1<<20+1)
		code, a := r.post(t, http.MethodPost, big, map[string]string{"cobalt-verification": signature.Sign(big, testSecret)})
		if code != http.StatusRequestEntityTooLarge || a.Status != "too_large" {
			t.Errorf("oversize = %d %s, want 413 too_large", code, a.Status)
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		code, a := r.post(t, http.MethodPost, body, nil)
		if code != http.StatusUnauthorized || a.Status != "unauthorized" {
			t.Errorf("unsigned = %d %s, want 401 unauthorized", code, a.Status)
		}
		if code, _ := r.record(t, "evt_contract_1"); code != http.StatusNotFound {
			t.Errorf("unsigned event stored: GET = %d", code)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		code, _ := r.post(t, http.MethodPost, body, map[string]string{"cobalt-verification": signature.Sign(body, "whsec_wrong")})
		if code != http.StatusUnauthorized {
			t.Errorf("wrong secret = %d, want 401", code)
		}
	})
	t.Run("stored then duplicate", func(t *testing.T) {
		code, a := r.post(t, http.MethodPost, body, signed)
		if code != http.StatusOK || a.Status != "stored" || a.ID != "evt_contract_1" {
			t.Fatalf("first = %d %+v", code, a)
		}
		spaced := []byte(strings.ReplaceAll(string(body), ",", ", "))
		code, a = r.post(t, http.MethodPost, spaced, map[string]string{"cobalt-verification": signature.Sign(spaced, testSecret)})
		if code != http.StatusOK || a.Status != "duplicate" {
			t.Errorf("same content with whitespace = %d %s, want 200 duplicate", code, a.Status)
		}
	})
	t.Run("conflict", func(t *testing.T) {
		other := []byte(`{"id":"evt_contract_1","object":"event","type":"task.created","created":"2026-03-01T10:00:00Z","data":{"task_id":"t2"}}`)
		code, a := r.post(t, http.MethodPost, other, map[string]string{"cobalt-verification": signature.Sign(other, testSecret)})
		if code != http.StatusConflict || a.Status != "conflict" || a.ID != "evt_contract_1" {
			t.Fatalf("other content = %d %+v, want 409 conflict", code, a)
		}
		if _, rec := r.record(t, "evt_contract_1"); rec.Raw != string(body) {
			t.Error("first record changed after a conflict")
		}
		code, rec := r.record(t, a.ConflictID)
		if code != http.StatusOK || rec.Status != "conflict" || rec.Raw != string(other) {
			t.Errorf("conflict record = %d %s", code, rec.Status)
		}
	})
	t.Run("quarantine", func(t *testing.T) {
		bad := []byte(`{"object":"event","type":"task.created","data":"not an object"}`)
		code, a := r.post(t, http.MethodPost, bad, map[string]string{"COBALT-VERIFICATION": signature.Sign(bad, testSecret)})
		sum := sha256.Sum256(bad)
		wantID := "q-" + hex.EncodeToString(sum[:])
		if code != http.StatusBadRequest || a.Status != "quarantined" || a.ID != wantID || len(a.Errors) == 0 {
			t.Fatalf("unusable envelope = %d %+v, want 400 quarantined %s", code, a, wantID)
		}
		code, rec := r.record(t, wantID)
		if code != http.StatusOK || rec.Status != "quarantined" || rec.Raw != string(bad) {
			t.Errorf("quarantine record = %d %s", code, rec.Status)
		}
	})
	t.Run("not found", func(t *testing.T) {
		resp, err := http.Get(r.url + "/events/no-such-event")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a answer
		_ = json.NewDecoder(resp.Body).Decode(&a)
		if resp.StatusCode != http.StatusNotFound || a.Status != "not_found" {
			t.Errorf("GET missing = %d %s, want 404 not_found", resp.StatusCode, a.Status)
		}
	})
}

// TestLocalSenderTool runs the sender tool over every sample and checks it
// reports success, then that a second run is answered duplicate.
func TestLocalSenderTool(t *testing.T) {
	r := startReceiver(t)
	for _, want := range []string{"stored", "duplicate"} {
		cmd := exec.Command(testenv.Binary(t, "../../events/send"), "-url", r.url+"/webhooks/cobalt", "-secret", testSecret, "-all")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sender: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("sender output lacks %q:\n%s", want, out)
		}
		if strings.Contains(string(out), testSecret) {
			t.Error("sender printed the secret")
		}
	}
}
