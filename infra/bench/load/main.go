// Command load measures the ingest handler against DynamoDB Local beside
// the floor it runs on: a bare loop of the same conditional PutItem.
//
// It creates a table and warms DynamoDB Local up with untimed requests,
// because its JVM gets faster over its first few thousand. Then, for each
// worker count, it runs alternating rounds of two loops:
//
//   - (a) conditional PutItem calls of the exact request the handler sends,
//     with only the event id changed;
//   - (b) the handler itself, in process, with the DynamoDB store, for new
//     success events.
//
// Both use the SDK client of shared/awsclient. It writes throughput, latency
// percentiles and the ratio (b)/(a) as JSON, and deletes the table.
//
// Usage:
//
//	go run ./infra/bench/load -dynamodb http://127.0.0.1:8000 -out load.json
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clinicops/cobalt-receiver/infra/bench/standin"
	"github.com/clinicops/cobalt-receiver/infra/bench/workload"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

const secret = signature.Secret("whsec_bench_load")

// options are the command-line settings.
type options struct {
	dynamoURL string
	workers   []int
	duration  time.Duration
	rounds    int
	warmup    int
	size      int
	out       string
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	var opts options
	var workers string
	fs.StringVar(&opts.dynamoURL, "dynamodb", os.Getenv("COBALT_TEST_DYNAMODB_URL"),
		"DynamoDB Local endpoint, a loopback URL (default $COBALT_TEST_DYNAMODB_URL)")
	fs.StringVar(&workers, "workers", "1,8", "comma-separated concurrency levels, each measured in turn")
	fs.DurationVar(&opts.duration, "duration", 4*time.Second, "length of one timed round of each loop")
	fs.IntVar(&opts.rounds, "rounds", 3, "timed rounds of each loop per concurrency level, alternating")
	fs.IntVar(&opts.warmup, "warmup", 3000, "untimed requests sent first to warm DynamoDB Local up")
	fs.IntVar(&opts.size, "size", workload.SizeTypical, "event body size in bytes")
	fs.StringVar(&opts.out, "out", "", "file for the JSON results (default standard output)")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if opts.dynamoURL == "" {
		return opts, errors.New("no DynamoDB endpoint: set -dynamodb or COBALT_TEST_DYNAMODB_URL")
	}
	for _, w := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			return opts, fmt.Errorf("-workers %q: want positive integers separated by commas", workers)
		}
		opts.workers = append(opts.workers, n)
	}
	if opts.rounds < 1 || opts.duration <= 0 || opts.warmup < 0 {
		return opts, errors.New("-rounds and -duration must be positive and -warmup not negative")
	}
	return opts, nil
}

// Results is the JSON document load writes.
type Results struct {
	Endpoint string         `json:"endpoint"`
	Table    string         `json:"table"`
	Bytes    int            `json:"event_bytes"`
	ItemAttr int            `json:"item_attributes"`
	Warmup   int            `json:"warmup_requests"`
	Rounds   int            `json:"rounds"`
	RoundSec float64        `json:"round_seconds"`
	Levels   []LevelResults `json:"levels"`
}

// LevelResults are the measurements at one concurrency level.
type LevelResults struct {
	Workers int              `json:"workers"`
	Bare    workload.Summary `json:"bare_putitem"`
	Handler workload.Summary `json:"handler"`
	// Ratio is the handler's throughput over the bare loop's.
	Ratio float64 `json:"ratio"`
	// RoundRatios are the ratios of each pair of rounds, to show the spread.
	RoundRatios []float64 `json:"round_ratios"`
}

func run(ctx context.Context, opts options) error {
	cfg, err := standin.Config(ctx, opts.dynamoURL)
	if err != nil {
		return err
	}
	client := dynamodb.NewFromConfig(cfg)
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return err
	}
	table := "bench-load-" + hex.EncodeToString(suffix)
	if err := dynamostore.CreateTable(ctx, client, table); err != nil {
		return err
	}
	defer func() {
		_, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table})
		if err != nil {
			fmt.Fprintf(os.Stderr, "load: delete table %s: %v\n", table, err)
		}
	}()

	tmpl := workload.NewTemplate(workload.Success, opts.size)
	bench := &bench{client: client, table: table, tmpl: tmpl}
	if err := bench.captureRequest(ctx); err != nil {
		return err
	}

	res := Results{
		Endpoint: opts.dynamoURL, Table: table, Bytes: tmpl.Len(), ItemAttr: len(bench.put.Item),
		Warmup: opts.warmup, Rounds: opts.rounds, RoundSec: opts.duration.Seconds(),
	}
	maxWorkers := 0
	for _, w := range opts.workers {
		maxWorkers = max(maxWorkers, w)
	}
	fmt.Fprintf(os.Stderr, "load: warming DynamoDB Local up with %d requests\n", opts.warmup)
	bareWarmup := int64(opts.warmup * 5 / 6)
	if _, err := workload.Run(ctx, maxWorkers, workload.Limit{Requests: bareWarmup}, bench.bareOp("warm-b")); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	handlerWarmup := int64(opts.warmup) - bareWarmup
	if _, err := workload.Run(ctx, maxWorkers, workload.Limit{Requests: handlerWarmup}, bench.handlerOp("warm-h")); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}

	for _, workers := range opts.workers {
		level, err := bench.measure(ctx, workers, opts)
		if err != nil {
			return err
		}
		res.Levels = append(res.Levels, level)
	}
	return writeJSON(opts.out, res)
}

// measure runs opts.rounds alternating rounds of the bare loop and the
// handler at one concurrency level.
func (b *bench) measure(ctx context.Context, workers int, opts options) (LevelResults, error) {
	level := LevelResults{Workers: workers}
	var bare, handler []workload.Result
	limit := workload.Limit{Duration: opts.duration}
	for round := range opts.rounds {
		prefix := fmt.Sprintf("w%d-r%d", workers, round)
		a, err := workload.Run(ctx, workers, limit, b.bareOp(prefix+"-b"))
		if err != nil {
			return level, fmt.Errorf("bare PutItem loop, %d workers: %w", workers, err)
		}
		h, err := workload.Run(ctx, workers, limit, b.handlerOp(prefix+"-h"))
		if err != nil {
			return level, fmt.Errorf("handler loop, %d workers: %w", workers, err)
		}
		bare, handler = append(bare, a), append(handler, h)
		ratio := h.Summary().PerSecond / a.Summary().PerSecond
		level.RoundRatios = append(level.RoundRatios, ratio)
		fmt.Fprintf(os.Stderr, "load: %d workers, round %d: bare %.0f/s, handler %.0f/s, ratio %.2f\n",
			workers, round+1, a.Summary().PerSecond, h.Summary().PerSecond, ratio)
	}
	level.Bare = workload.Combine(bare...).Summary()
	level.Handler = workload.Combine(handler...).Summary()
	level.Ratio = level.Handler.PerSecond / level.Bare.PerSecond
	return level, nil
}

// bench holds what both loops share.
type bench struct {
	client *dynamodb.Client
	table  string
	tmpl   workload.Template

	// put is the PutItem request the handler sent for event putID.
	put   *dynamodb.PutItemInput
	putID string

	handlerOnce sync.Once
	handler     *ingest.Handler
}

// captureAPI passes calls to a DynamoDB client and keeps the first PutItem
// request.
type captureAPI struct {
	*dynamodb.Client
	put *dynamodb.PutItemInput
}

func (c *captureAPI) PutItem(ctx context.Context, in *dynamodb.PutItemInput,
	optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if c.put == nil {
		c.put = in
	}
	return c.Client.PutItem(ctx, in, optFns...)
}

// captureRequest sends one event through a handler whose store records its
// PutItem request, which the bare loop then replays.
func (b *bench) captureRequest(ctx context.Context) error {
	capture := &captureAPI{Client: b.client}
	h := newHandler(dynamostore.New(capture, b.table))
	b.putID = workload.ID("capture", 0)
	if err := handle(ctx, h, b.putID, b.tmpl.Body(b.putID)); err != nil {
		return fmt.Errorf("capture the handler's PutItem: %w", err)
	}
	if capture.put == nil {
		return errors.New("capture the handler's PutItem: the handler sent none")
	}
	b.put = capture.put
	return nil
}

// bareOp returns the bare loop's requests: the captured PutItem with the
// event id replaced in its key and attributes.
func (b *bench) bareOp(prefix string) func(seq int64) workload.Op {
	return func(seq int64) workload.Op {
		id := workload.ID(prefix, seq)
		in := *b.put
		in.Item = maps.Clone(b.put.Item)
		for name, value := range b.put.Item {
			if s, ok := value.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, b.putID) {
				in.Item[name] = &types.AttributeValueMemberS{Value: strings.Replace(s.Value, b.putID, id, 1)}
			}
		}
		return func(ctx context.Context) error {
			_, err := b.client.PutItem(ctx, &in)
			return err
		}
	}
}

// handlerOp returns the handler loop's requests: new signed success events.
func (b *bench) handlerOp(prefix string) func(seq int64) workload.Op {
	b.handlerOnce.Do(func() { b.handler = newHandler(dynamostore.New(b.client, b.table)) })
	return func(seq int64) workload.Op {
		id := workload.ID(prefix, seq)
		body := b.tmpl.Body(id)
		return func(ctx context.Context) error { return handle(ctx, b.handler, id, body) }
	}
}

// refusingPublisher fails every publish: success events must not publish.
type refusingPublisher struct{}

func (refusingPublisher) Publish(context.Context, *alert.Alert) (string, error) {
	return "", errors.New("a success event published an alert")
}

// newHandler returns the handler as the Lambda function builds it, except
// that logs and metrics go to io.Discard and secrets are fixed.
func newHandler(st *dynamostore.Store) *ingest.Handler {
	return &ingest.Handler{
		Store:      st,
		Publisher:  refusingPublisher{},
		Secrets:    secrets.Static{secret},
		AlertLease: 30 * time.Second,
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:    metrics.NewEMF(io.Discard, "CobaltReceiverLoad"),
		Now:        time.Now,
	}
}

// handle delivers one new event and returns an error unless it was stored.
func handle(ctx context.Context, h *ingest.Handler, id string, body []byte) error {
	resp := h.Handle(ctx, &ingest.Request{
		Method: http.MethodPost,
		Header: http.Header{
			"Cobalt-Verification": {signature.Sign(body, secret)},
			"Webhook-Id":          {id},
			"Webhook-Attempt":     {"1"},
		},
		Body:     body,
		Received: time.Now(),
	})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(resp.Body), `{"status":"stored"`) {
		return fmt.Errorf("event %s: unexpected response %d %s", id, resp.StatusCode, resp.Body)
	}
	return nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if path == "" {
		_, err = os.Stdout.Write(data)
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
