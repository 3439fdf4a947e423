package alert

import (
	"strconv"
	"strings"
)

// limits bound what the document and text of an alert show.
type limits struct {
	reasons     int // reasons listed
	codes       int // codes listed
	description int // bytes of each reason description
	freeText    int // bytes of failure_reason and of error
	fields      int // data fields listed
	fieldValue  int // bytes of each data field value
}

// defaultLimits fit a typical failure event whole. Build halves them until
// the alert fits SizeLimit.
var defaultLimits = limits{
	reasons:     100,
	codes:       maxAttributeCodes,
	description: 2048,
	freeText:    8192,
	fields:      64,
	fieldValue:  1024,
}

func (l limits) halve() limits {
	return limits{
		reasons:     l.reasons / 2,
		codes:       l.codes / 2,
		description: l.description / 2,
		freeText:    l.freeText / 2,
		fields:      l.fields / 2,
		fieldValue:  l.fieldValue / 2,
	}
}

func (l limits) zero() bool { return l == limits{} }

// rendered is an alert body at some limits.
type rendered struct {
	c         *content
	lim       limits
	truncated bool

	reasons []reason
	codes   []string
	fields  []field

	failureReason, errorText string
}

// cutTo applies lim to c, recording whether anything was left out.
func cutTo(c *content, lim limits) *rendered {
	r := &rendered{c: c, lim: lim, truncated: c.cut}
	r.reasons = c.reasons
	if len(r.reasons) > lim.reasons {
		r.reasons = r.reasons[:lim.reasons]
		r.truncated = true
	}
	r.reasons = append([]reason(nil), r.reasons...)
	for i := range r.reasons {
		r.reasons[i].description = r.cut(r.reasons[i].description, lim.description)
	}
	r.codes = c.codes
	if len(r.codes) > lim.codes {
		r.codes = r.codes[:lim.codes]
		r.truncated = true
	}
	r.fields = c.fields
	if len(r.fields) > lim.fields {
		r.fields = r.fields[:lim.fields]
		r.truncated = true
	}
	r.fields = append([]field(nil), r.fields...)
	for i := range r.fields {
		r.fields[i].value = r.cut(r.fields[i].value, lim.fieldValue)
	}
	r.failureReason = r.cut(c.failureReason, lim.freeText)
	r.errorText = r.cut(c.errorText, lim.freeText)
	return r
}

// cut cuts an already masked string. Cutting masked text can shorten a mask
// but never uncovers PHI.
func (r *rendered) cut(s string, n int) string {
	s, cut := cutBytes(s, n)
	r.truncated = r.truncated || cut
	return s
}

// document returns the compact JSON document.
func (r *rendered) document(topic string) []byte {
	c := r.c
	b := make([]byte, 0, 1024)
	b = append(b, `{"event_id":`...)
	b = appendJSONString(b, c.exactID)
	b = appendMember(b, "event_type", c.eventType)
	b = appendMember(b, "category", c.category)
	b = appendMember(b, "topic", topic)
	b = appendMember(b, "kind", string(c.kind))
	b = appendOptional(b, "created", c.created)
	b = appendOptional(b, "job_id", c.jobID)
	b = appendOptional(b, "access_token_reference_id", c.clinic)

	if len(r.codes) > 0 {
		b = append(b, `,"codes":`...)
		b = appendJSONStrings(b, r.codes)
	}
	if len(r.reasons) > 0 {
		b = append(b, `,"reasons":[`...)
		for i, reason := range r.reasons {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"code":`...)
			b = appendJSONString(b, reason.code)
			b = appendMember(b, "description", reason.description)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if c.reasonsTotal > len(r.reasons) {
		b = append(b, `,"reasons_total":`...)
		b = strconv.AppendInt(b, int64(c.reasonsTotal), 10)
	}
	b = appendOptional(b, "failure_reason", r.failureReason)
	b = appendOptional(b, "error", r.errorText)

	if len(r.fields) > 0 {
		b = append(b, `,"data":{`...)
		for i, f := range r.fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.key)
			b = append(b, ':')
			b = appendJSONString(b, f.value)
		}
		b = append(b, '}')
	}

	b = append(b, `,"phi_masked":`...)
	b = strconv.AppendBool(b, c.masked)
	if r.truncated {
		b = append(b, `,"truncated":true`...)
	}
	return append(b, '}')
}

func appendMember(b []byte, key, value string) []byte {
	b = append(b, ',')
	b = appendJSONString(b, key)
	b = append(b, ':')
	return appendJSONString(b, value)
}

func appendOptional(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	return appendMember(b, key, value)
}

// text returns the plain-text version for e-mail.
func (r *rendered) text() string {
	c := r.c
	var b strings.Builder
	b.WriteString("Cobalt event ")
	b.WriteString(c.eventType)
	b.WriteString(" (")
	b.WriteString(string(c.kind))
	b.WriteString(")\n\n")
	writeLine(&b, "Event id", c.id)
	writeLine(&b, "Category", c.category)
	writeLine(&b, "Clinic", c.clinic)
	writeLine(&b, "Job id", c.jobID)
	writeLine(&b, "Created", c.created)

	if len(r.reasons) > 0 {
		b.WriteString("\nReasons:\n")
		for _, reason := range r.reasons {
			b.WriteString("- ")
			if reason.code != "" {
				b.WriteString(reason.code)
				b.WriteString(": ")
			}
			b.WriteString(indent(reason.description))
			b.WriteString("\n")
		}
	}
	if c.reasonsTotal > len(r.reasons) {
		b.WriteString("(")
		b.WriteString(strconv.Itoa(len(r.reasons)))
		b.WriteString(" of ")
		b.WriteString(strconv.Itoa(c.reasonsTotal))
		b.WriteString(" reasons shown)\n")
	}
	if r.failureReason != "" || r.errorText != "" {
		b.WriteString("\n")
	}
	writeLine(&b, "Failure reason", r.failureReason)
	writeLine(&b, "Error", r.errorText)

	if len(r.fields) > 0 {
		b.WriteString("\nData:\n")
		for _, f := range r.fields {
			writeLine(&b, "  "+f.key, f.value)
		}
	}

	b.WriteString("\n")
	if c.masked {
		b.WriteString("PHI values are masked as " + Mask + ".\n")
	}
	if r.truncated {
		b.WriteString("Some values were cut to keep the message within SNS's size limit.\n")
	}
	return b.String()
}

func writeLine(b *strings.Builder, label, value string) {
	if value == "" {
		return
	}
	b.WriteString(label)
	b.WriteString(": ")
	b.WriteString(indent(value))
	b.WriteString("\n")
}

// indent indents the continuation lines of a multi-line value.
func indent(s string) string {
	return strings.ReplaceAll(s, "\n", "\n    ")
}
