//go:build !unix

package ingest_test

import "time"

// processCPU returns 0 because this platform has no getrusage, so benchmarks
// report no cpu-ns/op.
func processCPU() time.Duration { return 0 }
