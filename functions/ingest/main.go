// Command ingest receives Cobalt webhooks. Under the Lambda runtime it
// handles API Gateway proxy events and uses DynamoDB, SNS and Secrets
// Manager; run directly, it serves the same handler over HTTP in local mode
// with an embedded store and an alert log, and needs no AWS account.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/snspub"
	"github.com/clinicops/cobalt-receiver/shared/apigw"
	"github.com/clinicops/cobalt-receiver/shared/awsclient"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

func main() {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		runLambda()
		return
	}
	if err := runLocal(); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

func runLocal() error {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
	cfg, err := config.LoadLocal(os.Getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return localserver.Run(ctx, cfg, logger)
}

func runLambda() {
	logger := lambdacontext.NewLogger()
	h, err := newLambdaHandler(context.Background(), logger)
	if err != nil {
		logger.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(apigw.Handler(h))
}

func newLambdaHandler(ctx context.Context, logger *slog.Logger) (*ingest.Handler, error) {
	cfg, err := config.LoadLambda(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	recorder := metrics.NewEMF(os.Stdout, cfg.MetricsNamespace)
	publisher, err := snspub.New(sns.NewFromConfig(awsCfg), cfg.TopicARNs)
	if err != nil {
		return nil, err
	}
	secretSource := &secrets.Manager{
		Client:          secretsmanager.NewFromConfig(awsCfg),
		SecretID:        cfg.SecretID,
		Parse:           config.ParseSecrets,
		RefreshInterval: cfg.SecretRefresh,
		RetryAfter:      10 * time.Second,
		MinRefresh:      5 * time.Second,
		Logger:          logger,
		OnRefreshError:  func() { recorder.Record(metrics.Count(metrics.SecretRefreshFailed, 1)) },
		Now:             time.Now,
	}
	// Read the secrets during cold start so the first request does not wait
	// for Secrets Manager; a failure here is logged and retried per request.
	warmCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, _ = secretSource.Secrets(warmCtx)
	cancel()

	return &ingest.Handler{
		Store:      dynamostore.New(dynamodb.NewFromConfig(awsCfg), cfg.TableName),
		Publisher:  publisher,
		Secrets:    secretSource,
		Alerts:     alert.Options{IncludePHI: cfg.IncludePHI},
		AlertLease: cfg.AlertLease,
		Retention:  cfg.Retention,
		Logger:     logger,
		Metrics:    recorder,
		Now:        time.Now,
	}, nil
}
