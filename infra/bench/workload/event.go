// Package workload generates the Cobalt events and drives the request loops
// of the receiver's benchmarks, and summarizes their latencies, so that every
// benchmark measures the same events the same way.
package workload

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind selects the event type a Template builds.
type Kind int

// Event kinds.
const (
	// Success is a patient.insurance.added event whose audit_trail grows
	// with the size. It raises no alert.
	Success Kind = iota
	// Failure is an appointment.failed event whose reasons (and the
	// failure_reason that joins their descriptions) grow with the size. It
	// raises an alert.
	Failure
)

// String returns the kind's name as benchmarks print it.
func (k Kind) String() string {
	if k == Failure {
		return "failure"
	}
	return "success"
}

// Sizes of the benchmark events, in bytes of compact JSON.
const (
	SizeTypical = 1 << 10   // about 1 KB, a typical event
	SizeLarge   = 100 << 10 // about 100 KB, an event with a long list
)

// IDBytes is the length of the ids ID returns. Templates are sized for it,
// so every body of one template has the same length.
const IDBytes = 36

// ID returns an event id of IDBytes bytes made of prefix (at most 15
// bytes) and the number n.
func ID(prefix string, n int64) string {
	if len(prefix) > 15 {
		prefix = prefix[:15]
	}
	digits := strconv.FormatInt(n, 10)
	pad := IDBytes - len(prefix) - 1 - len(digits)
	if pad < 0 {
		pad = 0
	}
	return prefix + "-" + strings.Repeat("0", pad) + digits
}

// Template is an event body with a slot for its id. Bodies are compact JSON
// as Node.js's JSON.stringify writes it, so the raw-body signature check
// matches them.
type Template struct {
	prefix, suffix string
}

// Body returns the event with id, which must need no JSON escaping.
func (t Template) Body(id string) []byte {
	b := make([]byte, 0, len(t.prefix)+len(id)+len(t.suffix))
	b = append(b, t.prefix...)
	b = append(b, id...)
	return append(b, t.suffix...)
}

// Len returns the length of a body whose id has IDBytes bytes.
func (t Template) Len() int { return len(t.prefix) + IDBytes + len(t.suffix) }

// NewTemplate returns a template of kind whose bodies are at least size
// bytes long, and at most about 300 bytes longer.
func NewTemplate(kind Kind, size int) Template {
	build := func(entries int) Template {
		t := Template{prefix: `{"id":"`}
		if kind == Failure {
			t.suffix = failureSuffix(entries)
		} else {
			t.suffix = successSuffix(entries)
		}
		return t
	}
	// Double the entries until the body is long enough, then search for
	// the fewest entries that still reach size.
	hi := 1
	for build(hi).Len() < size {
		hi *= 2
	}
	lo := hi / 2
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if build(mid).Len() >= size {
			hi = mid
		} else {
			lo = mid
		}
	}
	return build(hi)
}

// envelope returns the members after the id, up to the data object's
// opening brace.
func envelope(eventType, jobID string) string {
	return `","access_token_reference_id":"clinic_bench_01","object":"event",` +
		`"created":"2026-03-03T09:15:42.000Z","type":"` + eventType + `","job_id":"` + jobID + `","data":{`
}

func successSuffix(entries int) string {
	var b strings.Builder
	b.WriteString(envelope("patient.insurance.added", "300106"))
	b.WriteString(`"patient_insurance_id":"8f8750ae-9840-4f09-ac55-98f727fedd04",` +
		`"patient_mrn":"MRN-TEST-0006","member_id":"MEMBER-TEST-0001","group_id":"GROUP-TEST-01",` +
		`"plan_begin_date":"2026-01-01","copayment":25,"audit_trail":[`)
	for i := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		if i%3 == 2 {
			fmt.Fprintf(&b, `{"field":"copayment","before":%d,"after":%d,"attempted":%d.5,`+
				`"note":"The EHR accepts whole dollars only, so the copayment was rounded"}`, i, i+1, i)
			continue
		}
		fmt.Fprintf(&b, `{"field":"member_id_%d","before":null,"after":"MEMBER-TEST-%04d"}`, i, i)
	}
	b.WriteString(`]}}`)
	return b.String()
}

// failureReasons are the reason codes and descriptions a Failure event
// cycles through. The descriptions embed an MRN, a name and a date, which
// alerts must mask.
var failureReasons = [][2]string{
	{"TIME_SLOT_UNAVAILABLE", "Requested slot 2026-04-02 09:30 for Testy McTestface (MRN-TEST-0003) is already booked"},
	{"INVALID_VISIT_TYPE", "Visit type 'Annual Physical Deluxe' does not exist in the EHR"},
	{"PROVIDER_UNAVAILABLE", "Provider Dr. Jane Example has no availability on 2026-04-02"},
	{"PATIENT_NOT_FOUND", "Patient with MRN MRN-TEST-0003 was not found"},
}

func failureSuffix(entries int) string {
	var reasons, joined strings.Builder
	for i := range entries {
		r := failureReasons[i%len(failureReasons)]
		if i > 0 {
			reasons.WriteByte(',')
			joined.WriteString("; ")
		}
		fmt.Fprintf(&reasons, `{"code":%q,"description":%q}`, r[0], r[1])
		joined.WriteString(r[1])
	}
	return envelope("appointment.failed", "300102") +
		`"appointment_id":"6b10dd02-8573-47a9-b17f-f3903ee6de11","mrn":"MRN-TEST-0003",` +
		`"failure_reason":"` + joined.String() + `","reasons":[` + reasons.String() + `]}}`
}
