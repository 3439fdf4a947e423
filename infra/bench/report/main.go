// Command report writes BENCHMARKS.md from the results that infra/bench/run.sh
// collects: Go benchmark output, CPU profiles of the handler, and the JSON
// results of the load, coldstart and localload commands. It compares each
// result with its target and, for each miss, states by how much, why, and
// what would close it.
//
// Usage:
//
//	go run ./infra/bench/report -results DIR -bootstrap bin/bootstrap \
//	    -bootstrap-arm64 bin/bootstrap-arm64 -out BENCHMARKS.md
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Files that run.sh writes into the results folder.
const (
	fileGoBench        = "gobench.txt"
	fileGoBenchGOGC    = "gobench-gogc.txt"
	fileProfileSuccess = "profile-success.txt"
	fileProfileFailure = "profile-failure.txt"
	fileProfileDup     = "profile-duplicate.txt"
	fileProfileEntry   = "profile-entry.txt"
	fileLoad           = "load.json"
	fileColdStart      = "coldstart.json"
	fileLocal          = "local.json"
	fileLoadAverage    = "loadavg.txt"
)

// options are the command-line settings.
type options struct {
	results        string
	bootstrap      string
	bootstrapArm64 string
	gogc           int
	started        string
	out            string
}

func main() {
	var opts options
	flag.StringVar(&opts.results, "results", "", "folder of the results run.sh collected (required)")
	flag.StringVar(&opts.bootstrap, "bootstrap", "", "bootstrap built for this machine, as measured (required)")
	flag.StringVar(&opts.bootstrapArm64, "bootstrap-arm64", "", "bootstrap cross-compiled for linux/arm64 (required)")
	flag.IntVar(&opts.gogc, "gogc", 0, "GOGC of the garbage collector experiment (required)")
	flag.StringVar(&opts.started, "started", "", "start time of the run, RFC 3339 (default now)")
	flag.StringVar(&opts.out, "out", "BENCHMARKS.md", "file to write")
	flag.Parse()
	if err := run(opts); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// inputs are every result the page is rendered from.
type inputs struct {
	started time.Time
	// finished is when the report was rendered, the end of the run.
	finished time.Time
	machine  machine
	load     []loadSample

	bench []*benchStat
	// gogc is the GOGC of the garbage collector experiment, and benchGOGC
	// the 1 KB handler cases measured with it.
	gogc           int
	benchGOGC      []*benchStat
	profileSuccess map[string]time.Duration
	profileFailure map[string]time.Duration
	// profileDuplicate is the profile of the 1 KB duplicate case.
	profileDuplicate map[string]time.Duration
	// profileEntry is the profile of the Lambda entry point,
	// BenchmarkHandler of shared/apigw.
	profileEntry map[string]time.Duration

	dynamo    loadResults
	coldStart coldStartResults
	local     localResults

	bootstrapBytes, bootstrapArm64Bytes int64
	nativeArch                          string
}

func run(opts options) error {
	if opts.results == "" || opts.bootstrap == "" || opts.bootstrapArm64 == "" || opts.gogc <= 0 {
		return errors.New("-results, -bootstrap, -bootstrap-arm64 and a positive -gogc are required")
	}
	now := time.Now().UTC()
	in := inputs{started: now, finished: now, machine: readMachine(), gogc: opts.gogc}
	if opts.started != "" {
		t, err := time.Parse(time.RFC3339, opts.started)
		if err != nil {
			return fmt.Errorf("-started: %w", err)
		}
		in.started = t.UTC()
	}
	path := func(name string) string { return filepath.Join(opts.results, name) }

	var err error
	if in.load, err = readLoad(path(fileLoadAverage)); err != nil {
		return err
	}
	if in.bench, err = readBench(path(fileGoBench)); err != nil {
		return err
	}
	if in.benchGOGC, err = readBench(path(fileGoBenchGOGC)); err != nil {
		return err
	}
	if in.profileSuccess, err = readProfile(path(fileProfileSuccess)); err != nil {
		return err
	}
	if in.profileFailure, err = readProfile(path(fileProfileFailure)); err != nil {
		return err
	}
	if in.profileDuplicate, err = readProfile(path(fileProfileDup)); err != nil {
		return err
	}
	if in.profileEntry, err = readProfile(path(fileProfileEntry)); err != nil {
		return err
	}
	for name, target := range map[string]any{fileLoad: &in.dynamo, fileColdStart: &in.coldStart, fileLocal: &in.local} {
		if err := readJSON(path(name), target); err != nil {
			return err
		}
	}
	if in.bootstrapBytes, err = fileSize(opts.bootstrap); err != nil {
		return err
	}
	if in.bootstrapArm64Bytes, err = fileSize(opts.bootstrapArm64); err != nil {
		return err
	}
	in.nativeArch = runtime.GOARCH

	page, err := render(in)
	if err != nil {
		return err
	}
	return os.WriteFile(opts.out, page, 0o644)
}

func readBench(path string) ([]*benchStat, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	stats, err := parseBench(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(stats) == 0 {
		return nil, fmt.Errorf("%s holds no benchmark result", path)
	}
	return stats, nil
}

func readProfile(path string) (map[string]time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	profile, err := parseProfileTop(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return profile, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func fileSize(path string) (int64, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// summary is a workload.Summary as the commands write it.
type summary struct {
	Requests  int     `json:"requests"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	P50Ms     float64 `json:"p50_ms"`
	P95Ms     float64 `json:"p95_ms"`
	P99Ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
}

// loadResults is the JSON document of the load command.
type loadResults struct {
	Bytes    int     `json:"event_bytes"`
	ItemAttr int     `json:"item_attributes"`
	Warmup   int     `json:"warmup_requests"`
	Rounds   int     `json:"rounds"`
	RoundSec float64 `json:"round_seconds"`
	Levels   []struct {
		Workers     int       `json:"workers"`
		Bare        summary   `json:"bare_putitem"`
		Handler     summary   `json:"handler"`
		Ratio       float64   `json:"ratio"`
		RoundRatios []float64 `json:"round_ratios"`
	} `json:"levels"`
}

// coldStartResults is the JSON document of the coldstart command.
type coldStartResults struct {
	Runs          int           `json:"runs"`
	FirstAnswerMs []float64     `json:"first_answer_ms"`
	ListenMs      []float64     `json:"listen_ms"`
	InitMs        []float64     `json:"init_ms"`
	MedianFirstMs float64       `json:"median_first_answer_ms"`
	MedianInitMs  float64       `json:"median_init_ms"`
	Burst         burstResults  `json:"burst"`
	BurstGOGC     *burstResults `json:"burst_gogc"`
}

// burstResults describe one memory run of the coldstart command.
type burstResults struct {
	Events    int            `json:"events"`
	Mix       map[string]int `json:"mix"`
	Invoke    summary        `json:"invoke"`
	GOGC      int            `json:"gogc"`
	PeakRSSKB int64          `json:"peak_rss_kib"`
	RSSKB     int64          `json:"rss_kib"`
}

// localResults is the JSON document of the localload command.
type localResults struct {
	Workers   int     `json:"workers"`
	Bytes     int     `json:"event_bytes"`
	Warmup    int     `json:"warmup_requests"`
	Summary   summary `json:"summary"`
	PeakRSSKB int64   `json:"peak_rss_kib"`
	DataDirFS string  `json:"data_dir_fs"`
}
