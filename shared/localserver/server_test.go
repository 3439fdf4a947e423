package localserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/store/embedded"
	"github.com/clinicops/cobalt-receiver/shared/store/memstore"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	st := memstore.New()
	h := &ingest.Handler{
		Store: st, Secrets: secrets.Static{"whsec_server_test"}, AlertLease: 30 * time.Second,
		Logger: testenv.Logger(t), Metrics: metrics.Discard{}, Now: time.Now,
	}
	srv := httptest.NewServer(localserver.NewMux(h, st, nil, testenv.Logger(t)))
	t.Cleanup(srv.Close)
	return srv
}

func statusOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var a struct {
		Status string `json:"status"`
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", body, err)
	}
	return a.Status
}

func TestRecordViewBadIDIsNotFound(t *testing.T) {
	srv := newServer(t)
	for _, id := range []string{strings.Repeat("x", 1025), "q-nothex", "c-"} {
		resp, err := http.Get(srv.URL + "/events/" + id)
		if err != nil {
			t.Fatal(err)
		}
		if got := statusOf(t, resp); resp.StatusCode != http.StatusNotFound || got != "not_found" {
			t.Errorf("GET /events/<%d bytes> = %d %s, want 404 not_found", len(id), resp.StatusCode, got)
		}
	}
}

// TestDeclaredOversizeBodyRejectedUnread checks a Content-Length over the
// limit is answered 413 before the client is asked to send the body.
func TestDeclaredOversizeBodyRejectedUnread(t *testing.T) {
	srv := newServer(t)
	req, err := http.NewRequest(http.MethodPost, srv.URL+localserver.WebhookPath, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = ingest.MaxBodyBytes + 1
	req.Header.Set("Expect", "100-continue")
	transport := &http.Transport{ExpectContinueTimeout: 10 * time.Second}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := statusOf(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge || got != "too_large" {
		t.Errorf("declared oversize = %d %s, want 413 too_large", resp.StatusCode, got)
	}
}

func TestRunReportsDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	locked, err := embedded.Open(filepath.Join(dir, localserver.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer locked.Close()
	cfg, err := config.LoadLocal(func(name string) string {
		return map[string]string{"DATA_DIR": dir, "LISTEN_ADDR": "127.0.0.1:0"}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	err = localserver.Run(context.Background(), cfg, testenv.Logger(t))
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("Run with a held store = %v, want an error saying the store is locked", err)
	}
}
