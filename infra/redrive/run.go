package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/redrive"
)

// maxWithoutYes is the most alerts one run changes without -yes.
const maxWithoutYes = 100

// target is a store of events: a DynamoDB table or a local receiver.
type target interface {
	// plan lists what a redrive of sel would do, changing nothing.
	plan(ctx context.Context, sel redrive.Selector) ([]redrive.Action, error)
	// apply requeues the alerts sel chooses and, where the target does so,
	// runs the sweep at once. After a failed write it returns the actions
	// done so far with the error.
	apply(ctx context.Context, sel redrive.Selector) (*result, error)
}

// result is the outcome of apply.
type result struct {
	actions []redrive.Action
	// sweep counts the immediate sweep; nil when none ran.
	sweep *localserver.SweepCounts
	// sweepErr is set when the immediate sweep failed.
	sweepErr string
	// scheduled is true when the scheduled sweep, not this run, publishes
	// the requeued alerts.
	scheduled bool
}

// run redrives the events that args choose and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "redrive:", err)
		return 2
	}
	tgt, err := newTarget(ctx, opts, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "redrive:", err)
		return 1
	}
	if err := redriveWith(ctx, tgt, opts, stdout); err != nil {
		fmt.Fprintln(stderr, "redrive:", err)
		return 1
	}
	return 0
}

func newTarget(ctx context.Context, opts *options, getenv func(string) string, stderr io.Writer) (target, error) {
	if opts.local != "" {
		return newLocalTarget(opts.local), nil
	}
	return newAWSTarget(ctx, opts, getenv, stderr)
}

// redriveWith runs the dry run or the redrive that opts requests, prints the
// outcome and returns an error when anything failed.
func redriveWith(ctx context.Context, tgt target, opts *options, stdout io.Writer) error {
	if opts.dryRun {
		actions, err := tgt.plan(ctx, opts.selector)
		if err != nil {
			return err
		}
		summary := printActions(stdout, actions, true)
		return notFoundError(summary)
	}

	if !opts.yes {
		actions, err := tgt.plan(ctx, opts.selector)
		if err != nil {
			return err
		}
		if n := redrive.Summarize(actions).WouldRequeue; n > maxWithoutYes {
			return fmt.Errorf("%d alerts would be requeued, more than %d: nothing changed. "+
				"Check the list with -dry-run, then run again with -yes", n, maxWithoutYes)
		}
	}
	res, err := tgt.apply(ctx, opts.selector)
	if res == nil {
		return err
	}
	summary := printActions(stdout, res.actions, false)
	if err != nil {
		return fmt.Errorf("%w (the events listed above were handled; run again to continue)", err)
	}
	sweepErr := printSweep(stdout, res, summary)
	return errors.Join(notFoundError(summary), sweepErr)
}

func notFoundError(summary redrive.Summary) error {
	if summary.NotFound == 0 {
		return nil
	}
	return fmt.Errorf("event ids not found: %d (listed above)", summary.NotFound)
}
