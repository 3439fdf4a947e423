// Command coldstart times the ingest function's Lambda bootstrap from
// process start to its first answered event, and reads its peak memory
// during a burst of events.
//
// It creates a table on DynamoDB Local and the alert topics and webhook
// secret on moto_server, then starts the AWS Lambda Runtime Interface
// Emulator (aws-lambda-rie) with the bootstrap binary several times. Each
// run counts from the start of the emulator process until the answer to a
// first API Gateway event, sent as soon as the emulator accepts
// connections. The emulator starts the bootstrap on that first invoke, so
// the time covers the bootstrap's process start, its cold start (settings,
// SDK clients, the Secrets Manager read) and the first event's PutItem. A
// last run sends a burst of events, one at a time because the emulator
// takes one invoke at a time, and reads the bootstrap's VmHWM (peak
// resident memory) from /proc before stopping it. It writes the results
// as JSON.
//
// Usage:
//
//	go run ./infra/bench/coldstart -bootstrap bin/bootstrap -out coldstart.json
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/clinicops/cobalt-receiver/events/apigw"
	"github.com/clinicops/cobalt-receiver/infra/bench/standin"
	"github.com/clinicops/cobalt-receiver/infra/bench/workload"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

const secret = signature.Secret("whsec_bench_coldstart")

// options are the command-line settings.
type options struct {
	bootstrap string
	rie       string
	dynamoURL string
	motoURL   string
	runs      int
	burst     int
	burstGOGC int
	logFile   string
	out       string
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	var opts options
	fs.StringVar(&opts.bootstrap, "bootstrap", "", "path of the bootstrap binary built for this machine (required)")
	fs.StringVar(&opts.rie, "rie", os.Getenv("COBALT_TEST_RIE_BIN"), "path of aws-lambda-rie (default $COBALT_TEST_RIE_BIN)")
	fs.StringVar(&opts.dynamoURL, "dynamodb", os.Getenv("COBALT_TEST_DYNAMODB_URL"),
		"DynamoDB Local endpoint, a loopback URL (default $COBALT_TEST_DYNAMODB_URL)")
	fs.StringVar(&opts.motoURL, "moto", os.Getenv("COBALT_TEST_MOTO_URL"),
		"moto_server endpoint, a loopback URL (default $COBALT_TEST_MOTO_URL)")
	fs.IntVar(&opts.runs, "runs", 7, "cold starts to time")
	fs.IntVar(&opts.burst, "burst", 300, "events sent one at a time in the memory run")
	fs.IntVar(&opts.burstGOGC, "burst-gogc", 0, "when positive, repeat the memory run with this GOGC in the function's environment")
	fs.StringVar(&opts.logFile, "log", "", "file for the emulator's and function's output (default discarded)")
	fs.StringVar(&opts.out, "out", "", "file for the JSON results (default standard output)")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	switch {
	case opts.bootstrap == "":
		return opts, errors.New("-bootstrap is required")
	case opts.rie == "":
		return opts, errors.New("no emulator: set -rie or COBALT_TEST_RIE_BIN")
	case opts.dynamoURL == "" || opts.motoURL == "":
		return opts, errors.New("no stand-ins: set -dynamodb and -moto, or source the env file of infra/stack/up.sh")
	case opts.runs < 1 || opts.burst < 1:
		return opts, errors.New("-runs and -burst must be positive")
	}
	for _, u := range []string{opts.dynamoURL, opts.motoURL} {
		if err := standin.CheckLoopback(u); err != nil {
			return opts, err
		}
	}
	abs, err := filepath.Abs(opts.bootstrap)
	if err != nil {
		return opts, err
	}
	opts.bootstrap = abs
	return opts, nil
}

// Results is the JSON document coldstart writes.
type Results struct {
	Runs int `json:"runs"`
	// FirstAnswerMs lists, per run, the time from starting the emulator to
	// the first event's answer.
	FirstAnswerMs []float64 `json:"first_answer_ms"`
	// ListenMs lists, per run, the time until the emulator accepted the
	// first connection, a part of FirstAnswerMs.
	ListenMs []float64 `json:"listen_ms"`
	// InitMs lists per run the init phase's duration that the emulator
	// logged, from the bootstrap's exec to its first request for work.
	InitMs        []float64 `json:"init_ms,omitempty"`
	MedianFirstMs float64   `json:"median_first_answer_ms"`
	MedianInitMs  float64   `json:"median_init_ms,omitempty"`
	// Burst describes the memory run.
	Burst BurstResults `json:"burst"`
	// BurstGOGC describes the memory run repeated with GOGC set, when
	// -burst-gogc asked for it.
	BurstGOGC *BurstResults `json:"burst_gogc,omitempty"`
}

// BurstResults are the measurements of the memory run.
type BurstResults struct {
	Events int `json:"events"`
	// Mix lists the events sent, by kind.
	Mix map[string]int `json:"mix"`
	// Invoke summarizes the invoke round trips through the emulator after
	// the first.
	Invoke workload.Summary `json:"invoke"`
	// GOGC is the function's GOGC setting, 0 for the default.
	GOGC int `json:"gogc,omitempty"`
	// PeakRSSKB is the bootstrap's VmHWM after the burst, in KiB.
	PeakRSSKB int64 `json:"peak_rss_kib"`
	// RSSKB is its VmRSS at the same moment.
	RSSKB int64 `json:"rss_kib"`
}

func run(ctx context.Context, opts options) error {
	env, cleanup, err := createResources(ctx, opts)
	if err != nil {
		return err
	}
	defer cleanup()

	logs := io.Discard
	if opts.logFile != "" {
		f, err := os.Create(opts.logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		logs = f
	}

	var res Results
	res.Runs = opts.runs
	events := newEventSource()
	for i := range opts.runs {
		fn, err := startFunction(opts, env, logs)
		if err != nil {
			return err
		}
		first, err := fn.firstAnswer(ctx, events.next(workload.Success, workload.SizeTypical))
		fn.stop()
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		res.FirstAnswerMs = append(res.FirstAnswerMs, ms(first))
		res.ListenMs = append(res.ListenMs, ms(fn.listening.Sub(fn.started)))
		if init, ok := fn.initDuration(); ok {
			res.InitMs = append(res.InitMs, init)
		}
		fmt.Fprintf(os.Stderr, "coldstart: run %d: first answer after %.1f ms\n", i+1, ms(first))
	}
	res.MedianFirstMs = median(res.FirstAnswerMs)
	if len(res.InitMs) > 0 {
		res.MedianInitMs = median(res.InitMs)
	}

	res.Burst, err = burst(ctx, opts, env, logs, events)
	if err != nil {
		return err
	}
	if opts.burstGOGC > 0 {
		withGOGC := append(slices.Clone(env), fmt.Sprintf("GOGC=%d", opts.burstGOGC))
		b, err := burst(ctx, opts, withGOGC, logs, events)
		if err != nil {
			return fmt.Errorf("memory run with GOGC=%d: %w", opts.burstGOGC, err)
		}
		b.GOGC = opts.burstGOGC
		res.BurstGOGC = &b
	}
	return writeJSON(opts.out, res)
}

// createResources creates the table, topics and secret, and returns the
// function's environment and a function that deletes the table.
func createResources(ctx context.Context, opts options) ([]string, func(), error) {
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return nil, nil, err
	}
	prefix := "bench-coldstart-" + hex.EncodeToString(suffix)

	dynamoCfg, err := standin.Config(ctx, opts.dynamoURL)
	if err != nil {
		return nil, nil, err
	}
	dynamo := dynamodb.NewFromConfig(dynamoCfg)
	if err := dynamostore.CreateTable(ctx, dynamo, prefix); err != nil {
		return nil, nil, err
	}
	cleanup := func() {
		if _, err := dynamo.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(prefix)}); err != nil {
			fmt.Fprintf(os.Stderr, "coldstart: delete table %s: %v\n", prefix, err)
		}
	}

	motoCfg, err := standin.Config(ctx, opts.motoURL)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	env := map[string]string{
		config.EnvTableName:        prefix,
		config.EnvMetricsNamespace: "CobaltReceiver/bench",
		config.EnvIncludePHI:       "false",
	}
	topics := sns.NewFromConfig(motoCfg)
	for _, topic := range alert.Topics() {
		out, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(prefix + "-" + topic)})
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("create topic %s: %w", topic, err)
		}
		env[config.TopicVariable(topic)] = aws.ToString(out.TopicArn)
	}
	created, err := secretsmanager.NewFromConfig(motoCfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(prefix),
		SecretString: aws.String(`["` + string(secret) + `"]`),
	})
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("create secret: %w", err)
	}
	env[config.EnvSecretID] = aws.ToString(created.ARN)

	// What the Lambda service and the stand-ins add. The SDK reads the
	// Secrets Manager endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER.
	for name, value := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":        opts.dynamoURL,
		"AWS_ENDPOINT_URL_SNS":             opts.motoURL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": opts.motoURL,
		"AWS_ACCESS_KEY_ID":                "test",
		"AWS_SECRET_ACCESS_KEY":            "test",
		"AWS_REGION":                       "us-east-1",
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_LAMBDA_LOG_FORMAT":            "JSON",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":      "6",
		"AWS_LAMBDA_FUNCTION_NAME":         "cobalt-bench-ingest",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE":  "256",
	} {
		env[name] = value
	}
	var list []string
	for name, value := range env {
		list = append(list, name+"="+value)
	}
	slices.Sort(list)
	return list, cleanup, nil
}

// eventSource hands out new signed API Gateway events with distinct ids.
type eventSource struct {
	run       string
	seq       int64
	templates map[[2]int]workload.Template
}

func newEventSource() *eventSource {
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	return &eventSource{run: "cs" + hex.EncodeToString(suffix), templates: map[[2]int]workload.Template{}}
}

// next returns an event of kind and size with a new id.
func (s *eventSource) next(kind workload.Kind, size int) []byte {
	key := [2]int{int(kind), size}
	tmpl, ok := s.templates[key]
	if !ok {
		tmpl = workload.NewTemplate(kind, size)
		s.templates[key] = tmpl
	}
	s.seq++
	payload, err := apigw.HTTPEvent(apigw.Delivery{
		Body:     tmpl.Body(workload.ID(s.run, s.seq)),
		Secret:   secret,
		Received: time.Now(),
	})
	if err != nil {
		panic(fmt.Sprintf("build an API Gateway event from a workload template: %v", err))
	}
	return payload
}

// function is one emulator process running the bootstrap.
type function struct {
	cmd       *exec.Cmd
	exited    chan error
	url       string
	output    *bytes.Buffer
	started   time.Time
	listening time.Time
	client    *http.Client
}

// startFunction starts the emulator in its own process group, so that
// stopping the group also stops the bootstrap it starts.
func startFunction(opts options, env []string, logs io.Writer) (*function, error) {
	invokeAddr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	runtimeAddr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	f := &function{
		exited: make(chan error, 1),
		url:    "http://" + invokeAddr + "/2015-03-31/functions/function/invocations",
		output: &bytes.Buffer{},
		client: &http.Client{Timeout: 30 * time.Second},
	}
	f.cmd = exec.Command(opts.rie,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		opts.bootstrap)
	f.cmd.Env = env
	f.cmd.Dir = filepath.Dir(opts.bootstrap)
	f.cmd.Stdout = io.MultiWriter(logs, f.output)
	f.cmd.Stderr = f.cmd.Stdout
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	f.started = time.Now()
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", opts.rie, err)
	}
	go func() { f.exited <- f.cmd.Wait() }()
	return f, nil
}

// firstAnswer sends payload as soon as the emulator accepts connections
// and returns the time from the emulator's start to the answer.
func (f *function) firstAnswer(ctx context.Context, payload []byte) (time.Duration, error) {
	addr := strings.TrimPrefix(f.url, "http://")
	addr = addr[:strings.IndexByte(addr, '/')]
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			f.listening = time.Now()
			break
		}
		select {
		case err := <-f.exited:
			return 0, fmt.Errorf("aws-lambda-rie exited before listening: %v; output:\n%s", err, f.output)
		default:
		}
		if time.Now().After(deadline) {
			return 0, errors.New("aws-lambda-rie did not listen within 10 s")
		}
		time.Sleep(200 * time.Microsecond)
	}
	if err := f.invoke(ctx, payload); err != nil {
		return 0, err
	}
	return time.Since(f.started), nil
}

// invoke sends one event and checks that the function stored it.
func (f *function) invoke(ctx context.Context, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read invoke response: %w", err)
	}
	var answer struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || answer.StatusCode != http.StatusOK {
		return fmt.Errorf("invoke failed with status %d: %s; function output:\n%s", resp.StatusCode, data, f.output)
	}
	if !strings.Contains(answer.Body, `"status":"stored"`) && !strings.Contains(answer.Body, `"status":"duplicate"`) {
		return fmt.Errorf("function returned an unexpected response: %s", answer.Body)
	}
	return nil
}

// initDuration returns the init phase's duration that the emulator logs as
// "INIT REPORT(durationMs: N)": from the bootstrap's exec to its first
// request for work, so it covers the function's cold start code.
func (f *function) initDuration() (float64, bool) {
	const marker = "INIT REPORT(durationMs: "
	text := f.output.String()
	i := strings.Index(text, marker)
	if i < 0 {
		return 0, false
	}
	value, _, ok := strings.Cut(text[i+len(marker):], ")")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(value, 64)
	return v, err == nil
}

// bootstrapPID returns the PID of the emulator's child running the
// bootstrap binary.
func (f *function) bootstrapPID(bootstrap string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the parenthesized command name: state, then ppid.
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		fields := strings.Fields(string(rest))
		if len(fields) < 2 || fields[1] != strconv.Itoa(f.cmd.Process.Pid) {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && exe == bootstrap {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no bootstrap process under aws-lambda-rie (PID %d)", f.cmd.Process.Pid)
}

// stop ends the emulator's process group: SIGTERM, then SIGKILL after 5 s.
func (f *function) stop() {
	pgid := f.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-f.exited
	}
	// A bootstrap left in the group after the emulator exited.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// burst runs the memory run: a first event, then opts.burst more of mixed
// kinds and sizes, then reads the bootstrap's memory figures.
func burst(ctx context.Context, opts options, env []string, logs io.Writer, events *eventSource) (BurstResults, error) {
	fn, err := startFunction(opts, env, logs)
	if err != nil {
		return BurstResults{}, err
	}
	defer fn.stop()
	if _, err := fn.firstAnswer(ctx, events.next(workload.Success, workload.SizeTypical)); err != nil {
		return BurstResults{}, err
	}
	pid, err := fn.bootstrapPID(opts.bootstrap)
	if err != nil {
		return BurstResults{}, err
	}

	res := BurstResults{Events: opts.burst, Mix: map[string]int{}}
	var latencies []time.Duration
	var previous []byte
	started := time.Now()
	for i := range opts.burst {
		// Of every ten events: six new 1 KB success events, two new 1 KB
		// failure events, one duplicate and one new 100 KB success event.
		var payload []byte
		var label string
		switch i % 10 {
		case 6, 7:
			payload, label = events.next(workload.Failure, workload.SizeTypical), "failure-1KB"
		case 8:
			payload, label = previous, "duplicate-1KB"
		case 9:
			payload, label = events.next(workload.Success, workload.SizeLarge), "success-100KB"
		default:
			payload, label = events.next(workload.Success, workload.SizeTypical), "success-1KB"
			previous = payload
		}
		begin := time.Now()
		if err := fn.invoke(ctx, payload); err != nil {
			return res, fmt.Errorf("burst event %d (%s): %w", i+1, label, err)
		}
		latencies = append(latencies, time.Since(begin))
		res.Mix[label]++
	}
	res.Invoke = workload.Result{Latencies: latencies, Elapsed: time.Since(started)}.Summary()
	res.PeakRSSKB, res.RSSKB, err = memory(pid)
	return res, err
}

// memory returns VmHWM and VmRSS of pid, in KiB.
func memory(pid int) (peak, current int64, err error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read memory of bootstrap (PID %d): %w", pid, err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch name {
		case "VmHWM":
			peak = n
		case "VmRSS":
			current = n
		}
	}
	if peak == 0 {
		return 0, 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
	}
	return peak, current, nil
}

// freeAddress returns a loopback address whose port was free a moment ago.
func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(values []float64) float64 {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
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
