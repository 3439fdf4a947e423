// Package metrics writes CloudWatch metrics in Embedded Metric Format: one
// JSON document per call on its own line of standard output, which the Lambda
// service turns into metrics without any API call.
package metrics

import (
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
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

// Record writes one EMF document holding every value: the metric values as
// top-level members, then the "_aws" metadata. When several values share a
// name, the first one counts. Metrics carry no dimensions, so one namespace
// per stack keeps stages apart. A NaN or infinite value, which JSON cannot
// carry, drops the whole document.
func (e *EMF) Record(values ...Value) {
	if len(values) == 0 {
		return
	}
	// The document is appended by hand because encoding/json, through a map
	// and reflection, took about 1.5 us per call, and every request calls it.
	firsts := make([]Value, 0, len(values))
	line := make([]byte, 0, 256)
	line = append(line, '{')
	for _, v := range values {
		if slices.ContainsFunc(firsts, func(f Value) bool { return f.Name == v.Name }) {
			continue
		}
		firsts = append(firsts, v)
		line = appendJSONString(line, v.Name)
		line = append(line, ':')
		var ok bool
		if line, ok = appendJSONNumber(line, v.Value); !ok {
			return
		}
		line = append(line, ',')
	}
	line = append(line, `"_aws":{"Timestamp":`...)
	line = strconv.AppendInt(line, e.now().UnixMilli(), 10)
	line = append(line, `,"CloudWatchMetrics":[{"Namespace":`...)
	line = appendJSONString(line, e.namespace)
	line = append(line, `,"Dimensions":[[]],"Metrics":[`...)
	for i, v := range firsts {
		if i > 0 {
			line = append(line, ',')
		}
		line = append(line, `{"Name":`...)
		line = appendJSONString(line, v.Name)
		line = append(line, `,"Unit":`...)
		line = appendJSONString(line, v.Unit)
		line = append(line, '}')
	}
	line = append(line, "]}]}}\n"...)

	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(line)
}

// appendJSONString appends s as a JSON string. Printable ASCII without
// quotes or backslashes is copied as it is, and that covers every metric
// name, unit and namespace the functions use. Other text goes through
// encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
	}
	if plain {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	quoted, _ := json.Marshal(s) // a string always marshals
	return append(dst, quoted...)
}

// appendJSONNumber appends f as a JSON number, or returns false for NaN and
// ±Inf. Integers below 2^53 in magnitude, such as counts and milliseconds,
// are written as integers, others as encoding/json writes them.
func appendJSONNumber(dst []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, false
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(dst, int64(f), 10), true
	}
	text, err := json.Marshal(f)
	if err != nil {
		return dst, false
	}
	return append(dst, text...), true
}
