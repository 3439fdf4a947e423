package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchStat is one Go benchmark over all its runs (-count), as medians.
type benchStat struct {
	// Name is the benchmark name without the -GOMAXPROCS suffix.
	Name string
	// Pkg is the import path of the benchmark's package.
	Pkg  string
	Runs int
	// values holds every run's value of each unit, such as "ns/op".
	values map[string][]float64
}

// Median returns the median of unit over the runs, and whether any run
// reported unit.
func (b *benchStat) Median(unit string) (float64, bool) {
	v := b.values[unit]
	if len(v) == 0 {
		return 0, false
	}
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2], true
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2, true
}

// Spread returns the smallest and largest value of unit over the runs.
func (b *benchStat) Spread(unit string) (lo, hi float64) {
	v := b.values[unit]
	if len(v) == 0 {
		return 0, 0
	}
	return slices.Min(v), slices.Max(v)
}

// parseBench reads `go test -bench` output and returns the benchmarks in
// order of first appearance. Lines other than "pkg:" and result lines are
// ignored.
func parseBench(r io.Reader) ([]*benchStat, error) {
	var (
		order []*benchStat
		byKey = map[string]*benchStat{}
		pkg   string
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		// Name, iterations, then value and unit pairs.
		if len(fields) < 4 || len(fields)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue
		}
		name := trimProcs(fields[0])
		key := pkg + " " + name
		b := byKey[key]
		if b == nil {
			b = &benchStat{Name: name, Pkg: pkg, values: map[string][]float64{}}
			byKey[key] = b
			order = append(order, b)
		}
		b.Runs++
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark %s: value %q of %s: %w", name, fields[i], fields[i+1], err)
			}
			b.values[fields[i+1]] = append(b.values[fields[i+1]], v)
		}
	}
	return order, sc.Err()
}

// trimProcs removes the -GOMAXPROCS suffix that go test adds to a name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// findBench returns the benchmark named name, or nil.
func findBench(stats []*benchStat, name string) *benchStat {
	for _, b := range stats {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// parseProfileTop reads the output of `go tool pprof -top -cum` and returns
// each function's cumulative time.
func parseProfileTop(r io.Reader) (map[string]time.Duration, error) {
	cum := map[string]time.Duration{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// flat flat% sum% cum cum% name...
		if len(fields) < 6 || !strings.HasSuffix(fields[1], "%") || !strings.HasSuffix(fields[4], "%") {
			continue
		}
		d, err := time.ParseDuration(fields[3])
		if err != nil {
			continue
		}
		// pprof marks a function inlined into its callers with " (inline)".
		name := strings.TrimSuffix(strings.Join(fields[5:], " "), " (inline)")
		if _, seen := cum[name]; !seen {
			cum[name] = d
		}
	}
	return cum, sc.Err()
}

// cumulative returns the cumulative time of the function whose name ends
// with suffix, and whether the profile has it.
func cumulative(profile map[string]time.Duration, suffix string) (time.Duration, bool) {
	for name, d := range profile {
		if strings.HasSuffix(name, suffix) {
			return d, true
		}
	}
	return 0, false
}
