package metrics_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/metrics"
)

func TestEMFDocument(t *testing.T) {
	var buf bytes.Buffer
	emf := metrics.NewEMF(&buf, "CobaltReceiver/test")
	emf.Record(metrics.Count(metrics.EventsStored, 1),
		metrics.Value{Name: metrics.EndToEndLag, Unit: metrics.UnitMilliseconds, Value: 42})

	var doc map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &doc); err != nil {
		t.Fatalf("output is not one JSON document: %v", err)
	}
	if doc[metrics.EventsStored] != 1.0 {
		t.Errorf("%s = %v, want 1", metrics.EventsStored, doc[metrics.EventsStored])
	}
	if doc[metrics.EndToEndLag] != 42.0 {
		t.Errorf("%s = %v, want 42", metrics.EndToEndLag, doc[metrics.EndToEndLag])
	}
	meta, ok := doc["_aws"].(map[string]any)
	if !ok {
		t.Fatal("_aws metadata missing")
	}
	directives := meta["CloudWatchMetrics"].([]any)
	directive := directives[0].(map[string]any)
	if directive["Namespace"] != "CobaltReceiver/test" {
		t.Errorf("Namespace = %v", directive["Namespace"])
	}
	if n := len(directive["Metrics"].([]any)); n != 2 {
		t.Errorf("directive lists %d metrics, want 2", n)
	}
}

func TestEMFSkipsEmptyRecord(t *testing.T) {
	var buf bytes.Buffer
	metrics.NewEMF(&buf, "ns").Record()
	if buf.Len() != 0 {
		t.Errorf("Record() wrote %q, want nothing", buf.String())
	}
}

func TestNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range metrics.Names() {
		if seen[name] {
			t.Errorf("duplicate metric name %s", name)
		}
		seen[name] = true
	}
}
