package envelope_test

import (
	"testing"

	"github.com/clinicops/cobalt-receiver/infra/bench/workload"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// benchTemplates are the benchmark events: a success and a failure event of
// about 1 KB and 100 KB, in compact JSON.
var benchTemplates = []struct {
	name string
	kind workload.Kind
	size int
}{
	{"success/1KB", workload.Success, workload.SizeTypical},
	{"failure/1KB", workload.Failure, workload.SizeTypical},
	{"success/100KB", workload.Success, workload.SizeLarge},
	{"failure/100KB", workload.Failure, workload.SizeLarge},
}

// BenchmarkParse measures parsing and validating an envelope: the JSON
// parse, the catalogue check of data and the content hash.
func BenchmarkParse(b *testing.B) {
	for _, bt := range benchTemplates {
		body := workload.NewTemplate(bt.kind, bt.size).Body(workload.ID("bench", 1))
		b.Run(bt.name, func(b *testing.B) {
			env, err := envelope.Parse(body)
			if err != nil {
				b.Fatalf("Parse: %v", err)
			}
			if len(env.SchemaIssues) > 0 {
				b.Fatalf("schema issues %q, want none", env.SchemaIssues)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = envelope.Parse(body)
			}
		})
	}
}

// BenchmarkCheckData measures the catalogue check of an event's data alone.
func BenchmarkCheckData(b *testing.B) {
	for _, bt := range benchTemplates {
		body := workload.NewTemplate(bt.kind, bt.size).Body(workload.ID("bench", 1))
		b.Run(bt.name, func(b *testing.B) {
			env, err := envelope.Parse(body)
			if err != nil {
				b.Fatalf("Parse: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = envelope.CheckData(env.Type, env.Data)
			}
		})
	}
}

// BenchmarkParseJSON measures the JSON parse that Parse starts with, to
// show its share of Parse.
func BenchmarkParseJSON(b *testing.B) {
	for _, bt := range benchTemplates {
		body := workload.NewTemplate(bt.kind, bt.size).Body(workload.ID("bench", 1))
		b.Run(bt.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = jsjson.Parse(body)
			}
		})
	}
}
