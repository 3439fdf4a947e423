package main

import (
	"strings"
	"testing"
	"time"
)

const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/clinicops/cobalt-receiver/shared/ingest
cpu: Intel(R) Xeon(R) Processor
BenchmarkHandle/1KB/new-success-2   	   24760	     44134 ns/op	  24.31 MB/s	     58895 cpu-ns/op	   26442 B/op	     128 allocs/op
BenchmarkHandle/1KB/new-success-2   	   24760	     40000 ns/op	  24.31 MB/s	     30000 cpu-ns/op	   26442 B/op	     128 allocs/op
BenchmarkHandle/1KB/new-success-2   	   24760	     42000 ns/op	  24.31 MB/s	     31000 cpu-ns/op	   26442 B/op	     128 allocs/op
PASS
ok  	github.com/clinicops/cobalt-receiver/shared/ingest	7.769s
pkg: github.com/clinicops/cobalt-receiver/shared/metrics
BenchmarkEMFRecord-2   	 4197015	       358.0 ns/op	     304 B/op	       2 allocs/op
BenchmarkEMFRecord-2   	 3321730	       513.2 ns/op	     304 B/op	       2 allocs/op
--- FAIL: TestSomething
BenchmarkBroken-2 not a result line
`

func TestParseBench(t *testing.T) {
	stats, err := parseBench(strings.NewReader(benchOutput))
	if err != nil {
		t.Fatalf("parseBench: %v", err)
	}
	if len(stats) != 2 {
		t.Fatalf("parseBench found %d benchmarks, want 2", len(stats))
	}

	handle := findBench(stats, "BenchmarkHandle/1KB/new-success")
	if handle == nil {
		t.Fatal("BenchmarkHandle/1KB/new-success not found")
	}
	if handle.Pkg != "github.com/clinicops/cobalt-receiver/shared/ingest" {
		t.Errorf("package %q, want shared/ingest", handle.Pkg)
	}
	if handle.Runs != 3 {
		t.Errorf("runs %d, want 3", handle.Runs)
	}
	tests := []struct {
		unit string
		want float64
	}{
		{"ns/op", 42000},
		{"cpu-ns/op", 31000},
		{"B/op", 26442},
		{"allocs/op", 128},
		{"MB/s", 24.31},
	}
	for _, tt := range tests {
		got, ok := handle.Median(tt.unit)
		if !ok || got != tt.want {
			t.Errorf("median %s = %v, %v; want %v", tt.unit, got, ok, tt.want)
		}
	}
	if lo, hi := handle.Spread("ns/op"); lo != 40000 || hi != 44134 {
		t.Errorf("ns/op spread %v to %v, want 40000 to 44134", lo, hi)
	}

	emf := findBench(stats, "BenchmarkEMFRecord")
	if emf == nil {
		t.Fatal("BenchmarkEMFRecord not found")
	}
	if got, _ := emf.Median("ns/op"); got != (358.0+513.2)/2 {
		t.Errorf("median of two runs = %v, want their mean", got)
	}
	if _, ok := emf.Median("cpu-ns/op"); ok {
		t.Errorf("BenchmarkEMFRecord has a cpu-ns/op median, but reported none")
	}
}

func TestTrimProcs(t *testing.T) {
	tests := map[string]string{
		"BenchmarkHandle/1KB/new-success-2": "BenchmarkHandle/1KB/new-success",
		"BenchmarkEMFRecord-16":             "BenchmarkEMFRecord",
		"BenchmarkHandle/1KB/new-success":   "BenchmarkHandle/1KB/new-success",
		"BenchmarkX/a-b":                    "BenchmarkX/a-b",
	}
	for in, want := range tests {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

const profileOutput = `File: ingest.test
Type: cpu
Showing nodes accounting for 3.07s, 58.81% of 5.22s total
      flat  flat%   sum%        cum   cum%
         0     0%     0%      3.43s 65.71%  github.com/clinicops/cobalt-receiver/shared/ingest.(*Handler).Handle
     0.01s  0.19%  0.19%      1.60s 30.65%  github.com/clinicops/cobalt-receiver/shared/envelope.Parse
         0     0%  0.19%      1.10s 21.07%  github.com/clinicops/cobalt-receiver/shared/jsjson.ParseCanonical
         0     0%  0.19%      300ms  5.75%  github.com/clinicops/cobalt-receiver/shared/jsjson.StringifySorted (inline)
     0.25s  4.79%  4.98%      0.32s  6.13%  runtime.tryDeferToSpanScan
         0     0%  4.98%      0.40s  7.66%  runtime.gcBgMarkWorker
`

func TestParseProfileTop(t *testing.T) {
	profile, err := parseProfileTop(strings.NewReader(profileOutput))
	if err != nil {
		t.Fatalf("parseProfileTop: %v", err)
	}
	tests := []struct {
		suffix string
		want   time.Duration
	}{
		{"/shared/ingest.(*Handler).Handle", 3430 * time.Millisecond},
		{"/shared/envelope.Parse", 1600 * time.Millisecond},
		{"/shared/jsjson.ParseCanonical", 1100 * time.Millisecond},
		{"/shared/jsjson.StringifySorted", 300 * time.Millisecond},
		{"runtime.tryDeferToSpanScan", 320 * time.Millisecond},
	}
	for _, tt := range tests {
		got, ok := cumulative(profile, tt.suffix)
		if !ok || got != tt.want {
			t.Errorf("cumulative(%s) = %v, %v; want %v", tt.suffix, got, ok, tt.want)
		}
	}
	if _, ok := cumulative(profile, "/shared/alert.Build"); ok {
		t.Errorf("cumulative found alert.Build, which the profile lacks")
	}
}

const entryProfileOutput = `      flat  flat%   sum%        cum   cum%
     0.02s  0.34%  0.34%      4.00s 82.29%  github.com/clinicops/cobalt-receiver/shared/apigw_test.BenchmarkHandler.Handler.func1
         0     0%  0.34%      2.00s 39.80%  encoding/json.Unmarshal
         0     0%  0.34%      1.00s 34.91%  github.com/clinicops/cobalt-receiver/shared/ingest.(*Handler).Handle
`

// testInputs returns inputs in which every target is met.
func testInputs(t *testing.T) inputs {
	t.Helper()
	var output strings.Builder
	output.WriteString("pkg: github.com/clinicops/cobalt-receiver/shared/ingest\n")
	for _, c := range handlerCases {
		output.WriteString(c.name + "-2 100 20000 ns/op 21000 cpu-ns/op 9000 B/op 50 allocs/op\n")
	}
	stats, err := parseBench(strings.NewReader(output.String()))
	if err != nil {
		t.Fatal(err)
	}
	gogc, err := parseBench(strings.NewReader(strings.ReplaceAll(output.String(), "21000 cpu-ns/op", "18000 cpu-ns/op")))
	if err != nil {
		t.Fatal(err)
	}
	profile, err := parseProfileTop(strings.NewReader(profileOutput))
	if err != nil {
		t.Fatal(err)
	}
	entry, err := parseProfileTop(strings.NewReader(entryProfileOutput))
	if err != nil {
		t.Fatal(err)
	}
	in := inputs{
		started:  time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC),
		finished: time.Date(2026, 12, 4, 16, 4, 30, 0, time.UTC),
		machine:  machine{CPU: "Test CPU", Cores: 2, Go: "go1.26.8"},
		load:     []loadSample{{Phase: "go-benchmarks", One: 1.5, Five: 1.2, Fifteen: 1.0}},
		bench:    stats, profileSuccess: profile, profileFailure: profile, profileDuplicate: profile,
		profileEntry: entry,
		gogc:         200, benchGOGC: gogc,
		bootstrapBytes: 12_000_000, bootstrapArm64Bytes: 11_000_000, nativeArch: "amd64",
	}
	in.dynamo.Bytes = 1073
	in.dynamo.Levels = append(in.dynamo.Levels, struct {
		Workers     int       `json:"workers"`
		Bare        summary   `json:"bare_putitem"`
		Handler     summary   `json:"handler"`
		Ratio       float64   `json:"ratio"`
		RoundRatios []float64 `json:"round_ratios"`
	}{Workers: 8, Bare: summary{PerSecond: 2000}, Handler: summary{PerSecond: 1900}, Ratio: 0.95, RoundRatios: []float64{0.9, 1.0}})
	in.coldStart.Runs = 3
	in.coldStart.FirstAnswerMs = []float64{30, 25, 20}
	in.coldStart.MedianFirstMs = 25
	in.coldStart.Burst.Events = 300
	in.coldStart.Burst.PeakRSSKB = 25_000
	in.coldStart.BurstGOGC = &burstResults{GOGC: 200, PeakRSSKB: 30_000}
	return in
}

func TestRenderAllMet(t *testing.T) {
	out, err := render(testInputs(t))
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	page := string(out)
	if strings.Contains(page, "**missed**") {
		t.Errorf("page reports a miss, want every target met:\n%s", page)
	}
	for _, want := range []string{
		"| Handler CPU per event, no I/O: 1 KB, new success event | < 25 µs | 21.0 µs CPU (20.0 µs wall) | met |",
		"DynamoDB Local, 8 workers | ≥ 0.80 | 0.95 (1900/s vs 2000/s) | met |",
		"| Cold start to first answer under the Lambda RIE, median of 3 | < 100 ms | 25.0 ms | met |",
		"| bootstrap binary size, linux/arm64 (deployed) | < 15 MB | 11.0 MB | met |",
		"Every target was met in this run.",
		"| go-benchmarks | 1.50 | 1.20 | 1.00 |",
		"took 4.5 minutes",
		"| 1 KB, new success event | 21.0 µs | 18.0 µs |",
		"25.6 MB with GOGC=100,\n30.7 MB with GOGC=200.",
		"| decoding the API Gateway event (encoding/json) | 50 % |",
		"| the handler (`Handle`) | 25 % |",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestRenderMisses(t *testing.T) {
	in := testInputs(t)
	var output strings.Builder
	output.WriteString("pkg: github.com/clinicops/cobalt-receiver/shared/ingest\n")
	for _, c := range handlerCases {
		output.WriteString(c.name + "-2 100 28000 ns/op 30000 cpu-ns/op 9000 B/op 50 allocs/op\n")
	}
	var err error
	if in.bench, err = parseBench(strings.NewReader(output.String())); err != nil {
		t.Fatal(err)
	}
	in.dynamo.Levels[0].Ratio = 0.7
	in.coldStart.MedianFirstMs = 150
	in.bootstrapArm64Bytes = 16_000_000
	in.coldStart.Burst.PeakRSSKB = 50_000

	out, err := render(in)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	page := string(out)
	for _, want := range []string{
		"| 30.0 µs CPU (28.0 µs wall) | **missed** by 5.0 µs (20 %) ([why](#cpu-handle-1kb-new-success)) |",
		`<a id="cpu-handle-1kb-new-success"></a>`,
		"**missed** by 0.10 ([why](#throughput-ratio-8-workers))",
		`<a id="throughput-ratio-8-workers"></a>`,
		"| 150.0 ms | **missed** by 50.0 ms ([why](#cold-start)) |",
		"| 16.0 MB | **missed** by 1.0 MB ([why](#binary-size)) |",
		"| 51.2 MB | **missed** by 11.2 MB ([why](#peak-rss)) |",
		"CPU time exceeds it because the garbage",
		"- envelope parse and validation: 47 %",
		"Setting GOGC=200 on the function measured 18.0 µs of CPU per event for this case, with a peak RSS of 30.7 MB ([GOGC](#gogc)).",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "Every target was met") {
		t.Errorf("page says every target was met despite the misses")
	}
}
