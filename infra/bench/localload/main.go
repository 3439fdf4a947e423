// Command localload measures local mode. It starts the ingest binary with no
// Lambda runtime around it, so that it serves HTTP on a loopback port with
// its embedded store. Several goroutines then post new signed success events
// to it for a fixed time. It writes throughput, latency percentiles and the
// server's peak resident memory as JSON, then stops the server and removes
// its data folder.
//
// Usage:
//
//	go build -o /tmp/ingest ./functions/ingest
//	go run ./infra/bench/localload -bin /tmp/ingest -out local.json
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clinicops/cobalt-receiver/infra/bench/workload"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

const secret = signature.Secret("whsec_bench_local")

// options are the command-line settings.
type options struct {
	bin      string
	workers  int
	duration time.Duration
	warmup   int
	size     int
	dataDir  string
	out      string
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "localload:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "localload:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("localload", flag.ContinueOnError)
	var opts options
	fs.StringVar(&opts.bin, "bin", "", "path of the ingest binary (required)")
	fs.IntVar(&opts.workers, "workers", 8, "concurrent clients")
	fs.DurationVar(&opts.duration, "duration", 8*time.Second, "length of the timed run")
	fs.IntVar(&opts.warmup, "warmup", 500, "untimed requests sent first")
	fs.IntVar(&opts.size, "size", workload.SizeTypical, "event body size in bytes")
	fs.StringVar(&opts.dataDir, "data", "", "parent folder of the server's data folder (default the system temporary folder)")
	fs.StringVar(&opts.out, "out", "", "file for the JSON results (default standard output)")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if opts.bin == "" {
		return opts, errors.New("-bin is required")
	}
	if opts.workers < 1 || opts.duration <= 0 || opts.warmup < 0 {
		return opts, errors.New("-workers and -duration must be positive and -warmup not negative")
	}
	return opts, nil
}

// Results is the JSON document localload writes.
type Results struct {
	Workers int              `json:"workers"`
	Bytes   int              `json:"event_bytes"`
	Warmup  int              `json:"warmup_requests"`
	Summary workload.Summary `json:"summary"`
	// PeakRSSKB is the server's VmHWM at the end of the run, in KiB.
	PeakRSSKB int64 `json:"peak_rss_kib"`
	// DataDirFS is the file system type of the data folder, which decides
	// what each bbolt commit's fsync costs.
	DataDirFS string `json:"data_dir_fs"`
}

func run(ctx context.Context, opts options) error {
	dataDir, err := os.MkdirTemp(opts.dataDir, "cobalt-localload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)

	srv, err := startServer(opts.bin, dataDir)
	if err != nil {
		return err
	}
	defer srv.stop()

	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: opts.workers, Proxy: nil},
	}
	tmpl := workload.NewTemplate(workload.Success, opts.size)
	post := func(prefix string) func(seq int64) workload.Op {
		return func(seq int64) workload.Op {
			id := workload.ID(prefix, seq)
			body := tmpl.Body(id)
			sig := signature.Sign(body, secret)
			return func(ctx context.Context) error { return send(ctx, client, srv.url, id, body, sig) }
		}
	}

	if _, err := workload.Run(ctx, opts.workers, workload.Limit{Requests: int64(opts.warmup)}, post("local-warm")); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	result, err := workload.Run(ctx, opts.workers, workload.Limit{Duration: opts.duration}, post("local-timed"))
	if err != nil {
		return fmt.Errorf("timed run: %w", err)
	}
	res := Results{
		Workers: opts.workers, Bytes: tmpl.Len(), Warmup: opts.warmup,
		Summary: result.Summary(), DataDirFS: fileSystem(dataDir),
	}
	if res.PeakRSSKB, err = peakRSS(srv.cmd.Process.Pid); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "localload: %d workers: %.0f/s, p50 %.2f ms, p99 %.2f ms\n",
		opts.workers, res.Summary.PerSecond, res.Summary.P50Ms, res.Summary.P99Ms)
	return writeJSON(opts.out, res)
}

// send posts one event and returns an error unless it was stored.
func send(ctx context.Context, client *http.Client, url, id string, body []byte, sig string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signature.HeaderName, sig)
	req.Header.Set("Webhook-Id", id)
	req.Header.Set("Webhook-Attempt", "1")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(answer, []byte(`{"status":"stored"`)) {
		return fmt.Errorf("event %s: unexpected response %d %s", id, resp.StatusCode, answer)
	}
	return nil
}

// server is the local-mode process.
type server struct {
	cmd    *exec.Cmd
	exited chan error
	url    string
}

// startServer starts bin in local mode on a free loopback port and waits
// for its health check.
func startServer(bin, dataDir string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()

	s := &server{exited: make(chan error, 1), url: "http://" + addr + "/webhooks/cobalt"}
	s.cmd = exec.Command(bin)
	s.cmd.Env = []string{
		"LISTEN_ADDR=" + addr,
		"DATA_DIR=" + dataDir,
		"COBALT_WEBHOOK_SECRETS=" + string(secret),
		"PATH=" + os.Getenv("PATH"),
	}
	// Logs go nowhere: one line per request would otherwise be written to a
	// terminal or file that the measurement does not mean to include.
	s.cmd.Stdout, s.cmd.Stderr = nil, nil
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.exited <- s.cmd.Wait() }()

	health := "http://" + addr + "/healthz"
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.exited:
			return nil, fmt.Errorf("%s exited during start-up: %v", bin, err)
		default:
		}
		resp, err := http.Get(health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("%s: %s did not return 200 within 15 s", bin, health)
}

// stop sends SIGTERM and waits up to 10 s, then sends SIGKILL.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// peakRSS returns the VmHWM of pid in KiB.
func peakRSS(pid int) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read memory of the server (PID %d): %w", pid, err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if value, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fields := strings.Fields(value)
			if len(fields) > 0 {
				return strconv.ParseInt(fields[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// fileSystem returns the type of the file system holding path, as
// /proc/self/mounts names it, or "" when it cannot tell.
func fileSystem(path string) string {
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return ""
	}
	best, fsType := "", ""
	for _, line := range strings.Split(string(mounts), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 3 {
			continue
		}
		mount := fields[1]
		if (path == mount || strings.HasPrefix(path, strings.TrimSuffix(mount, "/")+"/")) && len(mount) > len(best) {
			best, fsType = mount, fields[2]
		}
	}
	return fsType
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
