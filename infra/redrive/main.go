// Command redrive re-publishes the alerts of chosen events. It sets their
// failed and published alerts back to pending, due now, so the pending-alert
// sweep publishes them again.
//
// Usage:
//
//	go run ./infra/redrive -table NAME [selectors] [-dry-run] [-yes] [-publish-now -topics-from-env]
//	go run ./infra/redrive -local http://127.0.0.1:8080 [selectors] [-dry-run] [-yes]
//
// Selectors, combined with AND: -id ID and -job ID (each repeatable),
// -type TYPE, -category CATEGORY, -from and -to (RFC 3339 received times,
// from inclusive, to exclusive). With -table it reads and writes the
// DynamoDB table through the standard AWS credential chain and region. With
// -local it calls POST /admin/redrive on a local-mode receiver, which runs
// the sweep at once. It prints one line per event and a summary, and never
// a body or a PHI value.
//
// The exit status is 0 on success, 1 when anything failed (an id not found,
// a write, an alert the immediate sweep could not publish, or more than 100
// alerts to change without -yes), and 2 for invalid usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
