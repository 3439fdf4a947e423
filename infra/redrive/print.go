package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/clinicops/cobalt-receiver/shared/redrive"
)

// printActions writes one line per action (id, type, alert state before,
// outcome) and a summary, and returns the summary.
func printActions(w io.Writer, actions []redrive.Action, dryRun bool) redrive.Summary {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT ID\tTYPE\tALERT BEFORE\tACTION")
	for _, a := range actions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n",
			printable(a.ID), printable(a.Type), printable(string(a.AlertBefore)), a.Outcome.Description())
	}
	_ = tw.Flush()

	s := redrive.Summarize(actions)
	changed := fmt.Sprintf("%d requeued", s.Requeued)
	if dryRun {
		changed = fmt.Sprintf("%d would be requeued", s.WouldRequeue)
	}
	fmt.Fprintf(w, "summary: %d listed: %s, %d already pending, %d without alert, %d not events, %d not found\n",
		s.Total, changed, s.AlreadyPending, s.NoAlert, s.NotEvent, s.NotFound)
	if s.AlreadyPending > 0 {
		fmt.Fprintln(w, "note: pending alerts are already on their way, because the sweep publishes them; "+
			"redrive leaves them as they are and needs no option to include them")
	}
	if dryRun {
		fmt.Fprintln(w, "dry run: nothing changed; run again without -dry-run to requeue")
	}
	return s
}

// printSweep reports who publishes the requeued alerts, and returns an
// error when the immediate sweep failed or left alerts unpublished.
func printSweep(w io.Writer, res *result, s redrive.Summary) error {
	if s.Requeued == 0 {
		return nil
	}
	if res.scheduled {
		fmt.Fprintf(w, "the scheduled sweep publishes the %d requeued alerts at its next run; "+
			"add -publish-now -topics-from-env to publish them at once\n", s.Requeued)
		return nil
	}
	if res.sweepErr != "" {
		return errors.New(res.sweepErr)
	}
	if res.sweep == nil {
		return nil
	}
	c := res.sweep
	fmt.Fprintf(w, "sweep of all due alerts: %d due, %d published, %d retrying, %d failed, %d claimed elsewhere\n",
		c.Due, c.Published, c.Retrying, c.Failed, c.Skipped)
	if c.Retrying > 0 || c.Failed > 0 {
		return fmt.Errorf("the sweep could not publish %d alerts: %d wait for a retry and %d failed",
			c.Retrying+c.Failed, c.Retrying, c.Failed)
	}
	return nil
}

// printable returns s, quoted when it holds characters that a terminal
// would not show as they are, or "-" when it is empty.
func printable(s string) string {
	if s == "" {
		return "-"
	}
	quoted := strconv.Quote(s)
	if quoted[1:len(quoted)-1] != s || strings.Contains(s, " ") {
		return quoted
	}
	return s
}
