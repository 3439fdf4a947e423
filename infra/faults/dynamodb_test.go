package faults_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

func TestDynamoDBFaultAnswersUnavailable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault func(t *testing.T, p *faultProxy) (heal func())
		// reaches is set when a write may still land in the table.
		reaches bool
	}{
		{
			name: "down",
			fault: func(t *testing.T, p *faultProxy) func() {
				p.disable(t)
				return func() { p.enable(t) }
			},
		},
		{
			// The latency exceeds the first attempt's 4 s budget.
			name: "slow",
			fault: func(t *testing.T, p *faultProxy) func() {
				name := p.addToxic(t, "latency", "downstream", toxiproxy.Attributes{"latency": 4500})
				return func() { p.removeToxic(t, name) }
			},
			reaches: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rig := newAWSRig(t)
			url := serve(t, newHandler(t, rig.store, rig.publisher, time.Second), rig.store)
			heal := tc.fault(t, rig.dynamo)

			// Both attempts run at once, so the slow case waits for the
			// longer budget only.
			attempts := []string{"1", "2"}
			ids := make([]string, len(attempts))
			answers := make([]response, len(attempts))
			errs := make([]error, len(attempts))
			var wg sync.WaitGroup
			for i, attempt := range attempts {
				ids[i] = "evt-ddb-" + randomSuffix(t)
				body := failureEvent(t, ids[i], 0)
				wg.Go(func() { answers[i], errs[i] = send(url, body, attempt) })
			}
			wg.Wait()

			for i, attempt := range attempts {
				if errs[i] != nil {
					t.Fatalf("attempt %s: %v", attempt, errs[i])
				}
				checkInBudget(t, answers[i], attempt)
				if answers[i].code != http.StatusServiceUnavailable || answers[i].answer.Status != "unavailable" {
					t.Errorf("attempt %s answered %d %q, want 503 unavailable", attempt,
						answers[i].code, answers[i].answer.Status)
				}
			}
			deliveries := rig.sink.deliveries(t)
			for _, id := range ids {
				if deliveries[id] != 0 {
					t.Errorf("event %s: SNS delivered %d alerts after a 503, want 0", id, deliveries[id])
				}
				if _, err := rig.direct.Get(t.Context(), id); !tc.reaches && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("event %s: Get = %v with DynamoDB down, want ErrNotFound", id, err)
				}
			}

			// Cobalt retries after a 503; the retry must be accepted once
			// DynamoDB is back, whether or not the slow write landed.
			heal()
			for _, id := range ids {
				resp := mustSend(t, url, failureEvent(t, id, 0), "2")
				if resp.code != http.StatusOK {
					t.Errorf("retry of %s answered %d %q, want 200", id, resp.code, resp.answer.Status)
				}
				getRecord(t, rig.direct, id)
			}
		})
	}
}

// TestLateRequestStillStored covers a request whose budget is already spent
// when it reaches the handler, with DynamoDB slowed down. Cobalt has given
// up on it and will not retry, so the handler still gives the write its
// minimum time, stores the event, and leaves the alert to the sweep.
func TestLateRequestStillStored(t *testing.T) {
	t.Parallel()
	rig := newAWSRig(t)
	const lease = time.Second
	h := newHandler(t, rig.store, rig.publisher, lease)
	rig.dynamo.addToxic(t, "latency", "downstream", toxiproxy.Attributes{"latency": 200})
	id := "evt-late-" + randomSuffix(t)
	body := failureEvent(t, id, 0)

	header := http.Header{}
	header.Set(signature.HeaderName, signature.Sign(body, testSecret))
	header.Set("webhook-attempt", "2")
	resp := h.Handle(t.Context(), &ingest.Request{
		Method:   http.MethodPost,
		Header:   header,
		Body:     body,
		Received: time.Now().Add(-5 * time.Second),
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("late request answered %d %s, want 200", resp.StatusCode, resp.Body)
	}
	if rec := getRecord(t, rig.direct, id); rec.Alert != store.AlertPending {
		t.Errorf("alert = %q, want pending for the sweep", rec.Alert)
	}
	if n := rig.sink.deliveries(t)[id]; n != 0 {
		t.Errorf("SNS delivered %d alerts with no budget left, want 0", n)
	}
	sweepUntilPublished(t, newSweeper(t, rig.store, rig.publisher, lease, 3), 1)
	if n := rig.sink.deliveries(t)[id]; n != 1 {
		t.Errorf("SNS delivered the alert %d times after the sweep, want 1", n)
	}
}
