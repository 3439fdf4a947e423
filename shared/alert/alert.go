// Package alert builds the SNS message for a failure or partial event:
// a subject and message attributes free of PHI, and a body with an e-mail
// text and a JSON document, PHI masked unless full detail is enabled.
//
// # Masking
//
// By default the body masks PHI as "***". Build first collects the PHI
// values in data: the values of keys that name MRNs, member ids, SSNs,
// names, dates of birth, e-mail addresses, phone numbers or addresses, at
// any depth. Keys match by suffix, so patient_mrn and existing_mrn count.
// The before and after values of a change record that names such a field
// count too.
//
// In free text (reason codes and descriptions, failure_reason, error,
// reason, refill_failure_reason, folder_name, provider_name and
// refill_medication_name) Build masks:
//   - every occurrence of a collected value, whatever its case or
//     separators, and also each word of a name and each numeric part of an
//     MRN on its own;
//   - e-mail addresses and phone numbers;
//   - dates, unless a time of day follows;
//   - the token after an "MRN" label and the words after a "Patient:" label;
//   - capitalized words right after "patient" or right before an MRN, "DOB"
//     or "born", which is how descriptions name patients that data lacks.
//
// MRN fields among the identifiers are masked whole, not partly. The Cobalt
// ids next to them (appointment_id, patient_id, task_id and the like) are
// what a person uses to find the record, and part of an MRN is still part of
// an identifier.
//
// Subjects and attributes hold only the event type, category, ids, clinic
// reference and reason codes, which are not PHI. The codes are masked like
// free text all the same, even with Options.IncludePHI.
package alert

import (
	"context"
	"strings"

	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

// TopicOther is the topic for failures of unknown categories.
const TopicOther = "other"

// Categories are the known event categories; each has a topic of its own.
var Categories = []string{
	"appointment", "patient", "task", "note", "document", "message", "telephone_encounter",
}

// Attribute types.
const (
	TypeString      = "String"
	TypeStringArray = "String.Array"
)

// Attribute is one SNS message attribute.
type Attribute struct {
	Name string
	// Type is "String" or "String.Array".
	Type   string
	Values []string
}

// Value returns the attribute's value as SNS takes it: the single value of
// a String, or the JSON array text of a String.Array.
func (at Attribute) Value() string {
	if at.Type == TypeStringArray {
		return string(appendJSONStrings(nil, at.Values))
	}
	if len(at.Values) == 0 {
		return ""
	}
	return at.Values[0]
}

// Alert is one message for the topic of an event's category.
type Alert struct {
	Topic      string // a category or TopicOther
	EventID    string
	EventType  string
	Subject    string
	Attributes []Attribute
	// Document is the compact JSON document for SQS, Lambda and HTTPS
	// subscribers.
	Document []byte
	// Text is the plain-text version for e-mail subscribers.
	Text string
}

// Options control what an alert reveals.
type Options struct {
	// IncludePHI puts PHI values from data in the body unmasked.
	IncludePHI bool
}

// Publisher delivers alerts.
type Publisher interface {
	// Publish delivers a and returns the message id the destination gave it.
	Publish(ctx context.Context, a *Alert) (messageID string, err error)
}

// Raised reports whether events of kind raise an alert: failure and partial
// events do.
func Raised(kind envelope.Kind) bool {
	return kind == envelope.KindFailure || kind == envelope.KindPartial
}

// Build returns the alert for env, or nil when env is nil or its kind is
// neither failure nor partial. The alert's Size stays within SizeLimit
// whatever the event's size: Build lists fewer reasons and cuts long values
// until it fits, and then sets "truncated" in the document.
func Build(env *envelope.Envelope, opts Options) *Alert {
	if env == nil || !Raised(env.Kind) {
		return nil
	}
	topic := TopicFor(env.Category)
	c := prepare(env, topic, opts)
	eventType, _ := cleanLine(env.Type, maxNameBytes)
	a := &Alert{
		Topic:      topic,
		EventID:    env.ID,
		EventType:  eventType,
		Subject:    subject(c),
		Attributes: attributes(c),
	}
	for lim := defaultLimits; ; lim = lim.halve() {
		r := cutTo(c, lim)
		a.Document = r.document(topic)
		a.Text = r.text()
		if a.Size() <= SizeLimit || lim.zero() {
			return a
		}
	}
}

// TopicFor returns the topic of a category: the category itself when it is
// one of Categories, TopicOther otherwise.
func TopicFor(category string) string {
	for _, c := range Categories {
		if c == category {
			return c
		}
	}
	return TopicOther
}

// Topics returns every topic an alert can go to: Categories and TopicOther.
func Topics() []string {
	return append(append([]string(nil), Categories...), TopicOther)
}

// maxSubjectBytes is the longest subject Build makes: SNS rejects subjects
// of 100 characters or more.
const maxSubjectBytes = 99

// subject returns "Cobalt <type>: <clinic>: <first code>", in printable
// ASCII, leaving out a part that is empty and cutting the parts so that the
// whole stays within maxSubjectBytes.
func subject(c *content) string {
	const prefix = "Cobalt "
	eventType := asciiPart(c.eventType, maxSubjectBytes)
	if eventType == "" {
		eventType = "event"
	}
	var rest []string
	if clinic := asciiPart(c.clinic, maxSubjectBytes); clinic != "" {
		rest = append(rest, clinic)
	}
	if len(c.codes) > 0 {
		if code := asciiPart(c.codes[0], maxSubjectBytes); code != "" {
			rest = append(rest, code)
		}
	}
	s := prefix + strings.Join(append([]string{eventType}, rest...), ": ")
	if len(s) <= maxSubjectBytes {
		return s
	}
	// Too long: give the clinic reference and the code up to 24 bytes each
	// and the event type what is left (at least 40 bytes).
	room := maxSubjectBytes - len(prefix)
	for i := range rest {
		rest[i] = cutASCII(rest[i], 24)
		room -= len(rest[i]) + len(": ")
	}
	eventType = cutASCII(eventType, room)
	return prefix + strings.Join(append([]string{eventType}, rest...), ": ")
}

// attributes returns the message attributes, leaving out any whose value
// would be empty, since SNS rejects empty String values.
func attributes(c *content) []Attribute {
	var attrs []Attribute
	add := func(name, value string) {
		if strings.TrimSpace(value) != "" {
			attrs = append(attrs, Attribute{Name: name, Type: TypeString, Values: []string{value}})
		}
	}
	add("event_type", c.eventType)
	add("category", c.category)
	add("event_id", c.id)
	add("access_token_reference_id", c.clinic)
	add("job_id", c.jobID)
	if len(c.codes) > 0 {
		attrs = append(attrs, Attribute{
			Name:   "error_codes",
			Type:   TypeStringArray,
			Values: append([]string(nil), c.codes...),
		})
	}
	if c.kind == envelope.KindPartial {
		add("partial", "true")
	}
	return attrs
}
