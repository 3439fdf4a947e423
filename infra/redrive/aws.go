package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/snspub"
	"github.com/clinicops/cobalt-receiver/shared/awsclient"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/redrive"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

// awsTarget redrives the events of a deployed stack's DynamoDB table.
type awsTarget struct {
	store store.Store
	// sweeper is set with -publish-now.
	sweeper *sweep.Sweeper
	// selection is the one plan read, reused by apply so the table is
	// scanned once per run.
	selection *redrive.Selection
}

// newAWSTarget builds the DynamoDB store, and with -publish-now the SNS
// publisher and sweeper, from the standard AWS configuration chain.
func newAWSTarget(ctx context.Context, opts *options, getenv func(string) string, stderr io.Writer) (*awsTarget, error) {
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	if awsCfg.Region == "" {
		return nil, errors.New("no AWS region configured: set AWS_REGION or a region in your AWS profile")
	}
	tgt := &awsTarget{store: dynamostore.New(dynamodb.NewFromConfig(awsCfg), opts.table)}
	if !opts.publishNow {
		return tgt, nil
	}

	cfg, err := config.LoadSweep(withTable(getenv, opts.table))
	if err != nil {
		return nil, fmt.Errorf("-publish-now: %w", err)
	}
	publisher, err := snspub.New(sns.NewFromConfig(awsCfg), cfg.TopicARNs)
	if err != nil {
		return nil, fmt.Errorf("-publish-now: %w", err)
	}
	tgt.sweeper = &sweep.Sweeper{
		Store:       tgt.store,
		Publisher:   publisher,
		Alerts:      alert.Options{IncludePHI: cfg.IncludePHI},
		Lease:       cfg.AlertLease,
		MaxAttempts: cfg.AlertMaxAttempts,
		Grace:       cfg.SweepGrace,
		Batch:       cfg.SweepBatch,
		Logger:      slog.New(slog.NewTextHandler(stderr, nil)),
		Metrics:     metrics.Discard{},
		Now:         time.Now,
	}
	return tgt, nil
}

// withTable returns getenv with TABLE_NAME set to table, so the sweep
// settings load as the deployed sweep function loads them.
func withTable(getenv func(string) string, table string) func(string) string {
	return func(name string) string {
		if name == config.EnvTableName {
			return table
		}
		return getenv(name)
	}
}

func (t *awsTarget) plan(ctx context.Context, sel redrive.Selector) ([]redrive.Action, error) {
	selection, err := redrive.Select(ctx, t.store, sel)
	if err != nil {
		return nil, err
	}
	t.selection = selection
	return redrive.Requeue(ctx, t.store, selection, time.Now(), true)
}

func (t *awsTarget) apply(ctx context.Context, sel redrive.Selector) (*result, error) {
	if t.selection == nil {
		selection, err := redrive.Select(ctx, t.store, sel)
		if err != nil {
			return nil, err
		}
		t.selection = selection
	}
	due := time.Now()
	if t.sweeper != nil {
		// The sweep takes alerts due at least its grace ago. No first
		// delivery of a requeued alert is under way, so backdating them by
		// the grace lets the sweep below take them at once.
		due = due.Add(-t.sweeper.Grace)
	}
	actions, err := redrive.Requeue(ctx, t.store, t.selection, due, false)
	if err != nil {
		return &result{actions: actions}, err
	}

	res := &result{actions: actions, scheduled: t.sweeper == nil}
	if t.sweeper == nil || redrive.Summarize(actions).Requeued == 0 {
		return res, nil
	}
	// NOTE: in AWS the sweep lists due alerts from PendingAlertsIndex, a
	// global secondary index that is eventually consistent, so an alert
	// requeued a moment ago may be missing from this sweep. The scheduled
	// sweep publishes it then.
	counts, err := sweepNow(ctx, t.sweeper)
	res.sweep = &counts
	if err != nil {
		res.sweepErr = fmt.Sprintf("sweep failed: %v; the scheduled sweep publishes the requeued alerts", err)
	}
	return res, nil
}

// sweepNow runs sweeps back to back while each finds a full batch, as the
// sweep function does.
func sweepNow(ctx context.Context, s *sweep.Sweeper) (localserver.SweepCounts, error) {
	var counts localserver.SweepCounts
	for {
		res, err := s.Run(ctx)
		counts.Due += res.Due
		counts.Published += res.Published
		counts.Retrying += res.Retrying
		counts.Failed += res.Failed
		counts.Skipped += res.Skipped
		if err != nil || res.Due < s.Batch || ctx.Err() != nil {
			return counts, err
		}
	}
}
