package workload_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/clinicops/cobalt-receiver/infra/bench/workload"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

func TestTemplateBodies(t *testing.T) {
	tests := []struct {
		name     string
		kind     workload.Kind
		size     int
		wantKind envelope.Kind
	}{
		{"success 1KB", workload.Success, workload.SizeTypical, envelope.KindSuccess},
		{"success 100KB", workload.Success, workload.SizeLarge, envelope.KindSuccess},
		{"failure 1KB", workload.Failure, workload.SizeTypical, envelope.KindFailure},
		{"failure 100KB", workload.Failure, workload.SizeLarge, envelope.KindFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := workload.NewTemplate(tt.kind, tt.size)
			id := workload.ID("bench", 42)
			body := tmpl.Body(id)

			if len(body) != tmpl.Len() {
				t.Errorf("body is %d bytes, Len returns %d", len(body), tmpl.Len())
			}
			if len(body) < tt.size || len(body) > tt.size+300 {
				t.Errorf("body is %d bytes, want %d to %d", len(body), tt.size, tt.size+300)
			}
			canonical, err := jsjson.Canonical(body)
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			if string(canonical) != string(body) {
				t.Errorf("body is not in JSON.stringify form")
			}
			env, err := envelope.Parse(body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if env.ID != id {
				t.Errorf("id %q, want %q", env.ID, id)
			}
			if env.Kind != tt.wantKind {
				t.Errorf("kind %q, want %q", env.Kind, tt.wantKind)
			}
			if len(env.SchemaIssues) > 0 {
				t.Errorf("schema issues %q, want none", env.SchemaIssues)
			}
		})
	}
}

func TestIDLength(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		n      int64
	}{
		{"short prefix", "a", 1},
		{"long prefix", "a-prefix-longer-than-fifteen-bytes", 7},
		{"large number", "load", 1 << 40},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		id := workload.ID(tt.prefix, tt.n)
		if len(id) != workload.IDBytes {
			t.Errorf("%s: ID %q is %d bytes, want %d", tt.name, id, len(id), workload.IDBytes)
		}
		if seen[id] {
			t.Errorf("%s: ID %q repeats", tt.name, id)
		}
		seen[id] = true
	}
}

func TestPercentile(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{50, 50 * time.Millisecond},
		{95, 95 * time.Millisecond},
		{99, 99 * time.Millisecond},
		{100, 100 * time.Millisecond},
		{0.5, time.Millisecond},
	}
	for _, tt := range tests {
		if got := workload.Percentile(sorted, tt.p); got != tt.want {
			t.Errorf("Percentile(1..100 ms, %v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := workload.Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("Percentile of one value = %v, want 7ns", got)
	}
}

func TestRunRequestLimit(t *testing.T) {
	var mu sync.Mutex
	seen := map[int64]int{}
	res, err := workload.Run(context.Background(), 4, workload.Limit{Requests: 250}, func(seq int64) workload.Op {
		return func(context.Context) error {
			mu.Lock()
			seen[seq]++
			mu.Unlock()
			return nil
		}
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := len(res.Latencies); got != 250 {
		t.Errorf("Run timed %d requests, want 250", got)
	}
	for seq := range int64(250) {
		if seen[seq] != 1 {
			t.Errorf("sequence number %d used %d times, want once", seq, seen[seq])
		}
	}
	if s := res.Summary(); s.Requests != 250 || s.PerSecond <= 0 {
		t.Errorf("Summary = %+v, want 250 requests and a positive rate", s)
	}
}

func TestRunReportsFailures(t *testing.T) {
	errBoom := errors.New("boom")
	res, err := workload.Run(context.Background(), 2, workload.Limit{Requests: 10}, func(seq int64) workload.Op {
		return func(context.Context) error {
			if seq%5 == 0 {
				return errBoom
			}
			return nil
		}
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("Run error = %v, want it to wrap the request's error", err)
	}
	if got := len(res.Latencies); got != 8 {
		t.Errorf("Run timed %d requests, want the 8 that succeeded", got)
	}
}

func TestRunDuration(t *testing.T) {
	res, err := workload.Run(context.Background(), 2, workload.Limit{Duration: 50 * time.Millisecond},
		func(int64) workload.Op {
			return func(context.Context) error { time.Sleep(time.Millisecond); return nil }
		})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(res.Latencies) == 0 {
		t.Errorf("Run timed no request")
	}
	if res.Elapsed < 50*time.Millisecond {
		t.Errorf("Run stopped after %v, before its 50ms duration", res.Elapsed)
	}
}

func TestCombine(t *testing.T) {
	a := workload.Result{Latencies: []time.Duration{1, 2}, Elapsed: time.Second}
	b := workload.Result{Latencies: []time.Duration{3}, Elapsed: 2 * time.Second}
	got := workload.Combine(a, b)
	if len(got.Latencies) != 3 || got.Elapsed != 3*time.Second {
		t.Errorf("Combine = %d latencies over %v, want 3 over 3s", len(got.Latencies), got.Elapsed)
	}
	if s := got.Summary(); s.PerSecond != 1 {
		t.Errorf("combined rate %v/s, want 1/s", s.PerSecond)
	}
}
