package redrive

import (
	"context"
	"errors"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

// Outcome is the result of Requeue, or in a dry run its planned result, for one event.
type Outcome string

// Outcomes of Requeue.
const (
	// OutcomeRequeued: the failed or published alert is pending again.
	OutcomeRequeued Outcome = "requeued"
	// OutcomeWouldRequeue: a dry run found a failed or published alert.
	OutcomeWouldRequeue Outcome = "would_requeue"
	// OutcomeAlreadyPending: the alert is pending, so the sweep publishes
	// it without a redrive.
	OutcomeAlreadyPending Outcome = "already_pending"
	// OutcomeNoAlert: the event has no alert, because its type is neither
	// a failure nor a partial type.
	OutcomeNoAlert Outcome = "no_alert"
	// OutcomeNotEvent: the id is a quarantine or conflict record, which
	// never has an alert.
	OutcomeNotEvent Outcome = "not_event"
	// OutcomeNotFound: no live record has the id.
	OutcomeNotFound Outcome = "not_found"
)

// Description returns a short sentence for people reading the output.
func (o Outcome) Description() string {
	switch o {
	case OutcomeRequeued:
		return "requeued: pending, due now"
	case OutcomeWouldRequeue:
		return "would be requeued (dry run)"
	case OutcomeAlreadyPending:
		return "skipped: already pending, the sweep publishes it"
	case OutcomeNoAlert:
		return "skipped: event has no alert (its type is not a failure or partial type)"
	case OutcomeNotEvent:
		return "skipped: quarantine or conflict record, which has no alert"
	case OutcomeNotFound:
		return "not found"
	}
	return string(o)
}

// Action is the outcome for one event. It carries no body and no PHI.
type Action struct {
	ID   string `json:"id"`
	Type string `json:"type,omitempty"`
	// AlertBefore is the alert state Select read; empty when not found.
	AlertBefore store.AlertState `json:"alert_before,omitempty"`
	Outcome     Outcome          `json:"outcome"`
}

// Requeue sets the failed and published alerts of sel's records back to
// pending, due at due, with RequeueAlert, and returns one Action per record
// and then one per id of sel.NotFound. With dryRun it changes nothing and
// reports OutcomeWouldRequeue instead of OutcomeRequeued.
//
// The sweep takes an alert once due is at least its grace period in the
// past, so a caller that runs the sweep at once passes now minus that
// grace.
//
// It stops at the first failed write and returns the actions so far with
// the store's error, which names the event id. A second run is safe: the
// alerts requeued by the first are then pending and skipped.
func Requeue(ctx context.Context, st store.Store, sel *Selection, due time.Time, dryRun bool) ([]Action, error) {
	actions := make([]Action, 0, len(sel.Records)+len(sel.NotFound))
	for _, rec := range sel.Records {
		if err := ctx.Err(); err != nil {
			return actions, err
		}
		action := Action{ID: rec.ID, Type: rec.Type, AlertBefore: alertState(rec), Outcome: plan(rec)}
		if action.Outcome == OutcomeWouldRequeue && !dryRun {
			outcome, err := requeue(ctx, st, rec.ID, due)
			if err != nil {
				return actions, err
			}
			action.Outcome = outcome
		}
		actions = append(actions, action)
	}
	for _, id := range sel.NotFound {
		actions = append(actions, Action{ID: id, Outcome: OutcomeNotFound})
	}
	return actions, nil
}

// plan returns what a dry run reports for rec. The kind recorded at
// ingestion decides whether the event alerts, because rec.Type keeps only
// the first 1024 bytes of a longer type and may have lost its suffix.
func plan(rec *store.Record) Outcome {
	kind := envelope.Kind(rec.Kind)
	if kind == "" {
		_, kind = envelope.Classify(rec.Type)
	}
	switch {
	case rec.Status != store.StatusStored:
		return OutcomeNotEvent
	case alertState(rec) == store.AlertNone || !alert.Raised(kind):
		return OutcomeNoAlert
	case rec.Alert == store.AlertPending:
		return OutcomeAlreadyPending
	}
	return OutcomeWouldRequeue
}

// requeue runs RequeueAlert and maps the errors that reflect a change since
// Select read the record to an outcome.
func requeue(ctx context.Context, st store.Store, id string, due time.Time) (Outcome, error) {
	err := st.RequeueAlert(ctx, id, due)
	switch {
	case err == nil:
		return OutcomeRequeued, nil
	case errors.Is(err, store.ErrNoAlert):
		return OutcomeNoAlert, nil
	case errors.Is(err, store.ErrNotFound):
		return OutcomeNotFound, nil
	}
	return "", err
}

func alertState(rec *store.Record) store.AlertState {
	if rec.Alert == "" {
		return store.AlertNone
	}
	return rec.Alert
}

// Summary counts the actions of each outcome.
type Summary struct {
	Total          int `json:"total"`
	Requeued       int `json:"requeued"`
	WouldRequeue   int `json:"would_requeue"`
	AlreadyPending int `json:"already_pending"`
	NoAlert        int `json:"no_alert"`
	NotEvent       int `json:"not_event"`
	NotFound       int `json:"not_found"`
}

// Summarize counts actions by outcome; Total counts them all.
func Summarize(actions []Action) Summary {
	s := Summary{Total: len(actions)}
	for _, a := range actions {
		switch a.Outcome {
		case OutcomeRequeued:
			s.Requeued++
		case OutcomeWouldRequeue:
			s.WouldRequeue++
		case OutcomeAlreadyPending:
			s.AlreadyPending++
		case OutcomeNoAlert:
			s.NoAlert++
		case OutcomeNotEvent:
			s.NotEvent++
		case OutcomeNotFound:
			s.NotFound++
		}
	}
	return s
}
