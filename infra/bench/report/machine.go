package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where the benchmarks ran.
type machine struct {
	CPU      string
	Cores    int
	MemoryGB float64
	OS       string
	Kernel   string
	Go       string
}

// readMachine reads the machine's description from /proc and /etc. Fields it
// cannot read stay empty.
func readMachine() machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	m.CPU = firstValue("/proc/cpuinfo", "model name", ":")
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(firstValue("/proc/meminfo", "MemTotal", ":"), " kB"), 64); err == nil {
		m.MemoryGB = kb * 1024 / 1e9
	}
	m.OS = strings.Trim(firstValue("/etc/os-release", "PRETTY_NAME", "="), `"`)
	if release, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(release))
	}
	return m
}

// firstValue returns the trimmed value of the first line of path whose key
// before sep is key.
func firstValue(path, key, sep string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadSample is the load average at one point of the run.
type loadSample struct {
	Phase string
	// One, Five and Fifteen are the 1, 5 and 15 minute load averages.
	One, Five, Fifteen float64
}

// readLoad reads the file run.sh writes, one "PHASE L1 L5 L15" line per
// sample.
func readLoad(path string) ([]loadSample, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var samples []loadSample
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 4 {
			continue
		}
		s := loadSample{Phase: fields[0]}
		var errs [3]error
		s.One, errs[0] = strconv.ParseFloat(fields[1], 64)
		s.Five, errs[1] = strconv.ParseFloat(fields[2], 64)
		s.Fifteen, errs[2] = strconv.ParseFloat(fields[3], 64)
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("%s: line %q: %w", path, line, err)
			}
		}
		samples = append(samples, s)
	}
	return samples, nil
}
