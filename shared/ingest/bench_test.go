package ingest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/infra/bench/workload"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store/memstore"
)

const benchSecret = signature.Secret("whsec_ingest_benchmark")

// benchPublisher accepts every alert in memory.
type benchPublisher struct{ published atomic.Int64 }

func (p *benchPublisher) Publish(_ context.Context, a *alert.Alert) (string, error) {
	n := p.published.Add(1)
	return "msg-" + strconv.FormatInt(n, 10), nil
}

// newBenchHandler returns a handler with an in-memory store and publisher
// that logs and records metrics as in production, into io.Discard.
func newBenchHandler() (*ingest.Handler, *benchPublisher) {
	pub := &benchPublisher{}
	return &ingest.Handler{
		Store:      memstore.New(),
		Publisher:  pub,
		Secrets:    secrets.Static{benchSecret},
		AlertLease: 30 * time.Second,
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:    metrics.NewEMF(io.Discard, "CobaltReceiverBenchmark"),
		Now:        time.Now,
	}, pub
}

// benchRequest returns a signed delivery of body, as local mode builds it.
func benchRequest(id string, body []byte) *ingest.Request {
	return &ingest.Request{
		Method: http.MethodPost,
		Header: http.Header{
			"Cobalt-Verification": {signature.Sign(body, benchSecret)},
			"Webhook-Id":          {id},
			"Webhook-Attempt":     {"1"},
			"Webhook-Timestamp":   {"2026-03-03T09:15:42.000Z"},
		},
		Body:     body,
		Received: time.Now(),
	}
}

// benchBatch is how many new events are signed at a time, outside the timer.
const benchBatch = 256

// BenchmarkHandle measures Handle with no I/O: an in-memory store and
// publisher. "new" cases send a distinct event id on every iteration;
// "duplicate" resends a stored event. cpu-ns/op is the process's user and
// system CPU time per event, garbage collection on other cores included.
func BenchmarkHandle(b *testing.B) {
	sizes := []struct {
		name  string
		bytes int
	}{
		{"1KB", workload.SizeTypical},
		{"100KB", workload.SizeLarge},
	}
	for _, size := range sizes {
		success := workload.NewTemplate(workload.Success, size.bytes)
		failure := workload.NewTemplate(workload.Failure, size.bytes)
		b.Run(size.name+"/new-success", func(b *testing.B) { benchmarkNew(b, success, false) })
		b.Run(size.name+"/new-failure", func(b *testing.B) { benchmarkNew(b, failure, true) })
		b.Run(size.name+"/duplicate", func(b *testing.B) { benchmarkDuplicate(b, success) })
	}
}

func benchmarkNew(b *testing.B, tmpl workload.Template, alerts bool) {
	h, pub := newBenchHandler()
	ctx := context.Background()
	var (
		batch []*ingest.Request
		next  int64
		cpu   cpuMeter
	)
	b.SetBytes(int64(tmpl.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if len(batch) == 0 {
			// Sign the next events outside the timer, and start from an
			// empty store so that its size does not grow with b.N.
			b.StopTimer()
			cpu.stop()
			batch = make([]*ingest.Request, benchBatch)
			for i := range batch {
				id := workload.ID("bench", next)
				next++
				batch[i] = benchRequest(id, tmpl.Body(id))
			}
			h.Store = memstore.New()
			cpu.start()
			b.StartTimer()
		}
		req := batch[0]
		batch = batch[1:]
		if resp := h.Handle(ctx, req); resp.StatusCode != http.StatusOK {
			b.Fatalf("Handle answered %d %s, want 200", resp.StatusCode, resp.Body)
		}
	}
	cpu.stop()
	cpu.report(b)
	if alerts && pub.published.Load() != int64(b.N) {
		b.Fatalf("published %d alerts for %d events", pub.published.Load(), b.N)
	}
	if !alerts && pub.published.Load() != 0 {
		b.Fatalf("published %d alerts for success events", pub.published.Load())
	}
}

func benchmarkDuplicate(b *testing.B, tmpl workload.Template) {
	h, _ := newBenchHandler()
	ctx := context.Background()
	id := workload.ID("bench", 0)
	body := tmpl.Body(id)
	req := benchRequest(id, body)
	if resp := h.Handle(ctx, req); resp.StatusCode != http.StatusOK {
		b.Fatalf("first delivery answered %d %s, want 200", resp.StatusCode, resp.Body)
	}
	resp := h.Handle(ctx, req)
	if want := fmt.Sprintf(`{"status":"duplicate","id":%q}`, id); string(resp.Body) != want {
		b.Fatalf("second delivery answered %s, want %s", resp.Body, want)
	}

	var cpu cpuMeter
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu.start()
	for b.Loop() {
		if resp := h.Handle(ctx, req); resp.StatusCode != http.StatusOK {
			b.Fatalf("Handle answered %d %s, want 200", resp.StatusCode, resp.Body)
		}
	}
	cpu.stop()
	cpu.report(b)
}

// cpuMeter adds up the process CPU time between start and stop calls.
type cpuMeter struct {
	total, since time.Duration
	running      bool
}

func (m *cpuMeter) start() {
	m.since, m.running = processCPU(), true
}

func (m *cpuMeter) stop() {
	if m.running {
		m.total += processCPU() - m.since
		m.running = false
	}
}

// report adds the cpu-ns/op metric, unless the platform has no CPU clock.
func (m *cpuMeter) report(b *testing.B) {
	if m.total > 0 && b.N > 0 {
		b.ReportMetric(float64(m.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
