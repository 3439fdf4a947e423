package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is an httptest server that records requests and responds to each
// with a fixed status and JSON body.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, received{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, "{\"status\":\"stored\",\n\"id\":\"x\"}\n")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

// writeFile writes body to a file named name in a temporary folder.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// noEnv is a getenv with no variables set.
func noEnv(string) string { return "" }

func TestSendHeaders(t *testing.T) {
	srv := newReceiver(t, http.StatusOK)
	body := "{\n  \"id\": \"evt-1\",\n  \"created\": \"2026-03-02T15:04:05.123Z\",\n  \"type\": \"x.y\",\n  \"data\": {}\n}\n"
	file := writeFile(t, "one.json", body)
	secret := "whsec_test_secret"

	var stdout, stderr bytes.Buffer
	code := run([]string{"-url", srv.URL, "-secret", secret, "-attempt", "2", file}, noEnv, &stdout, &stderr)

	if code != 0 {
		t.Errorf("exit status = %d, want 0 (stderr %q)", code, stderr.String())
	}
	reqs := srv.got()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if string(got.body) != body {
		t.Errorf("body = %q, want the file's exact bytes", got.body)
	}
	wantSignature := signature.Sign([]byte(body), signature.Secret(secret))
	if h := got.header.Get("Cobalt-Verification"); h != wantSignature {
		t.Errorf("cobalt-verification = %q, want %q", h, wantSignature)
	}
	headers := map[string]string{
		"Content-Type":      "application/json",
		"Webhook-Attempt":   "2",
		"Webhook-Id":        "evt-1",
		"Webhook-Timestamp": "2026-03-02T15:04:05.123Z",
	}
	for name, want := range headers {
		if h := got.header.Get(name); h != want {
			t.Errorf("%s = %q, want %q", name, h, want)
		}
	}

	wantLine := "one.json 200 {\"status\":\"stored\", \"id\":\"x\"}\n"
	if stdout.String() != wantLine {
		t.Errorf("output = %q, want %q", stdout.String(), wantLine)
	}
	if strings.Contains(stdout.String()+stderr.String(), secret) {
		t.Error("output contains the secret")
	}
	if wantSignature != "" && strings.Contains(stdout.String()+stderr.String(), wantSignature) {
		t.Error("output contains the signature")
	}
}

func TestSendDeliveryHeaderValues(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		args      []string
		id        string
		timestamp string
	}{
		{name: "numeric id", body: `{"id":12345.0,"created":"2026-01-01T00:00:00Z"}`, id: "12345.0", timestamp: "2026-01-01T00:00:00Z"},
		{name: "not JSON", body: `id=evt-1`},
		{name: "JSON array", body: `[{"id":"evt-1"}]`},
		{name: "id and created of other types", body: `{"id":["evt-1"],"created":1773325800}`},
		{name: "id with line break", body: `{"id":"evt\n1","created":"2026-01-01T00:00:00Z"}`, timestamp: "2026-01-01T00:00:00Z"},
		{name: "id headers off", body: `{"id":"evt-1","created":"2026-01-01T00:00:00Z"}`, args: []string{"-id-header=false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newReceiver(t, http.StatusOK)
			file := writeFile(t, "body.txt", tt.body)
			args := append(append([]string{"-url", srv.URL}, tt.args...), file)

			var stdout, stderr bytes.Buffer
			if code := run(args, noEnv, &stdout, &stderr); code != 0 {
				t.Fatalf("exit status = %d, want 0 (output %q)", code, stdout.String())
			}
			got := srv.got()[0]
			if h := got.header.Values("Webhook-Id"); tt.id == "" && len(h) != 0 {
				t.Errorf("webhook-id = %q, want none", h)
			}
			if h := got.header.Get("Webhook-Id"); h != tt.id {
				t.Errorf("webhook-id = %q, want %q", h, tt.id)
			}
			if h := got.header.Get("Webhook-Timestamp"); h != tt.timestamp {
				t.Errorf("webhook-timestamp = %q, want %q", h, tt.timestamp)
			}
			if h := got.header.Get("Webhook-Attempt"); h != "1" {
				t.Errorf("webhook-attempt = %q, want 1", h)
			}
			if string(got.body) != tt.body {
				t.Errorf("body = %q, want %q", got.body, tt.body)
			}
		})
	}
}

func TestRunExitStatus(t *testing.T) {
	ok := newReceiver(t, http.StatusOK)
	rejected := newReceiver(t, http.StatusUnauthorized)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	file := writeFile(t, "e.json", `{"id":"a"}`)

	tests := []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{name: "2xx answer", args: []string{"-url", ok.URL, file}, code: 0, output: "e.json 200 "},
		{name: "4xx answer", args: []string{"-url", rejected.URL, file}, code: 1, output: "e.json 401 "},
		{name: "connection refused", args: []string{"-url", closed.URL, file}, code: 1, output: "e.json error: "},
		{name: "missing file", args: []string{"-url", ok.URL, file + ".missing"}, code: 1, output: "error: "},
		{name: "one of two fails", args: []string{"-url", ok.URL, file, file + ".missing"}, code: 1, output: "e.json 200 "},
		{name: "no files", args: []string{"-url", ok.URL}, code: 2},
		{name: "attempt zero", args: []string{"-attempt", "0", file}, code: 2},
		{name: "unknown flag", args: []string{"-bogus", file}, code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, noEnv, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit status = %d, want %d", code, tt.code)
			}
			if !strings.Contains(stdout.String(), tt.output) {
				t.Errorf("output = %q, want it to contain %q", stdout.String(), tt.output)
			}
		})
	}
}

func TestRunAllSamples(t *testing.T) {
	srv := newReceiver(t, http.StatusOK)
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if code := run([]string{"-url", srv.URL, "-all"}, noEnv, &stdout, &stderr); code != 0 {
		t.Fatalf("exit status = %d, want 0 (stderr %q)", code, stderr.String())
	}

	reqs := srv.got()
	if len(reqs) != len(samples) {
		t.Fatalf("receiver got %d requests, want %d", len(reqs), len(samples))
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != len(samples) {
		t.Fatalf("printed %d lines, want %d", len(lines), len(samples))
	}
	for i, s := range samples {
		if !bytes.Equal(reqs[i].body, s.Body) {
			t.Errorf("request %d body differs from sample %s", i, s.Name)
		}
		if reqs[i].header.Get("Webhook-Id") == "" {
			t.Errorf("request for %s has no webhook-id", s.Name)
		}
		if !strings.HasPrefix(lines[i], s.Name+" 200 ") {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], s.Name+" 200 ")
		}
	}
}

func TestResolveSecret(t *testing.T) {
	tests := []struct {
		name string
		flag string
		env  map[string]string
		want signature.Secret
	}{
		{name: "nothing set", want: config.DevelopmentSecret},
		{
			name: "flag wins",
			flag: "whsec_flag",
			env:  map[string]string{envSecret: "whsec_one", config.EnvSecrets: "whsec_a,whsec_b"},
			want: "whsec_flag",
		},
		{
			name: "single secret variable",
			env:  map[string]string{envSecret: "whsec_one", config.EnvSecrets: "whsec_a,whsec_b"},
			want: "whsec_one",
		},
		{
			name: "first of the list",
			env:  map[string]string{config.EnvSecrets: " , whsec_a , whsec_b"},
			want: "whsec_a",
		},
		{
			name: "blank values ignored",
			flag: "  ",
			env:  map[string]string{envSecret: " ", config.EnvSecrets: ","},
			want: config.DevelopmentSecret,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(name string) string { return tt.env[name] }
			if got := resolveSecret(tt.flag, getenv); got != tt.want {
				// Secret's String redacts, so compare and print the raw text.
				t.Errorf("resolveSecret() = %q, want %q", string(got), string(tt.want))
			}
		})
	}
}
