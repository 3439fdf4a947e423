package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Targets. Sizes count 1 MB as 10^6 bytes.
const (
	targetHandlerCPU = 25 * time.Microsecond
	targetRatio      = 0.8
	targetColdStart  = 100 * time.Millisecond
	targetBinary     = 15_000_000 // bytes
	targetRSS        = 40_000_000 // bytes
)

// verdict is one target's row in the summary table.
type verdict struct {
	What, Target, Measured string
	Met                    bool
	// Miss is how far the measurement missed the target.
	Miss string
	// Anchor links the row to the section explaining a miss.
	Anchor string
}

func (v verdict) result() string {
	if v.Met {
		return "met"
	}
	if v.Anchor != "" {
		return fmt.Sprintf("**missed** by %s ([why](#%s))", v.Miss, v.Anchor)
	}
	return "**missed** by " + v.Miss
}

// page accumulates the Markdown text.
type page struct{ b strings.Builder }

func (p *page) line(format string, args ...any) {
	fmt.Fprintf(&p.b, format, args...)
	p.b.WriteByte('\n')
}

func (p *page) blank() { p.b.WriteByte('\n') }

// handlerCases are the BenchmarkHandle cases, in the order the page lists
// them, with what each one sends.
var handlerCases = []struct{ name, label string }{
	{"BenchmarkHandle/1KB/new-success", "1 KB, new success event"},
	{"BenchmarkHandle/1KB/new-failure", "1 KB, new failure event (alert built and published)"},
	{"BenchmarkHandle/1KB/duplicate", "1 KB, duplicate"},
	{"BenchmarkHandle/100KB/new-success", "100 KB, new success event"},
	{"BenchmarkHandle/100KB/new-failure", "100 KB, new failure event (alert built and published)"},
	{"BenchmarkHandle/100KB/duplicate", "100 KB, duplicate"},
}

func render(in inputs) ([]byte, error) {
	var verdicts []verdict
	var misses []func(*page)

	// Handler CPU, 1 KB cases.
	for _, c := range handlerCases[:3] {
		b := findBench(in.bench, c.name)
		if b == nil {
			return nil, fmt.Errorf("no result for %s", c.name)
		}
		cpu, ok := b.Median("cpu-ns/op")
		if !ok {
			return nil, fmt.Errorf("%s reported no cpu-ns/op", c.name)
		}
		wall, _ := b.Median("ns/op")
		v := verdict{
			What:     "Handler CPU per event, no I/O: " + c.label,
			Target:   "< 25 µs",
			Measured: fmt.Sprintf("%s CPU (%s wall)", micro(cpu), micro(wall)),
			Met:      cpu < float64(targetHandlerCPU),
		}
		if !v.Met {
			v.Miss = overBy(cpu, float64(targetHandlerCPU), micro)
			v.Anchor = anchor(c.name)
			caseName, label, cpuNs := c.name, c.label, cpu
			misses = append(misses, func(p *page) { handlerMiss(p, in, caseName, label, cpuNs) })
		}
		verdicts = append(verdicts, v)
	}

	// Throughput against the bare PutItem loop.
	for _, level := range in.dynamo.Levels {
		v := verdict{
			What:     fmt.Sprintf("Handler throughput / bare conditional PutItem throughput, DynamoDB Local, %s", workersText(level.Workers)),
			Target:   "≥ 0.80",
			Measured: fmt.Sprintf("%.2f (%.0f/s vs %.0f/s)", level.Ratio, level.Handler.PerSecond, level.Bare.PerSecond),
			Met:      level.Ratio >= targetRatio,
		}
		if !v.Met {
			v.Miss = fmt.Sprintf("%.2f", targetRatio-level.Ratio)
			v.Anchor = fmt.Sprintf("throughput-ratio-%d-workers", level.Workers)
			workers, ratio := level.Workers, level.Ratio
			misses = append(misses, func(p *page) { ratioMiss(p, in, workers, ratio) })
		}
		verdicts = append(verdicts, v)
	}

	// Cold start.
	cold := time.Duration(in.coldStart.MedianFirstMs * float64(time.Millisecond))
	v := verdict{
		What:     fmt.Sprintf("Cold start to first answer under the Lambda RIE, median of %d", in.coldStart.Runs),
		Target:   "< 100 ms",
		Measured: fmt.Sprintf("%.1f ms", in.coldStart.MedianFirstMs),
		Met:      cold < targetColdStart,
	}
	if !v.Met {
		v.Miss = fmt.Sprintf("%.1f ms", in.coldStart.MedianFirstMs-ms(targetColdStart))
		v.Anchor = "cold-start"
		misses = append(misses, func(p *page) { coldStartMiss(p, in) })
	}
	verdicts = append(verdicts, v)

	// Binary sizes, with one explanation for both.
	binaryMissed := false
	for _, bin := range []struct {
		arch  string
		bytes int64
	}{{"linux/arm64 (deployed)", in.bootstrapArm64Bytes}, {"linux/" + in.nativeArch + " (measured here)", in.bootstrapBytes}} {
		v := verdict{
			What:     "bootstrap binary size, " + bin.arch,
			Target:   "< 15 MB",
			Measured: megabytes(float64(bin.bytes)),
			Met:      bin.bytes < targetBinary,
		}
		if !v.Met {
			v.Miss = megabytes(float64(bin.bytes - targetBinary))
			v.Anchor = "binary-size"
			if !binaryMissed {
				misses = append(misses, func(p *page) { binaryMiss(p) })
			}
			binaryMissed = true
		}
		verdicts = append(verdicts, v)
	}

	// Peak RSS.
	rss := float64(in.coldStart.Burst.PeakRSSKB * 1024)
	v = verdict{
		What:     fmt.Sprintf("Peak RSS of the bootstrap (VmHWM) after %d events", in.coldStart.Burst.Events+1),
		Target:   "< 40 MB",
		Measured: megabytes(rss),
		Met:      rss < targetRSS,
	}
	if !v.Met {
		v.Miss = megabytes(rss - targetRSS)
		v.Anchor = "peak-rss"
		misses = append(misses, func(p *page) { rssMiss(p, in) })
	}
	verdicts = append(verdicts, v)

	var p page
	header(&p, in, verdicts)
	machineSection(&p, in)
	methodSection(&p, in)
	handlerSection(&p, in)
	gogcSection(&p, in)
	componentSection(&p, in)
	dynamoSection(&p, in)
	coldStartSection(&p, in)
	localSection(&p, in)
	p.line("## Misses")
	p.blank()
	if len(misses) == 0 {
		p.line("Every target was met in this run.")
		p.blank()
	}
	for _, miss := range misses {
		miss(&p)
	}
	reproduceSection(&p, in)
	return []byte(p.b.String()), nil
}

func header(p *page, in inputs, verdicts []verdict) {
	p.line("# Benchmarks")
	p.blank()
	p.line("What the receiver costs per event, measured by `infra/bench/run.sh` on %s.",
		in.started.Format("2006-01-02 15:04 MST"))
	p.line("Every figure on this page comes from that one run on the machine described")
	p.line("below. The machine was shared with other work, so figures vary between runs:")
	p.line("the load average during the run is listed under [Machine](#machine).")
	p.blank()
	p.line("| What | Target | Measured | Result |")
	p.line("|---|---|---|---|")
	for _, v := range verdicts {
		p.line("| %s | %s | %s | %s |", v.What, v.Target, v.Measured, v.result())
	}
	p.blank()
}

func machineSection(p *page, in inputs) {
	m := in.machine
	p.line("## Machine")
	p.blank()
	p.line("| | |")
	p.line("|---|---|")
	p.line("| CPU | %s, %d cores as Go sees them (GOMAXPROCS %d) |", orUnknown(m.CPU), m.Cores, m.Cores)
	p.line("| Memory | %.1f GB |", m.MemoryGB)
	p.line("| OS | %s, %s |", orUnknown(m.OS), orUnknown(m.Kernel))
	p.line("| Go | %s |", m.Go)
	p.line("| Date | %s |", in.started.Format(time.RFC3339))
	p.blank()
	p.line("Load average (1, 5 and 15 minutes) when each phase started. Values above")
	p.line("%d mean other processes competed for the cores during that phase.", m.Cores)
	p.blank()
	p.line("| Phase | 1 min | 5 min | 15 min |")
	p.line("|---|---|---|---|")
	for _, s := range in.load {
		p.line("| %s | %.2f | %.2f | %.2f |", s.Phase, s.One, s.Five, s.Fifteen)
	}
	p.blank()
}

func methodSection(p *page, in inputs) {
	p.line("## Method")
	p.blank()
	p.line("- **Events.** `infra/bench/workload` generates every event: a")
	p.line("  `patient.insurance.added` success event whose `audit_trail` grows with the")
	p.line("  size, and an `appointment.failed` failure event whose `reasons` (with MRNs,")
	p.line("  names and dates to mask) grow with it, in compact JSON as Node.js sends it,")
	p.line("  so the raw-body signature matches. \"1 KB\" is %d bytes.", in.dynamo.Bytes)
	p.line("- **Handler CPU** (`shared/ingest/bench_test.go`): `Handle` with the in-memory")
	p.line("  store (`shared/store/memstore`) and an in-memory publisher, JSON logs and EMF")
	p.line("  metrics written to `io.Discard`. \"new\" cases sign a distinct event id per")
	p.line("  iteration (signing is outside the timer); \"duplicate\" resends one stored")
	p.line("  event. `cpu-ns/op` is the process's user and system CPU time per event from")
	p.line("  getrusage, so it includes garbage collection on the other core; the target is")
	p.line("  judged on it. Medians of %s.", runsText(in.bench))
	p.line("- **Where the time goes**: a CPU profile of each 1 KB handler case")
	p.line("  (`go test -cpuprofile`, `go tool pprof -top -cum`), as shares of `Handle`'s")
	p.line("  cumulative time.")
	p.line("- **Throughput** (`infra/bench/load`): one table on DynamoDB Local, warmed up")
	p.line("  with %d untimed requests, then per worker count %d alternating rounds of %.0f s", in.dynamo.Warmup, in.dynamo.Rounds, in.dynamo.RoundSec)
	p.line("  of (a) the exact conditional PutItem the handler sends (captured from it, %d", in.dynamo.ItemAttr)
	p.line("  attributes, only the event id changed) and (b) the handler in process with")
	p.line("  the DynamoDB store, for new success events. Both use the SDK client of")
	p.line("  `shared/awsclient`. Each worker waits for its answer before sending again.")
	p.line("- **Requests per event** are not timed but checked by")
	p.line("  `infra/bench/requests_test.go` in the test suite: one PutItem per event, plus")
	p.line("  one Publish and one UpdateItem for a new failure event, and no other request.")
	p.line("- **Cold start** (`infra/bench/coldstart`): the bootstrap built as the Makefile")
	p.line("  builds it, for this machine, under `aws-lambda-rie`, with DynamoDB Local and")
	p.line("  moto_server behind the SDK's `AWS_ENDPOINT_URL_*` variables. Time from")
	p.line("  starting the emulator process to the answer of a first event sent as soon as")
	p.line("  it accepts connections; the emulator starts the bootstrap on that invoke.")
	p.line("- **Peak RSS**: VmHWM of the bootstrap process from `/proc/PID/status`, read")
	p.line("  after a burst of %d events one at a time (the emulator takes one invoke at a", in.coldStart.Burst.Events)
	p.line("  time).")
	p.line("- **Local mode** (`infra/bench/localload`): the `functions/ingest` binary serving")
	p.line("  HTTP on loopback with its embedded bbolt store, %d clients posting new signed", in.local.Workers)
	p.line("  1 KB success events.")
	p.blank()
}

func handlerSection(p *page, in inputs) {
	p.line("## Handler CPU per event, no I/O")
	p.blank()
	p.line("| Case | CPU per event | Wall per event | Range of wall over runs | Allocated | Allocations |")
	p.line("|---|---|---|---|---|---|")
	for _, c := range handlerCases {
		b := findBench(in.bench, c.name)
		if b == nil {
			continue
		}
		cpu, _ := b.Median("cpu-ns/op")
		wall, _ := b.Median("ns/op")
		lo, hi := b.Spread("ns/op")
		bytes, _ := b.Median("B/op")
		allocs, _ := b.Median("allocs/op")
		p.line("| %s | %s | %s | %s to %s | %s | %.0f |", c.label, micro(cpu), micro(wall), micro(lo), micro(hi), kilobytes(bytes), allocs)
	}
	p.blank()
	for _, c := range []struct {
		title   string
		profile map[string]time.Duration
	}{
		{"1 KB new success event", in.profileSuccess},
		{"1 KB new failure event", in.profileFailure},
		{"1 KB duplicate", in.profileDuplicate},
	} {
		p.line("Where the time goes, %s (share of `Handle`'s cumulative CPU profile time;", c.title)
		p.line("the background garbage collector runs outside `Handle` and is shown against the same total):")
		p.blank()
		breakdownTable(p, c.profile)
	}
}

func gogcSection(p *page, in inputs) {
	p.line(`<a id="gogc"></a>`)
	p.blank()
	p.line("## Garbage collector setting")
	p.blank()
	p.line("The handler keeps little memory live between events, so with the default")
	p.line("GOGC=100 the collector runs after every few megabytes allocated. The 1 KB")
	p.line("cases and the memory run were measured again with GOGC=%d in the", in.gogc)
	p.line("environment, which lets the heap grow %d %% past the live heap before a", in.gogc)
	p.line("collection, trading memory for CPU:")
	p.blank()
	p.line("| Case | CPU per event, GOGC=100 | CPU per event, GOGC=%d |", in.gogc)
	p.line("|---|---|---|")
	for _, c := range handlerCases[:3] {
		base, experiment := findBench(in.bench, c.name), findBench(in.benchGOGC, c.name)
		if base == nil || experiment == nil {
			continue
		}
		cpu, _ := base.Median("cpu-ns/op")
		cpuGOGC, _ := experiment.Median("cpu-ns/op")
		p.line("| %s | %s | %s |", c.label, micro(cpu), micro(cpuGOGC))
	}
	p.blank()
	if b := in.coldStart.BurstGOGC; b != nil {
		p.line("Peak RSS of the bootstrap over the same burst of events: %s with GOGC=100,",
			megabytes(float64(in.coldStart.Burst.PeakRSSKB*1024)))
		p.line("%s with GOGC=%d.", megabytes(float64(b.PeakRSSKB*1024)), b.GOGC)
		p.blank()
	}
	p.line("GOGC is an environment variable of the Go runtime, so a deployment can set it")
	p.line("on the function without a code change.")
	p.blank()
}

// profileParts are the parts of Handle the breakdown lists, by function name
// suffix. Indented labels are parts of the row above them.
var profileParts = []struct{ label, suffix string }{
	{"signature check (HMAC-SHA256 of the body per secret)", "/shared/ingest.(*Handler).verify"},
	{"envelope parse and validation", "/shared/envelope.Parse"},
	{"  JSON parse (jsjson)", "/shared/jsjson.ParseCanonical"},
	{"  JSON.stringify form for the content hash", "/shared/jsjson.Append"},
	{"  catalogue check of data", "/shared/envelope.CheckData"},
	{"alert build (PHI masking, subject, attributes, body)", "/shared/alert.Build"},
	{"store write (validation, DynamoDB item encoding, copy)", "/shared/store/memstore.(*Store).Create"},
	{"  DynamoDB item encoding and size check", "/shared/store/internal/ddbitem.Encode"},
	{"publish and mark the alert published", "/shared/ingest.(*Handler).publish"},
	{"request log line (log/slog JSON)", "/shared/ingest.(*Handler).logOutcome"},
	{"EMF metrics", "/shared/metrics.(*EMF).Record"},
	{"garbage collection, background workers", "runtime.gcBgMarkWorker"},
}

func breakdownTable(p *page, profile map[string]time.Duration) {
	total, ok := cumulative(profile, "/shared/ingest.(*Handler).Handle")
	if !ok || total <= 0 {
		p.line("(The profile has no `Handle` samples.)")
		p.blank()
		return
	}
	p.line("| Part | Share |")
	p.line("|---|---|")
	for _, part := range profileParts {
		d, ok := cumulative(profile, part.suffix)
		if !ok {
			continue
		}
		label := part.label
		if strings.HasPrefix(label, "  ") {
			label = "&nbsp;&nbsp;&nbsp;&nbsp;" + strings.TrimSpace(label)
		}
		p.line("| %s | %.0f %% |", label, 100*float64(d)/float64(total))
	}
	p.blank()
}

// entryParts are the parts of the Lambda entry point the page lists, by
// function name suffix.
var entryParts = []struct{ label, suffix string }{
	{"decoding the API Gateway event (encoding/json)", "encoding/json.Unmarshal"},
	{"building the request headers (http.Header)", "/shared/apigw.headerOf"},
	{"the handler (`Handle`)", "/shared/ingest.(*Handler).Handle"},
	{"building the response", "/shared/apigw.flatten"},
	{"garbage collection, background workers", gcWorker},
}

func entryTable(p *page, profile map[string]time.Duration) {
	total, ok := cumulative(profile, "Handler.func1")
	if !ok || total <= 0 {
		p.line("(The profile has no samples of the entry point.)")
		p.blank()
		return
	}
	p.line("| Part of the entry point | Share |")
	p.line("|---|---|")
	for _, part := range entryParts {
		if d, ok := cumulative(profile, part.suffix); ok {
			p.line("| %s | %.0f %% |", part.label, 100*float64(d)/float64(total))
		}
	}
	p.blank()
}

// componentBenches are the benchmarks of the handler's parts.
var componentBenches = []string{
	"BenchmarkHandler",
	"BenchmarkVerifyRaw/1KB", "BenchmarkVerifyRaw/100KB",
	"BenchmarkVerifyReserialized/1KB", "BenchmarkVerifyReserialized/100KB",
	"BenchmarkCanonical/1KB", "BenchmarkCanonical/100KB",
	"BenchmarkParse/success/1KB", "BenchmarkParse/failure/1KB",
	"BenchmarkParse/success/100KB", "BenchmarkParse/failure/100KB",
	"BenchmarkParseJSON/success/1KB", "BenchmarkParseJSON/success/100KB",
	"BenchmarkCheckData/success/1KB", "BenchmarkCheckData/failure/1KB",
	"BenchmarkBuild", "BenchmarkBuildEvent/1KB", "BenchmarkBuildEvent/100KB",
	"BenchmarkMessage/1KB", "BenchmarkMessage/100KB",
	"BenchmarkEMFRecord",
}

func componentSection(p *page, in inputs) {
	p.line("## Parts of the handler")
	p.blank()
	p.line("Medians of %s, with `-benchmem`. `BenchmarkHandler` is the Lambda entry", runsText(in.bench))
	p.line("point: it decodes an HTTP API event of a 1 KB duplicate, handles it and builds")
	p.line("the response, so its difference from the duplicate case above is the API")
	p.line("Gateway layer. Its CPU profile splits it as follows:")
	p.blank()
	entryTable(p, in.profileEntry)
	p.line("| Benchmark | Package | Time | Throughput | Allocated | Allocations |")
	p.line("|---|---|---|---|---|---|")
	for _, name := range componentBenches {
		b := findBench(in.bench, name)
		if b == nil {
			continue
		}
		ns, _ := b.Median("ns/op")
		throughput := ""
		if mbs, ok := b.Median("MB/s"); ok {
			throughput = fmt.Sprintf("%.0f MB/s", mbs)
		}
		bytes, _ := b.Median("B/op")
		allocs, _ := b.Median("allocs/op")
		p.line("| `%s` | `%s` | %s | %s | %s | %.0f |", name, shortPkg(b.Pkg), micro(ns), throughput, kilobytes(bytes), allocs)
	}
	p.blank()
}

func dynamoSection(p *page, in inputs) {
	p.line("## Throughput on DynamoDB Local")
	p.blank()
	p.line("New %d-byte success events. Latency is per request, from the client's call", in.dynamo.Bytes)
	p.line("to its answer. Per-round ratios show how much rounds differ.")
	p.blank()
	p.line("| Workers | Loop | Requests/s | p50 | p95 | p99 | Ratio (b)/(a) | Ratio per round |")
	p.line("|---|---|---|---|---|---|---|---|")
	for _, level := range in.dynamo.Levels {
		var rounds []string
		for _, r := range level.RoundRatios {
			rounds = append(rounds, fmt.Sprintf("%.2f", r))
		}
		p.line("| %d | (a) bare PutItem | %.0f | %.2f ms | %.2f ms | %.2f ms | | |",
			level.Workers, level.Bare.PerSecond, level.Bare.P50Ms, level.Bare.P95Ms, level.Bare.P99Ms)
		p.line("| %d | (b) handler | %.0f | %.2f ms | %.2f ms | %.2f ms | %.2f | %s |",
			level.Workers, level.Handler.PerSecond, level.Handler.P50Ms, level.Handler.P95Ms, level.Handler.P99Ms,
			level.Ratio, strings.Join(rounds, ", "))
	}
	p.blank()
	p.line("The client, the handler and DynamoDB Local's JVM share the same %d cores, so", in.machine.Cores)
	p.line("at the higher worker count the loops measure how much CPU each request takes")
	p.line("from the JVM as much as the request's own latency.")
	p.blank()
}

func coldStartSection(p *page, in inputs) {
	c := in.coldStart
	p.line("## Cold start and memory under the Lambda RIE")
	p.blank()
	p.line("| Run | First answer | Emulator listening | Init phase (bootstrap exec to first request for work) |")
	p.line("|---|---|---|---|")
	for i, first := range c.FirstAnswerMs {
		listen, init := "", ""
		if i < len(c.ListenMs) {
			listen = fmt.Sprintf("%.1f ms", c.ListenMs[i])
		}
		if i < len(c.InitMs) {
			init = fmt.Sprintf("%.1f ms", c.InitMs[i])
		}
		p.line("| %d | %.1f ms | %s | %s |", i+1, first, listen, init)
	}
	p.line("| median | %.1f ms | | %.1f ms |", c.MedianFirstMs, c.MedianInitMs)
	p.blank()
	var mix []string
	for label, n := range c.Burst.Mix {
		mix = append(mix, fmt.Sprintf("%d %s", n, label))
	}
	slices.Sort(mix)
	p.line("Memory run: after the first event, %d events one at a time (%s).", c.Burst.Events, strings.Join(mix, ", "))
	p.line("Invoke round trips through the emulator: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms.",
		c.Burst.Invoke.P50Ms, c.Burst.Invoke.P95Ms, c.Burst.Invoke.P99Ms)
	p.line("The bootstrap's peak RSS (VmHWM) was %s, and its RSS at the end %s.",
		megabytes(float64(c.Burst.PeakRSSKB*1024)), megabytes(float64(c.Burst.RSSKB*1024)))
	p.blank()
	p.line("NOTE: the emulator is not the Lambda service. AWS adds its own sandbox start")
	p.line("before the bootstrap runs, and real DynamoDB, SNS and Secrets Manager answer")
	p.line("over TLS from another host, so a deployed cold start takes longer than this.")
	p.blank()
}

func localSection(p *page, in inputs) {
	l := in.local
	p.line("## Local mode")
	p.blank()
	p.line("`functions/ingest` serving HTTP on loopback with its embedded bbolt store on")
	p.line("%s, %d clients posting new %d-byte success events after %d untimed ones:",
		orUnknown(l.DataDirFS), l.Workers, l.Bytes, l.Warmup)
	p.blank()
	p.line("| Requests/s | p50 | p95 | p99 | Max | Server peak RSS |")
	p.line("|---|---|---|---|---|---|")
	p.line("| %.0f | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %s |", l.Summary.PerSecond,
		l.Summary.P50Ms, l.Summary.P95Ms, l.Summary.P99Ms, l.Summary.MaxMs, megabytes(float64(l.PeakRSSKB*1024)))
	p.blank()
	p.line("The embedded store writes through bbolt's Batch, so concurrent events share")
	p.line("one transaction and one fsync before their answers: the disk's sync latency")
	p.line("and the batch delay set the latency here.")
	p.blank()
}

func reproduceSection(p *page, in inputs) {
	p.line("## Reproduce")
	p.blank()
	p.line("```sh")
	p.line("infra/bench/run.sh")
	p.line("```")
	p.blank()
	p.line("It needs what `infra/test.sh` needs (Go, Java 17, Node.js and npm,")
	p.line("moto_server). It starts its own stand-ins with `infra/stack/up.sh`, runs")
	p.line("every measurement above, stops the stand-ins, and rewrites this page. The")
	p.line("run that wrote this page took %.1f minutes. Settings, all optional:",
		in.finished.Sub(in.started).Minutes())
	p.blank()
	p.line("| Variable | Default | Meaning |")
	p.line("|---|---|---|")
	p.line("| `COBALT_BENCH_COUNT` | `5` | `-count` of the Go benchmarks |")
	p.line("| `COBALT_BENCH_RESULTS` | a new temporary folder | where raw results, profiles and logs are kept |")
	p.line("| `COBALT_BENCH_OUT` | `BENCHMARKS.md` | the page to write |")
	p.line("| `COBALT_STACK_DIR` | `.stack/bench.PID` | the stand-ins' folder |")
	p.blank()
	p.line("One part alone, against stand-ins started with `infra/stack/up.sh` and its")
	p.line("`env` file sourced:")
	p.blank()
	p.line("```sh")
	p.line("go test -run '^$' -bench . -benchmem ./shared/ingest ./shared/apigw")
	p.line("go run ./infra/bench/load -workers 1,8")
	p.line("CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags '-s -w' -o /tmp/bootstrap ./functions/ingest")
	p.line("go run ./infra/bench/coldstart -bootstrap /tmp/bootstrap")
	p.line("go build -o /tmp/ingest ./functions/ingest && go run ./infra/bench/localload -bin /tmp/ingest")
	p.line("```")
	p.blank()
}

// runsText describes how many runs each benchmark median is taken over.
func runsText(stats []*benchStat) string {
	runs := 0
	for _, b := range stats {
		if runs == 0 || b.Runs < runs {
			runs = b.Runs
		}
	}
	if runs == 1 {
		return "a single run (`-count 1`)"
	}
	return fmt.Sprintf("%d runs (`-count %d`)", runs, runs)
}

func workersText(n int) string {
	if n == 1 {
		return "1 worker"
	}
	return fmt.Sprintf("%d workers", n)
}

func anchor(benchName string) string {
	name := strings.TrimPrefix(benchName, "Benchmark")
	name = strings.NewReplacer("/", "-", " ", "-").Replace(strings.ToLower(name))
	return "cpu-" + name
}

func micro(ns float64) string {
	if ns >= 1e6 {
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return fmt.Sprintf("%.1f µs", ns/1e3)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func megabytes(bytes float64) string { return fmt.Sprintf("%.1f MB", bytes/1e6) }

func kilobytes(bytes float64) string {
	if bytes >= 1e6 {
		return fmt.Sprintf("%.2f MB", bytes/1e6)
	}
	return fmt.Sprintf("%.1f KB", bytes/1e3)
}

// overBy returns how far measured exceeds target, formatted, with the
// percentage.
func overBy(measured, target float64, format func(float64) string) string {
	return fmt.Sprintf("%s (%.0f %%)", format(measured-target), 100*(measured-target)/target)
}

func shortPkg(pkg string) string {
	if i := strings.Index(pkg, "/shared/"); i >= 0 {
		return pkg[i+1:]
	}
	return pkg
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
