// Package sweep publishes alerts left pending by an SNS error, a timeout or
// a crash. Each run lists pending alerts whose lease has expired, then claims,
// publishes and marks each one. The claim is a conditional update that renews
// the lease, so two sweepers, or a sweeper and a slow first delivery, never
// publish one alert at once. After MaxAttempts claims an alert is marked
// failed, logged and counted, and waits for an operator's redrive.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/store"
)

// MaxBackoff caps the wait between two attempts at one alert.
const MaxBackoff = 15 * time.Minute

// outcomeWriteTime bounds the store write that records a publish's outcome.
// That write runs even when the run's context ended during the publish, so
// a published alert is still marked and a failure still moves its due time.
// It is shorter than the margin the sweep function keeps before its timeout.
const outcomeWriteTime = time.Second

// Sweeper publishes due pending alerts. All fields but Metrics are required.
type Sweeper struct {
	Store     store.Store
	Publisher alert.Publisher
	Alerts    alert.Options
	// Lease is the wait after the first failed attempt; each further
	// attempt doubles it, up to MaxBackoff.
	Lease       time.Duration
	MaxAttempts int
	// Grace is how long past its lease an alert waits before the sweep
	// takes it, so a first delivery that is still marking its alert
	// published is not raced.
	Grace time.Duration
	// Batch is the most alerts one run handles.
	Batch   int
	Logger  *slog.Logger
	Metrics metrics.Recorder
	Now     func() time.Time
}

// Result counts what one run did.
type Result struct {
	Due       int
	Published int
	Retrying  int
	Failed    int
	Skipped   int // claimed elsewhere first
	// OldestAge is the age of the oldest alert this run claimed, counted
	// from when its event was received.
	OldestAge time.Duration
}

// Run handles the alerts due now, one at a time, until ctx ends.
func (s *Sweeper) Run(ctx context.Context) (Result, error) {
	var res Result
	ids, err := s.Store.DueAlerts(ctx, s.Now().Add(-s.Grace), s.Batch)
	if err != nil {
		return res, fmt.Errorf("list due alerts: %w", err)
	}
	res.Due = len(ids)
	for _, id := range ids {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		s.handle(ctx, id, &res)
	}
	s.record(res)
	if res.Due > 0 {
		s.Logger.InfoContext(ctx, "sweep finished", "due", res.Due, "published", res.Published,
			"retrying", res.Retrying, "failed", res.Failed, "skipped", res.Skipped)
	}
	return res, nil
}

// Backoff returns how long to wait after the given attempt before the next.
func (s *Sweeper) Backoff(attempt int) time.Duration {
	wait := s.Lease
	for i := 1; i < attempt && wait < MaxBackoff; i++ {
		wait *= 2
	}
	return min(wait, MaxBackoff)
}

func (s *Sweeper) handle(ctx context.Context, id string, res *Result) {
	rec, err := s.Store.ClaimAlert(ctx, id, s.Now(), s.Lease)
	if errors.Is(err, store.ErrNotClaimed) {
		res.Skipped++
		return
	}
	if err != nil {
		s.Logger.ErrorContext(ctx, "alert claim failed", "error", err, "eventId", id)
		res.Retrying++
		return
	}
	res.OldestAge = max(res.OldestAge, s.Now().Sub(rec.ReceivedAt))
	if rec.AlertAttempts > s.MaxAttempts {
		s.fail(ctx, rec, fmt.Sprintf("gave up after %d attempts: %s", s.MaxAttempts, rec.AlertLastError))
		res.Failed++
		return
	}

	msg, err := s.rebuild(rec)
	if err != nil {
		s.fail(ctx, rec, err.Error())
		res.Failed++
		return
	}
	// The publish must end well inside the claim's lease, or another
	// sweeper could claim the alert and publish it at the same time.
	pubCtx, cancelPub := context.WithTimeout(ctx, s.Lease/2)
	messageID, err := s.Publisher.Publish(pubCtx, msg)
	cancelPub()
	writeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeWriteTime)
	defer cancel()
	if err != nil {
		s.retryLater(writeCtx, rec, err)
		res.Retrying++
		return
	}
	s.count(metrics.AlertsPublished)
	if err := s.Store.MarkPublished(writeCtx, rec.ID, messageID, s.Now()); err != nil {
		s.Logger.ErrorContext(ctx, "alert published but not marked", "error", err, "eventId", rec.ID,
			"messageId", messageID)
	}
	s.Logger.InfoContext(ctx, "pending alert published", "eventId", rec.ID, "attempt", rec.AlertAttempts,
		"messageId", messageID)
	res.Published++
}

// rebuild parses the stored raw body again and builds its alert.
func (s *Sweeper) rebuild(rec *store.Record) (*alert.Alert, error) {
	env, err := envelope.Parse(rec.Raw)
	if err != nil {
		return nil, fmt.Errorf("stored body of %s no longer parses: %w", rec.ID, err)
	}
	msg := alert.Build(env, s.Alerts)
	if msg == nil {
		return nil, fmt.Errorf("event %s of type %s does not alert", rec.ID, rec.Type)
	}
	return msg, nil
}

func (s *Sweeper) retryLater(ctx context.Context, rec *store.Record, cause error) {
	s.count(metrics.AlertPublishFailed)
	retryAt := s.Now().Add(s.Backoff(rec.AlertAttempts))
	s.Logger.WarnContext(ctx, "pending alert publish failed", "error", cause, "eventId", rec.ID,
		"attempt", rec.AlertAttempts, "retryAt", retryAt)
	if err := s.Store.RecordAlertError(ctx, rec.ID, cause.Error(), retryAt); err != nil {
		s.Logger.ErrorContext(ctx, "alert error not recorded", "error", err, "eventId", rec.ID)
	}
}

func (s *Sweeper) fail(ctx context.Context, rec *store.Record, reason string) {
	s.count(metrics.AlertsFailed)
	s.Logger.ErrorContext(ctx, "alert failed: redrive needed", "eventId", rec.ID, "eventType", rec.Type,
		"attempts", rec.AlertAttempts, "reason", reason)
	if err := s.Store.FailAlert(ctx, rec.ID, reason); err != nil {
		s.Logger.ErrorContext(ctx, "alert failure not recorded", "error", err, "eventId", rec.ID)
	}
}

func (s *Sweeper) count(name string) {
	if s.Metrics != nil {
		s.Metrics.Record(metrics.Count(name, 1))
	}
}

func (s *Sweeper) record(res Result) {
	if s.Metrics == nil {
		return
	}
	// NOTE: OldestPendingAlertAgeSeconds covers only the alerts due in this
	// run. An alert waiting out a backoff is counted once it is due again,
	// at most MaxBackoff later.
	s.Metrics.Record(
		metrics.Count(metrics.AlertsPending, res.Retrying),
		metrics.Value{Name: metrics.OldestPendingAlert, Unit: metrics.UnitSeconds, Value: res.OldestAge.Seconds()},
	)
}
