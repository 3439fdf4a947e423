package faults_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

// backend is a receiver under test, with access to what it stored and
// published.
type backend struct {
	url string
	// store reads records without going through any fault.
	store      store.Store
	deliveries func(*testing.T) map[string]int
	// slowPublish slows or holds every publish until restore is called.
	slowPublish func(*testing.T) (restore func())
}

// backends are the two storage and alert paths: DynamoDB with SNS, and
// local mode's embedded store with its alert log.
var backends = []struct {
	name  string
	build func(*testing.T) *backend
}{
	{name: "DynamoDB", build: dynamoBackend},
	{name: "embedded", build: embeddedBackend},
}

func dynamoBackend(t *testing.T) *backend {
	rig := newAWSRig(t)
	return &backend{
		url:        serve(t, newHandler(t, rig.store, rig.publisher, 30*time.Second), rig.store),
		store:      rig.direct,
		deliveries: rig.sink.deliveries,
		slowPublish: func(t *testing.T) func() {
			name := rig.sns.addToxic(t, "latency", "downstream", toxiproxy.Attributes{"latency": 1000})
			var once sync.Once
			return func() { once.Do(func() { rig.sns.removeToxic(t, name) }) }
		},
	}
}

func embeddedBackend(t *testing.T) *backend {
	rig := newLocalRig(t)
	pub := &gatedPublisher{next: rig.alerts}
	return &backend{
		url:         serve(t, newHandler(t, rig.store, pub, 30*time.Second), rig.store),
		store:       rig.store,
		deliveries:  rig.deliveries,
		slowPublish: func(*testing.T) func() { return pub.hold() },
	}
}

// sendAll posts every body at once, each from its own goroutine, and
// returns the responses in the order of bodies.
func sendAll(t *testing.T, url string, bodies [][]byte, attempt string) []response {
	t.Helper()
	answers := make([]response, len(bodies))
	errs := make([]error, len(bodies))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Go(func() {
			<-start
			answers[i], errs[i] = send(url, body, attempt)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	return answers
}

func TestConcurrentDeliveriesStoreOnce(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			be := b.build(t)
			id := "evt-burst-" + randomSuffix(t)
			body := failureEvent(t, id, 0)
			const n = 100
			bodies := make([][]byte, n)
			for i := range bodies {
				bodies[i] = body
			}

			statuses := map[string]int{}
			for _, resp := range sendAll(t, be.url, bodies, "1") {
				if resp.code != http.StatusOK {
					t.Errorf("answer %d %q, want 200", resp.code, resp.answer.Status)
				}
				statuses[resp.answer.Status]++
			}
			if statuses["stored"] != 1 || statuses["duplicate"] != n-1 {
				t.Errorf("answers = %v, want 1 stored and %d duplicate", statuses, n-1)
			}
			if recs := scanRecords(t, be.store, store.ScanFilter{}); len(recs) != 1 {
				t.Errorf("store holds %d records, want 1", len(recs))
			}
			if got := be.deliveries(t)[id]; got != 1 {
				t.Errorf("alert delivered %d times, want 1", got)
			}
			if rec := getRecord(t, be.store, id); rec.Alert != store.AlertPublished {
				t.Errorf("alert = %q, want published", rec.Alert)
			}
		})
	}
}

func TestConcurrentConflictingBodies(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			be := b.build(t)
			id := "evt-conflict-" + randomSuffix(t)
			// Three bodies share the id, so two of them lose.
			const variants, copies = 3, 10
			var bodies [][]byte
			var variantOf []int
			for i := range variants * copies {
				bodies = append(bodies, failureEvent(t, id, i%variants))
				variantOf = append(variantOf, i%variants)
			}

			answers := sendAll(t, be.url, bodies, "1")
			stored := getRecord(t, be.store, id)
			winner := -1
			for v := range variants {
				if bytes.Equal(stored.Raw, failureEvent(t, id, v)) {
					winner = v
				}
			}
			if winner < 0 {
				t.Fatalf("stored body of %s is none of the bodies sent", id)
			}

			storedAnswers := 0
			conflictIDs := map[int]string{} // losing variant to its conflict id
			for i, resp := range answers {
				v := variantOf[i]
				if v == winner {
					if resp.code != http.StatusOK {
						t.Errorf("winning body answered %d %q, want 200", resp.code, resp.answer.Status)
					}
					if resp.answer.Status == "stored" {
						storedAnswers++
					}
					continue
				}
				if resp.code != http.StatusConflict || resp.answer.ConflictID == "" {
					t.Errorf("losing body answered %d %+v, want 409 with a conflict id", resp.code, resp.answer)
					continue
				}
				if prev, seen := conflictIDs[v]; seen && prev != resp.answer.ConflictID {
					t.Errorf("one losing body got conflict ids %s and %s", prev, resp.answer.ConflictID)
				}
				conflictIDs[v] = resp.answer.ConflictID
			}
			if storedAnswers != 1 {
				t.Errorf("%d answers said stored, want 1", storedAnswers)
			}

			conflicts := scanRecords(t, be.store, store.ScanFilter{Status: store.StatusConflict})
			if len(conflicts) != variants-1 {
				t.Errorf("store holds %d conflict records, want %d", len(conflicts), variants-1)
			}
			for v, conflictID := range conflictIDs {
				rec := getRecord(t, be.store, conflictID)
				if rec.ConflictOf != id {
					t.Errorf("conflict record %s is of %q, want %q", conflictID, rec.ConflictOf, id)
				}
				if !bytes.Equal(rec.Raw, failureEvent(t, id, v)) {
					t.Errorf("conflict record %s does not hold its losing body", conflictID)
				}
			}
			if got := be.deliveries(t)[id]; got != 1 {
				t.Errorf("alert delivered %d times, want 1", got)
			}
		})
	}
}

func TestDuplicateDuringSlowPublish(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			be := b.build(t)
			id := "evt-dup-" + randomSuffix(t)
			body := failureEvent(t, id, 0)
			restore := be.slowPublish(t)
			defer restore()

			type result struct {
				resp response
				err  error
			}
			first := make(chan result, 1)
			go func() {
				resp, err := send(be.url, body, "1")
				first <- result{resp, err}
			}()
			waitForRecord(t, be.store, id, 5*time.Second)

			dup := mustSend(t, be.url, body, "1")
			if dup.code != http.StatusOK || dup.answer.Status != "duplicate" {
				t.Errorf("duplicate answered %d %q, want 200 duplicate", dup.code, dup.answer.Status)
			}
			select {
			case <-first:
				t.Fatal("first delivery finished before the duplicate was answered, so its publish was not slow")
			default:
			}

			restore()
			res := <-first
			if res.err != nil {
				t.Fatalf("first delivery: %v", res.err)
			}
			if res.resp.code != http.StatusOK || res.resp.answer.Status != "stored" {
				t.Errorf("first delivery answered %d %q, want 200 stored", res.resp.code, res.resp.answer.Status)
			}
			if got := be.deliveries(t)[id]; got != 1 {
				t.Errorf("alert delivered %d times, want 1", got)
			}
			if rec := getRecord(t, be.store, id); rec.Alert != store.AlertPublished {
				t.Errorf("alert = %q, want published", rec.Alert)
			}
		})
	}
}
