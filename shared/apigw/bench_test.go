package apigw_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	eventsapigw "github.com/clinicops/cobalt-receiver/events/apigw"
	"github.com/clinicops/cobalt-receiver/infra/bench/workload"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/apigw"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store/memstore"
)

// nopPublisher accepts every alert.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, *alert.Alert) (string, error) { return "msg", nil }

// BenchmarkHandler measures the Lambda entry point: decoding an HTTP API
// event, handling it and building the response. The event is a 1 KB
// duplicate, so that the handler's own work is the same on every iteration.
func BenchmarkHandler(b *testing.B) {
	const secret = signature.Secret("whsec_apigw_benchmark")
	h := &ingest.Handler{
		Store:      memstore.New(),
		Publisher:  nopPublisher{},
		Secrets:    secrets.Static{secret},
		AlertLease: 30 * time.Second,
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:    metrics.NewEMF(io.Discard, "CobaltReceiverBenchmark"),
		Now:        time.Now,
	}
	body := workload.NewTemplate(workload.Success, workload.SizeTypical).Body(workload.ID("apigw", 1))
	payload, err := eventsapigw.HTTPEvent(eventsapigw.Delivery{Body: body, Secret: secret})
	if err != nil {
		b.Fatalf("HTTPEvent: %v", err)
	}
	handler := apigw.Handler(h)
	ctx := context.Background()
	if _, err := handler(ctx, json.RawMessage(payload)); err != nil {
		b.Fatalf("first delivery: %v", err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := handler(ctx, json.RawMessage(payload)); err != nil {
			b.Fatalf("handler: %v", err)
		}
	}
}
