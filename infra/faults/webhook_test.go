package faults_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

// testSecret signs every webhook these tests send.
const testSecret signature.Secret = "whsec_fault_tests_only"

// Values in the appointment.failed sample that failureEvent replaces.
const (
	sampleName  = "appointment.failed.json"
	sampleID    = `"id": "0718a128-b9ae-4e75-b7df-2c532b0715dd"`
	sampleJobID = `"job_id": "300102"`
)

// failureEvent returns the appointment.failed sample with its id replaced by
// id and its job id by one that differs per variant, so two variants of one
// id have different content.
func failureEvent(t *testing.T, id string, variant int) []byte {
	t.Helper()
	body, err := failureEventBody(id, variant)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// failureEventBody is failureEvent for goroutines other than the test's.
func failureEventBody(id string, variant int) ([]byte, error) {
	samples, err := events.Samples()
	if err != nil {
		return nil, fmt.Errorf("load samples: %w", err)
	}
	for _, s := range samples {
		if s.Name != sampleName {
			continue
		}
		if !bytes.Contains(s.Body, []byte(sampleID)) || !bytes.Contains(s.Body, []byte(sampleJobID)) {
			return nil, fmt.Errorf("sample %s no longer contains %s and %s", sampleName, sampleID, sampleJobID)
		}
		body := bytes.Replace(s.Body, []byte(sampleID), fmt.Appendf(nil, `"id": %q`, id), 1)
		return bytes.Replace(body, []byte(sampleJobID), fmt.Appendf(nil, `"job_id": "9%05d"`, variant), 1), nil
	}
	return nil, fmt.Errorf("sample %s not found", sampleName)
}

// newHandler builds the ingest handler as the ingest function does, with the
// test secret in place of Secrets Manager.
func newHandler(t *testing.T, st store.Store, pub alert.Publisher, lease time.Duration) *ingest.Handler {
	t.Helper()
	return &ingest.Handler{
		Store:      st,
		Publisher:  pub,
		Secrets:    secrets.Static{testSecret},
		AlertLease: lease,
		Logger:     testenv.Logger(t),
		Metrics:    metrics.NewEMF(testenv.LogWriter(t, "emf"), "CobaltReceiverFaultTests"),
		Now:        time.Now,
	}
}

// serve serves h with the local-mode routes and returns the server's URL.
func serve(t *testing.T, h *ingest.Handler, st store.Store) string {
	t.Helper()
	srv := httptest.NewServer(localserver.NewMux(h, st, nil, testenv.Logger(t)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// answer is the JSON body of a webhook response.
type answer struct {
	Status     string `json:"status"`
	ID         string `json:"id"`
	ConflictID string `json:"conflict_id"`
}

// response is one webhook response and how long it took.
type response struct {
	code    int
	answer  answer
	elapsed time.Duration
}

// webhookClient bounds every request, so a hanging handler fails the test
// instead of stalling it.
var webhookClient = &http.Client{Timeout: 20 * time.Second}

// send posts body, signed with testSecret, to the webhook route of baseURL
// with the given webhook-attempt header. It is safe to call from any
// goroutine.
func send(baseURL string, body []byte, attempt string) (response, error) {
	return sendWith(webhookClient, baseURL, body, attempt)
}

func sendWith(client *http.Client, baseURL string, body []byte, attempt string) (response, error) {
	req, err := http.NewRequest(http.MethodPost, baseURL+localserver.WebhookPath, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signature.HeaderName, signature.Sign(body, testSecret))
	req.Header.Set("webhook-attempt", attempt)

	started := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("read webhook answer: %w", err)
	}
	out := response{code: resp.StatusCode, elapsed: time.Since(started)}
	if err := json.Unmarshal(data, &out.answer); err != nil {
		return response{}, fmt.Errorf("webhook answer %d is not JSON: %w", resp.StatusCode, err)
	}
	return out, nil
}

func mustSend(t *testing.T, baseURL string, body []byte, attempt string) response {
	t.Helper()
	resp, err := send(baseURL, body, attempt)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// checkInBudget fails the test when resp took longer than the budget of
// attempt plus two seconds, which only a hang would take. The figure is
// logged; timings themselves are measured in benchmarks.
func checkInBudget(t *testing.T, resp response, attempt string) {
	t.Helper()
	budget := ingest.Budget(attempt)
	t.Logf("attempt %s answered %d %q after %s (budget %s)", attempt, resp.code, resp.answer.Status,
		resp.elapsed.Round(time.Millisecond), budget)
	if bound := budget + 2*time.Second; resp.elapsed > bound {
		t.Errorf("attempt %s answered after %s, past %s: the handler did not stop at its budget",
			attempt, resp.elapsed, bound)
	}
}

// getRecord reads id from st and fails the test when that fails.
func getRecord(t *testing.T, st store.Store, id string) *store.Record {
	t.Helper()
	rec, err := st.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("get record %s: %v", id, err)
	}
	return rec
}
