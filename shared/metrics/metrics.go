// Package metrics writes CloudWatch metrics in Embedded Metric Format: one
// JSON document per call on its own line of standard output, which the Lambda
// service turns into metrics without any API call.
package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Metric names. The template's alarms refer to these names.
const (
	EventsStored        = "EventsStored"
	EventsDuplicate     = "EventsDuplicate"
	EventsConflict      = "EventsConflict"
	EventsQuarantined   = "EventsQuarantined"
	EventsUnauthorized  = "EventsUnauthorized"
	EventsRejected      = "EventsRejected" // 405 and 413 answers
	StoreUnavailable    = "StoreUnavailable"
	AlertsPublished     = "AlertsPublished"
	AlertPublishFailed  = "AlertPublishFailures"
	AlertsFailed        = "AlertsFailed"
	AlertsPending       = "AlertsPending"
	OldestPendingAlert  = "OldestPendingAlertAgeSeconds"
	EndToEndLag         = "EndToEndLagMilliseconds"
	SchemaMismatches    = "SchemaMismatches"
	SecretRefreshFailed = "SecretRefreshFailures"
)

// Units accepted by CloudWatch.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
	UnitSeconds      = "Seconds"
)

// Names lists every metric the functions emit.
func Names() []string {
	return []string{
		EventsStored, EventsDuplicate, EventsConflict, EventsQuarantined,
		EventsUnauthorized, EventsRejected, StoreUnavailable, AlertsPublished,
		AlertPublishFailed, AlertsFailed, AlertsPending, OldestPendingAlert,
		EndToEndLag, SchemaMismatches, SecretRefreshFailed,
	}
}

// Value is one metric observation.
type Value struct {
	Name  string
	Unit  string
	Value float64
}

// Count returns a Count observation of n.
func Count(name string, n int) Value { return Value{Name: name, Unit: UnitCount, Value: float64(n)} }

// Recorder emits metric observations.
type Recorder interface {
	Record(values ...Value)
}

// Discard is a Recorder that drops every observation.
type Discard struct{}

// Record drops values.
func (Discard) Record(...Value) {}

// EMF writes observations as Embedded Metric Format lines to a writer.
type EMF struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	now       func() time.Time
}

// NewEMF returns an EMF recorder writing to w under namespace.
func NewEMF(w io.Writer, namespace string) *EMF {
	return &EMF{w: w, namespace: namespace, now: time.Now}
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Record writes one EMF document holding every value. Metrics carry no
// dimensions, so one namespace per stack keeps stages apart.
func (e *EMF) Record(values ...Value) {
	if len(values) == 0 {
		return
	}
	doc := map[string]any{}
	directive := emfDirective{Namespace: e.namespace, Dimensions: [][]string{{}}}
	for _, v := range values {
		if _, seen := doc[v.Name]; seen {
			continue
		}
		directive.Metrics = append(directive.Metrics, emfMetric{Name: v.Name, Unit: v.Unit})
		doc[v.Name] = v.Value
	}
	doc["_aws"] = emfMeta{Timestamp: e.now().UnixMilli(), CloudWatchMetrics: []emfDirective{directive}}
	line, err := json.Marshal(doc)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(append(line, '\n'))
}
