// Command gen writes the API Gateway events of every sample in events/cobalt
// (see apigw.Generate): events/apigw/<type>.json for HTTP APIs and
// events/apigw/rest/<type>.json for a few REST API examples.
//
// Run it from the repository root, or with `go generate ./events/apigw`:
//
//	go run ./events/apigw/gen                         # the committed files
//	go run ./events/apigw/gen -zero-epoch -out /tmp/e # alerts publish at once
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/events/apigw"
)

func main() {
	out := flag.String("out", filepath.FromSlash("events/apigw"), "folder to write the events into")
	zeroEpoch := flag.Bool("zero-epoch", false,
		"write requestContext.timeEpoch 0 rather than 1.2 s after each sample's created time, "+
			"so that the function counts its response budget from when the invocation arrives "+
			"and publishes alerts at once (not for the committed files)")
	flag.Parse()

	timing := apigw.AfterCreated
	if *zeroEpoch {
		timing = apigw.ZeroEpoch
	}
	if err := run(*out, timing); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string, timing apigw.Timing) error {
	samples, err := events.Samples()
	if err != nil {
		return err
	}
	files, err := apigw.Generate(samples, timing)
	if err != nil {
		return err
	}

	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		target := filepath.Join(out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("create folder for %s: %w", target, err)
		}
		if err := os.WriteFile(target, files[name], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", target, err)
		}
	}
	fmt.Printf("wrote %d events to %s\n", len(names), out)
	return nil
}
