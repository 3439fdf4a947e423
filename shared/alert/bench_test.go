package alert_test

import (
	"testing"

	"github.com/clinicops/cobalt-receiver/infra/bench/workload"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

// benchFailures are the sizes of the handler benchmarks' failure events,
// appointment.failed events whose reasons embed an MRN, a name and dates.
var benchFailures = []struct {
	name string
	size int
}{
	{"1KB", workload.SizeTypical},
	{"100KB", workload.SizeLarge},
}

func parseFailure(b *testing.B, size int) *envelope.Envelope {
	b.Helper()
	body := workload.NewTemplate(workload.Failure, size).Body(workload.ID("bench", 1))
	env, err := envelope.Parse(body)
	if err != nil {
		b.Fatalf("Parse: %v", err)
	}
	return env
}

// BenchmarkBuildEvent measures Build on the handler benchmarks' failure
// events, whose masking work grows with the number of reasons.
func BenchmarkBuildEvent(b *testing.B) {
	for _, bf := range benchFailures {
		env := parseFailure(b, bf.size)
		b.Run(bf.name, func(b *testing.B) {
			if alert.Build(env, alert.Options{}) == nil {
				b.Fatal("Build returned nil")
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = alert.Build(env, alert.Options{})
			}
		})
	}
}

// BenchmarkMessage measures encoding a built alert as the SNS message body.
func BenchmarkMessage(b *testing.B) {
	for _, bf := range benchFailures {
		a := alert.Build(parseFailure(b, bf.size), alert.Options{})
		b.Run(bf.name, func(b *testing.B) {
			b.SetBytes(int64(len(alert.Message(a))))
			b.ReportAllocs()
			for b.Loop() {
				_ = alert.Message(a)
			}
		})
	}
}
