package faults_test

import (
	"net/http"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

// snsFault breaks the proxy in front of SNS and returns what undoes it.
type snsFault func(t *testing.T, p *faultProxy) (heal func())

func snsDown(t *testing.T, p *faultProxy) func() {
	p.disable(t)
	return func() { p.enable(t) }
}

// snsHanging drops every request byte, so Publish waits for a response that
// never comes and no message reaches SNS.
func snsHanging(t *testing.T, p *faultProxy) func() {
	name := p.addToxic(t, "timeout", "upstream", toxiproxy.Attributes{"timeout": 0})
	return func() { p.removeToxic(t, name) }
}

func TestSNSFaultLeavesAlertPending(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		attempt string
		fault   snsFault
	}{
		{name: "down on first attempt", attempt: "1", fault: snsDown},
		{name: "down on retry", attempt: "2", fault: snsDown},
		{name: "hanging on first attempt", attempt: "1", fault: snsHanging},
		{name: "hanging on retry", attempt: "2", fault: snsHanging},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rig := newAWSRig(t)
			const lease = time.Second
			url := serve(t, newHandler(t, rig.store, rig.publisher, lease), rig.store)
			id := "evt-sns-" + randomSuffix(t)
			heal := tc.fault(t, rig.sns)

			resp := mustSend(t, url, failureEvent(t, id, 0), tc.attempt)
			checkInBudget(t, resp, tc.attempt)
			if resp.code != http.StatusOK || resp.answer.Status != "stored" {
				t.Fatalf("answer = %d %q, want 200 stored", resp.code, resp.answer.Status)
			}
			if recs := scanRecords(t, rig.direct, store.ScanFilter{}); len(recs) != 1 {
				t.Errorf("table holds %d records, want 1", len(recs))
			}
			rec := getRecord(t, rig.direct, id)
			if rec.Alert != store.AlertPending {
				t.Errorf("alert = %q, want pending", rec.Alert)
			}
			if rec.AlertLastError == "" {
				t.Error("alert has no last error recorded")
			}
			if n := rig.sink.deliveries(t)[id]; n != 0 {
				t.Fatalf("SNS delivered %d alerts while it was broken, want 0", n)
			}

			heal()
			published := sweepUntilPublished(t, newSweeper(t, rig.store, rig.publisher, lease, 3), 1)
			if published != 1 {
				t.Errorf("sweep published %d alerts, want 1", published)
			}
			if n := rig.sink.deliveries(t)[id]; n != 1 {
				t.Errorf("SNS delivered the alert %d times, want 1", n)
			}
			rec = getRecord(t, rig.direct, id)
			if rec.Alert != store.AlertPublished {
				t.Errorf("alert = %q after the sweep, want published", rec.Alert)
			}
			if rec.AlertMessageID == "" {
				t.Error("published alert has no SNS message id")
			}
		})
	}
}

// TestSlowSNSDeliversAtLeastOnce covers an SNS that accepts the message but
// responds after the budget: the handler cannot know the publish succeeded,
// so the sweep publishes again and subscribers see the event id twice.
func TestSlowSNSDeliversAtLeastOnce(t *testing.T) {
	t.Parallel()
	rig := newAWSRig(t)
	const lease = time.Second
	url := serve(t, newHandler(t, rig.store, rig.publisher, lease), rig.store)
	id := "evt-slow-sns-" + randomSuffix(t)
	toxic := rig.sns.addToxic(t, "latency", "downstream", toxiproxy.Attributes{"latency": 2500})

	resp := mustSend(t, url, failureEvent(t, id, 0), "2")
	checkInBudget(t, resp, "2")
	if resp.code != http.StatusOK || resp.answer.Status != "stored" {
		t.Fatalf("answer = %d %q, want 200 stored", resp.code, resp.answer.Status)
	}
	rec := getRecord(t, rig.direct, id)
	if rec.Alert != store.AlertPending {
		t.Errorf("alert = %q, want pending", rec.Alert)
	}
	if rec.AlertLastError == "" {
		t.Error("alert has no last error recorded")
	}

	rig.sns.removeToxic(t, toxic)
	sweepUntilPublished(t, newSweeper(t, rig.store, rig.publisher, lease, 3), 1)
	n := rig.sink.deliveries(t)[id]
	t.Logf("SNS delivered the alert %d times", n)
	if n < 1 {
		t.Errorf("SNS delivered the alert %d times, want at least 1", n)
	}
	if rec := getRecord(t, rig.direct, id); rec.Alert != store.AlertPublished {
		t.Errorf("alert = %q after the sweep, want published", rec.Alert)
	}
}
