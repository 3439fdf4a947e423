// Command sweep is the scheduled Lambda function that publishes alerts left
// pending after their lease expired: by an SNS error, a timeout or a crash
// between storing an event and publishing its alert.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/snspub"
	"github.com/clinicops/cobalt-receiver/shared/awsclient"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
	"github.com/clinicops/cobalt-receiver/shared/sweep"
)

// stopMargin is kept free before the function's timeout to log and return.
const stopMargin = 2 * time.Second

func main() {
	logger := lambdacontext.NewLogger()
	sweeper, err := newSweeper(context.Background(), logger)
	if err != nil {
		logger.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context) (sweep.Result, error) {
		return runUntilDone(ctx, sweeper)
	})
}

// runUntilDone runs sweeps back to back while each finds a full batch, and
// stops before the function's deadline.
func runUntilDone(ctx context.Context, s *sweep.Sweeper) (sweep.Result, error) {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-stopMargin))
		defer cancel()
	}
	var total sweep.Result
	for {
		res, err := s.Run(ctx)
		total.Due += res.Due
		total.Published += res.Published
		total.Retrying += res.Retrying
		total.Failed += res.Failed
		total.Skipped += res.Skipped
		total.OldestAge = max(total.OldestAge, res.OldestAge)
		if err != nil || res.Due < s.Batch || ctx.Err() != nil {
			return total, err
		}
	}
}

func newSweeper(ctx context.Context, logger *slog.Logger) (*sweep.Sweeper, error) {
	cfg, err := config.LoadSweep(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	publisher, err := snspub.New(sns.NewFromConfig(awsCfg), cfg.TopicARNs)
	if err != nil {
		return nil, err
	}
	return &sweep.Sweeper{
		Store:       dynamostore.New(dynamodb.NewFromConfig(awsCfg), cfg.TableName),
		Publisher:   publisher,
		Alerts:      alert.Options{IncludePHI: cfg.IncludePHI},
		Lease:       cfg.AlertLease,
		MaxAttempts: cfg.AlertMaxAttempts,
		Grace:       cfg.SweepGrace,
		Batch:       cfg.SweepBatch,
		Logger:      logger,
		Metrics:     metrics.NewEMF(os.Stdout, cfg.MetricsNamespace),
		Now:         time.Now,
	}, nil
}
