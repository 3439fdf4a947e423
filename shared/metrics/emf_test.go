package metrics_test

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/metrics"
)

// emfDoc is an EMF document as CloudWatch reads it.
type emfDoc struct {
	values    map[string]any
	namespace string
	metrics   []map[string]any
}

// parseEMF decodes out, which must be exactly one line.
func parseEMF(t *testing.T, out []byte) emfDoc {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\n")) || bytes.Count(out, []byte("\n")) != 1 {
		t.Fatalf("output %q is not exactly one line", out)
	}
	var raw map[string]any
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("output %q is not a JSON object: %v", out, err)
	}
	meta, ok := raw["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("output %q has no _aws object", out)
	}
	delete(raw, "_aws")
	if _, ok := meta["Timestamp"].(float64); !ok {
		t.Errorf("Timestamp %v is not a number", meta["Timestamp"])
	}
	directive := meta["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if dims := directive["Dimensions"]; !reflect.DeepEqual(dims, []any{[]any{}}) {
		t.Errorf("Dimensions = %v, want [[]]", dims)
	}
	doc := emfDoc{values: raw, namespace: directive["Namespace"].(string)}
	for _, m := range directive["Metrics"].([]any) {
		doc.metrics = append(doc.metrics, m.(map[string]any))
	}
	return doc
}

func TestEMFRecord(t *testing.T) {
	tests := []struct {
		name        string
		namespace   string
		values      []metrics.Value
		wantValues  map[string]any
		wantMetrics []map[string]any
	}{
		{
			name:      "one count",
			namespace: "CobaltReceiver",
			values:    []metrics.Value{metrics.Count(metrics.EventsStored, 1)},
			wantValues: map[string]any{
				metrics.EventsStored: 1.0,
			},
			wantMetrics: []map[string]any{{"Name": metrics.EventsStored, "Unit": metrics.UnitCount}},
		},
		{
			name:      "repeated name keeps the first value and unit",
			namespace: "CobaltReceiver",
			values: []metrics.Value{
				{Name: metrics.EndToEndLag, Unit: metrics.UnitMilliseconds, Value: 12},
				metrics.Count(metrics.EventsStored, 1),
				{Name: metrics.EndToEndLag, Unit: metrics.UnitSeconds, Value: 99},
			},
			wantValues: map[string]any{metrics.EndToEndLag: 12.0, metrics.EventsStored: 1.0},
			wantMetrics: []map[string]any{
				{"Name": metrics.EndToEndLag, "Unit": metrics.UnitMilliseconds},
				{"Name": metrics.EventsStored, "Unit": metrics.UnitCount},
			},
		},
		{
			name:      "fractional, negative and large values",
			namespace: "CobaltReceiver",
			values: []metrics.Value{
				{Name: "Fraction", Unit: metrics.UnitSeconds, Value: 0.25},
				{Name: "Negative", Unit: metrics.UnitCount, Value: -3},
				{Name: "Large", Unit: metrics.UnitCount, Value: 1e21},
			},
			wantValues: map[string]any{"Fraction": 0.25, "Negative": -3.0, "Large": 1e21},
			wantMetrics: []map[string]any{
				{"Name": "Fraction", "Unit": metrics.UnitSeconds},
				{"Name": "Negative", "Unit": metrics.UnitCount},
				{"Name": "Large", "Unit": metrics.UnitCount},
			},
		},
		{
			name:        "namespace that needs escaping",
			namespace:   "Cobalt \"prod\"\\é\n",
			values:      []metrics.Value{metrics.Count(metrics.EventsStored, 2)},
			wantValues:  map[string]any{metrics.EventsStored: 2.0},
			wantMetrics: []map[string]any{{"Name": metrics.EventsStored, "Unit": metrics.UnitCount}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			metrics.NewEMF(&buf, tt.namespace).Record(tt.values...)
			doc := parseEMF(t, buf.Bytes())
			if doc.namespace != tt.namespace {
				t.Errorf("Namespace = %q, want %q", doc.namespace, tt.namespace)
			}
			if !reflect.DeepEqual(doc.values, tt.wantValues) {
				t.Errorf("values = %v, want %v", doc.values, tt.wantValues)
			}
			if !reflect.DeepEqual(doc.metrics, tt.wantMetrics) {
				t.Errorf("Metrics = %v, want %v", doc.metrics, tt.wantMetrics)
			}
		})
	}
}

func TestEMFDropsNonFiniteValues(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		var buf bytes.Buffer
		metrics.NewEMF(&buf, "ns").Record(metrics.Count(metrics.EventsStored, 1),
			metrics.Value{Name: "Bad", Unit: metrics.UnitCount, Value: v})
		if buf.Len() != 0 {
			t.Errorf("Record with %v wrote %q, want nothing", v, buf.String())
		}
	}
}

func TestEMFOneLinePerRecord(t *testing.T) {
	var buf bytes.Buffer
	emf := metrics.NewEMF(&buf, "ns")
	emf.Record(metrics.Count(metrics.EventsStored, 1))
	emf.Record(metrics.Count(metrics.EventsDuplicate, 1))
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("two Records wrote %d lines, want 2", len(lines))
	}
	for _, line := range lines {
		parseEMF(t, []byte(line+"\n"))
	}
}

func BenchmarkEMFRecord(b *testing.B) {
	var buf bytes.Buffer
	emf := metrics.NewEMF(&buf, "CobaltReceiver")
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		emf.Record(metrics.Count(metrics.EventsStored, 1))
	}
}
