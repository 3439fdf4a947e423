package workload

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Op is one prepared request. Run times each call.
type Op func(ctx context.Context) error

// Limit ends a Run: after Requests requests in all when Requests is
// positive, otherwise once Duration has passed.
type Limit struct {
	Requests int64
	Duration time.Duration
}

// Run calls prepare and then the Op it returns from workers goroutines, each
// waiting for its previous request to finish, until limit is reached or ctx
// ends. prepare receives a sequence number unique within the run, and is not
// timed. Run returns the latencies of the requests that succeeded, and an
// error with the count of failures and the first one when any request
// failed, so that callers can reject the run.
func Run(ctx context.Context, workers int, limit Limit, prepare func(seq int64) Op) (Result, error) {
	if workers < 1 {
		return Result{}, fmt.Errorf("workers must be at least 1, got %d", workers)
	}
	var deadline time.Time
	if limit.Requests <= 0 {
		deadline = time.Now().Add(limit.Duration)
	}

	var (
		next     atomic.Int64
		failures atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	latencies := make([][]time.Duration, workers)
	started := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				seq := next.Add(1) - 1
				if limit.Requests > 0 && seq >= limit.Requests {
					return
				}
				if !deadline.IsZero() && !time.Now().Before(deadline) {
					return
				}
				op := prepare(seq)
				begin := time.Now()
				err := op(ctx)
				took := time.Since(begin)
				if err != nil {
					failures.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				latencies[w] = append(latencies[w], took)
			}
		}()
	}
	wg.Wait()

	res := Result{Latencies: slices.Concat(latencies...), Elapsed: time.Since(started)}
	if n := failures.Load(); n > 0 {
		return res, fmt.Errorf("%d of %d requests failed, first: %w", n, int64(len(res.Latencies))+n, firstErr)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if len(res.Latencies) == 0 {
		return res, errors.New("no request completed")
	}
	return res, nil
}

// Result holds the measurements of one Run.
type Result struct {
	// Latencies lists the time of each successful request.
	Latencies []time.Duration
	// Elapsed is the wall time from the first request's start to the last
	// one's end.
	Elapsed time.Duration
}

// Combine returns the results of several runs taken together: their
// latencies pooled and their elapsed times added.
func Combine(results ...Result) Result {
	var out Result
	for _, r := range results {
		out.Latencies = append(out.Latencies, r.Latencies...)
		out.Elapsed += r.Elapsed
	}
	return out
}

// Summary describes the successful requests of a Result.
type Summary struct {
	Requests int `json:"requests"`
	// Seconds is the elapsed wall time.
	Seconds float64 `json:"seconds"`
	// PerSecond is Requests divided by Seconds.
	PerSecond float64 `json:"per_second"`
	// Latency percentiles and maximum, in milliseconds.
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// Summary returns the throughput and latency percentiles of r.
func (r Result) Summary() Summary {
	s := Summary{Requests: len(r.Latencies), Seconds: r.Elapsed.Seconds()}
	if len(r.Latencies) == 0 {
		return s
	}
	sorted := slices.Clone(r.Latencies)
	slices.Sort(sorted)
	if r.Elapsed > 0 {
		s.PerSecond = float64(len(sorted)) / r.Elapsed.Seconds()
	}
	s.P50Ms = millis(Percentile(sorted, 50))
	s.P95Ms = millis(Percentile(sorted, 95))
	s.P99Ms = millis(Percentile(sorted, 99))
	s.MaxMs = millis(sorted[len(sorted)-1])
	return s
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, which must be in ascending order and not empty: the smallest value
// that at least p percent of the values do not exceed.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}
