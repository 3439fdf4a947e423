// Package redrive re-publishes the alerts of events an operator chooses. It
// selects stored events by id, job id, type, category and received time, and
// sets their failed and published alerts back to pending, due at once, so
// the pending-alert sweep publishes them again. A pending alert is left as
// it is, because the sweep publishes it anyway.
//
// The infra/redrive command uses it against DynamoDB, and the local server's
// POST /admin/redrive route uses it against the embedded store.
package redrive

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

// ErrInvalidSelector is returned by Validate and Select for a Selector that
// selects nothing or holds an invalid value.
var ErrInvalidSelector = errors.New("invalid selector")

// Selector chooses events. The fields that are set combine with AND, and at
// least one must be set. The JSON names are those of POST /admin/redrive.
type Selector struct {
	// IDs are event ids. Each one gets an Action, including an id that no
	// record has and an event that has no alert.
	IDs []string `json:"ids,omitempty"`
	// JobIDs select the events of these Cobalt jobs.
	JobIDs []string `json:"job_ids,omitempty"`
	// Type is an event type that alerts: a failure or partial type such as
	// "appointment.failed".
	Type string `json:"type,omitempty"`
	// Category is one of alert.Topics: a category, or "other" for event
	// types outside the known categories.
	Category string `json:"category,omitempty"`
	// From and To bound when an event was received: From inclusive, To
	// exclusive. A zero time leaves that side open.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// Validate returns an error wrapping ErrInvalidSelector that names every
// problem of s.
func (s Selector) Validate() error {
	var problems []string
	if s.empty() {
		problems = append(problems, "no selector set: give at least one event id, job id, type, category or time bound")
	}
	for _, id := range s.IDs {
		if problem := checkID(id); problem != "" {
			problems = append(problems, problem)
		}
	}
	for _, job := range s.JobIDs {
		if strings.TrimSpace(job) == "" {
			problems = append(problems, "job id is empty")
		}
	}
	if s.Type != "" {
		if _, kind := envelope.Classify(s.Type); !alert.Raised(kind) {
			problems = append(problems, fmt.Sprintf("type %q does not alert: only failure and partial types do", s.Type))
		}
	}
	if s.Category != "" && !slices.Contains(alert.Topics(), s.Category) {
		problems = append(problems, fmt.Sprintf("unknown category %q: use one of %s",
			s.Category, strings.Join(alert.Topics(), ", ")))
	}
	if !s.From.IsZero() && !s.To.IsZero() && !s.From.Before(s.To) {
		problems = append(problems, fmt.Sprintf("from %s is not before to %s",
			s.From.Format(time.RFC3339Nano), s.To.Format(time.RFC3339Nano)))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidSelector, strings.Join(problems, "; "))
}

func (s Selector) empty() bool {
	return len(s.IDs) == 0 && len(s.JobIDs) == 0 && s.Type == "" && s.Category == "" &&
		s.From.IsZero() && s.To.IsZero()
}

func checkID(id string) string {
	switch {
	case id == "":
		return "event id is empty"
	case len(id) > store.MaxIDBytes:
		return fmt.Sprintf("event id of %d bytes is longer than %d bytes", len(id), store.MaxIDBytes)
	case !utf8.ValidString(id):
		return fmt.Sprintf("event id %q is not valid UTF-8", id)
	}
	return ""
}

// matches reports whether rec satisfies every selector of s except IDs.
// Times are compared in milliseconds, as the stores keep them.
func (s Selector) matches(rec *store.Record) bool {
	switch {
	case len(s.JobIDs) > 0 && !slices.Contains(s.JobIDs, rec.JobID):
		return false
	case s.Type != "" && rec.Type != s.Type:
		return false
	case s.Category != "" && rec.Category != s.Category:
		return false
	case !s.From.IsZero() && rec.ReceivedAt.UnixMilli() < s.From.UnixMilli():
		return false
	case !s.To.IsZero() && rec.ReceivedAt.UnixMilli() >= s.To.UnixMilli():
		return false
	}
	return true
}
