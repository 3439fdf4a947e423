package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// remedies hold the changes that would reduce each part of the handler's
// time, by the function name suffix of profileParts.
var remedies = map[string]string{
	"/shared/ingest.(*Handler).verify": "The HMAC-SHA256 of the body is the one check that cannot be skipped. It " +
		"runs once per configured secret until one matches, so a secret retired after a rotation should " +
		"leave the configuration promptly.",
	"/shared/envelope.Parse": "`jsjson.Parse` builds a full tree of `jsjson.Value` structs (104 bytes each) " +
		"and copies every object's members into a new slice, although the handler reads only the envelope " +
		"members and the fields the catalogue checks. A parser that keeps strings as offsets into the body " +
		"and builds only those members would remove most of that allocation and copying. The signature " +
		"check and the content hash depend on jsjson's `JSON.parse` and `JSON.stringify` semantics, so " +
		"such a parser needs the same fuzz tests and Node.js cross-checks.",
	"/shared/alert.Build": "Masking runs Go regular expressions over the free-text fields for phone " +
		"numbers, e-mail addresses, MRN labels and names near cues such as \"patient\" or \"DOB\". Dates " +
		"are matched only in short windows around a digit-separator-digit run or a month name; the other " +
		"patterns still scan whole texts, because none of them starts with a fixed string. Hand-written " +
		"scanners for those shapes, or the same windowing around the characters each one needs, would " +
		"remove most of the rest. Masking decides what PHI leaves in an alert, so the masking tests must " +
		"carry over unchanged.",
	"/shared/store/memstore.(*Store).Create": "Each store validates the record and encodes the DynamoDB " +
		"item once per write: the DynamoDB store sends that item, and the other stores build it to " +
		"reject the same oversized records.",
	"/shared/ingest.(*Handler).logOutcome": "One JSON log line per request, formatted by `log/slog`'s " +
		"JSON handler, is part of the logging contract.",
	"/shared/metrics.(*EMF).Record": "Every request writes its EMF metric documents to standard output.",
	gcWorker: "Garbage collection grows with the bytes allocated per event (see the " +
		"table above), so every allocation removed from parsing, hashing and encoding also saves " +
		"collector time.",
}

// topParts returns the top-level parts of profileParts that take at least
// minShare of Handle's time in profile, largest first.
func topParts(profile map[string]time.Duration, minShare float64) []partShare {
	total, ok := cumulative(profile, "/shared/ingest.(*Handler).Handle")
	if !ok || total <= 0 {
		return nil
	}
	var parts []partShare
	for _, part := range profileParts {
		if strings.HasPrefix(part.label, "  ") {
			continue
		}
		d, ok := cumulative(profile, part.suffix)
		share := float64(d) / float64(total)
		if ok && share >= minShare {
			parts = append(parts, partShare{label: part.label, suffix: part.suffix, share: share})
		}
	}
	slices.SortFunc(parts, func(a, b partShare) int { return cmp.Compare(b.share, a.share) })
	return parts
}

// partShare is a part of Handle and its share of Handle's time.
type partShare struct {
	label, suffix string
	share         float64
}

func handlerMiss(p *page, in inputs, name, label string, cpu float64) {
	profile := in.profileSuccess
	switch {
	case strings.HasSuffix(name, "new-failure"):
		profile = in.profileFailure
	case strings.HasSuffix(name, "duplicate"):
		profile = in.profileDuplicate
	}
	b := findBench(in.bench, name)
	wall, _ := b.Median("ns/op")
	allocated, _ := b.Median("B/op")

	p.line(`<a id="%s"></a>`, anchor(name))
	p.blank()
	p.line("### Handler CPU, %s", label)
	p.blank()
	p.line("**By how much.** %s of CPU per event against a target of 25 µs: %s over.",
		micro(cpu), overBy(cpu, float64(targetHandlerCPU), micro))
	if cpu > wall {
		p.line("The wall time per event was %s. CPU time exceeds it because the garbage", micro(wall))
		p.line("collector works on the other core, for the %s allocated per event.", kilobytes(allocated))
	} else {
		p.line("The wall time per event was %s, above the CPU time, so the benchmark also", micro(wall))
		p.line("waited for a core that other processes were using.")
	}
	p.blank()
	parts := topParts(profile, 0.05)
	p.line("**Why.** The largest parts of `Handle` in its CPU profile, with the")
	p.line("estimated time each takes per event (its share of the wall time):")
	p.blank()
	for _, part := range parts {
		p.line("- %s: %.0f %%, about %s", part.label, 100*part.share, micro(part.share*wall))
	}
	p.blank()
	p.line("**What would close it.**")
	p.blank()
	for _, part := range parts {
		remedy, ok := remedies[part.suffix]
		if !ok {
			continue
		}
		if part.suffix == gcWorker {
			remedy += gogcRemedy(in, name)
		}
		p.line("- %s: %s", part.label, remedy)
	}
	p.blank()
}

// gcWorker is the profile name of the background garbage collector.
const gcWorker = "runtime.gcBgMarkWorker"

// gogcRemedy states what the garbage collector experiment measured for the
// benchmark name, or returns "" when the experiment has no result for it.
func gogcRemedy(in inputs, name string) string {
	b := findBench(in.benchGOGC, name)
	if b == nil {
		return ""
	}
	cpu, ok := b.Median("cpu-ns/op")
	if !ok {
		return ""
	}
	text := fmt.Sprintf(" Setting GOGC=%d on the function measured %s of CPU per event for this case",
		in.gogc, micro(cpu))
	if burst := in.coldStart.BurstGOGC; burst != nil {
		text += fmt.Sprintf(", with a peak RSS of %s", megabytes(float64(burst.PeakRSSKB*1024)))
	}
	return text + " ([GOGC](#gogc))."
}

func ratioMiss(p *page, in inputs, workers int, ratio float64) {
	var bare, handler summary
	var rounds []float64
	for _, level := range in.dynamo.Levels {
		if level.Workers == workers {
			bare, handler, rounds = level.Bare, level.Handler, level.RoundRatios
		}
	}
	p.line(`<a id="throughput-ratio-%d-workers"></a>`, workers)
	p.blank()
	p.line("### Throughput ratio, %s", workersText(workers))
	p.blank()
	p.line("**By how much.** %.2f against a target of 0.80: the handler served %.0f requests/s,", ratio, handler.PerSecond)
	p.line("the bare PutItem loop %.0f/s.", bare.PerSecond)
	p.blank()
	var extra float64
	if b := findBench(in.bench, "BenchmarkHandle/1KB/new-success"); b != nil {
		extra, _ = b.Median("cpu-ns/op")
	}
	cores := float64(in.machine.Cores)
	perBare := cores / bare.PerSecond * 1e9 // ns of machine time per bare request, at most
	expected := perBare / (perBare + extra)
	lo, hi := slices.Min(rounds), slices.Max(rounds)
	p.line("**Why.** With the %d cores busy, one bare request costs at most %s of machine", in.machine.Cores, micro(perBare))
	p.line("time (the client and DynamoDB Local's JVM together), and the handler adds")
	p.line("about %s of CPU per event (the 1 KB new-success benchmark), so CPU alone", micro(extra))
	p.line("predicts a ratio of about %.2f. The ratios of single rounds ranged from %.2f to", expected, lo)
	p.line("%.2f; with that spread, other processes on the shared machine account for", hi)
	p.line("the difference as much as the handler does.")
	p.blank()
	p.line("**What would close it.** Reducing the handler's CPU per event (see the handler")
	p.line("misses) raises the ratio by the amount above; measuring on a quiet machine, or")
	p.line("with more rounds, narrows the spread between rounds.")
	p.blank()
}

func coldStartMiss(p *page, in inputs) {
	c := in.coldStart
	p.line(`<a id="cold-start"></a>`)
	p.blank()
	p.line("### Cold start")
	p.blank()
	p.line("**By how much.** Median %.1f ms against a target of 100 ms.", c.MedianFirstMs)
	p.blank()
	p.line("**Why.** Of the median first answer, the emulator took %.1f ms to listen", median(c.ListenMs))
	p.line("and the bootstrap's init phase %.1f ms; the rest is the emulator starting the", c.MedianInitMs)
	p.line("bootstrap process and the first event's PutItem.")
	p.blank()
	p.line("**What would close it.** If the init phase dominates, the Secrets Manager read")
	p.line("at cold start (bounded at 2 s) is the first suspect, then SDK client")
	p.line("construction; the logs in the run's `coldstart.log` show each step.")
	p.blank()
}

func binaryMiss(p *page) {
	p.line(`<a id="binary-size"></a>`)
	p.blank()
	p.line("### Binary size")
	p.blank()
	p.line("**Why.** Most of the binary is the AWS SDK: the DynamoDB, SNS and Secrets")
	p.line("Manager clients with their serializers and endpoint rules. `go tool nm -size")
	p.line("-sort size` on an unstripped build lists the largest symbols.")
	p.blank()
	p.line("**What would close it.** Dropping dependencies the binary links but does not")
	p.line("need; the Makefile already strips symbols (`-s -w`) and paths (`-trimpath`).")
	p.blank()
}

func rssMiss(p *page, in inputs) {
	p.line(`<a id="peak-rss"></a>`)
	p.blank()
	p.line("### Peak RSS")
	p.blank()
	p.line("**Why.** The burst includes 100 KB events, whose parse tree, content hash form")
	p.line("and DynamoDB item are held at once while the event is handled, and the Go")
	p.line("runtime keeps freed heap for a while before returning it.")
	p.blank()
	p.line("**What would close it.** Setting `GOMEMLIMIT` below the target makes the")
	p.line("collector work harder near it; fewer allocations per event lower the peak.")
	p.line("The peak was %s, of which %s was still resident at the end.",
		megabytes(float64(in.coldStart.Burst.PeakRSSKB*1024)), megabytes(float64(in.coldStart.Burst.RSSKB*1024)))
	p.blank()
}

func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
