// Package alert builds the SNS message for a failure or partial event:
// a subject and message attributes free of PHI, and a body with an e-mail
// text and a JSON document, PHI masked unless full detail is enabled.
package alert

import (
	"context"

	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

// TopicOther is the topic for failures of unknown categories.
const TopicOther = "other"

// Categories are the known event categories; each has a topic of its own.
var Categories = []string{
	"appointment", "patient", "task", "note", "document", "message", "telephone_encounter",
}

// Attribute is one SNS message attribute.
type Attribute struct {
	Name string
	// Type is "String" or "String.Array".
	Type   string
	Values []string
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

// Build returns the alert for env, or nil when its kind does not alert.
func Build(env *envelope.Envelope, opts Options) *Alert { return nil }

// Publisher delivers alerts.
type Publisher interface {
	// Publish delivers a and returns the message id the destination gave it.
	Publish(ctx context.Context, a *Alert) (messageID string, err error)
}
