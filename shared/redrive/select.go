package redrive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

// MaxJobRecords is the most records Select reads for one job id. A Cobalt
// job is one API call, which reports a handful of events.
const MaxJobRecords = 1000

// Selection is the result of Select: the matching records and the ids not found.
type Selection struct {
	// Records are the matching records: in the order of Selector.IDs when
	// ids are given, otherwise oldest ReceivedAt first.
	Records []*store.Record
	// NotFound lists the ids of Selector.IDs that no live record has, in
	// the order given.
	NotFound []string
}

// Select returns the records that sel chooses.
//
// With IDs it reads each id with Get and keeps the records of any status
// and alert state, so that every id named gets an Action. Otherwise it
// reads the records of JobIDs with ByJobID, or scans the whole store with
// Scan when no job id is given, and keeps only stored events that have an
// alert (pending, published or failed), since an event without one has
// nothing to redrive. The other selectors then filter the records.
//
// It returns an error wrapping ErrInvalidSelector when sel is invalid, and
// the store's error, which names the id or job id concerned, when a read
// fails.
func Select(ctx context.Context, st store.Store, sel Selector) (*Selection, error) {
	if err := sel.Validate(); err != nil {
		return nil, err
	}
	switch {
	case len(sel.IDs) > 0:
		return selectIDs(ctx, st, sel)
	case len(sel.JobIDs) > 0:
		return selectJobs(ctx, st, sel)
	default:
		return selectScan(ctx, st, sel)
	}
}

func selectIDs(ctx context.Context, st store.Store, sel Selector) (*Selection, error) {
	out := &Selection{}
	seen := map[string]bool{}
	for _, id := range sel.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		rec, err := st.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			out.NotFound = append(out.NotFound, id)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("select events: %w", err)
		}
		if sel.matches(rec) {
			out.Records = append(out.Records, rec)
		}
	}
	return out, nil
}

func selectJobs(ctx context.Context, st store.Store, sel Selector) (*Selection, error) {
	var found []*store.Record
	seen := map[string]bool{}
	for _, job := range sel.JobIDs {
		if seen[job] {
			continue
		}
		seen[job] = true
		recs, err := st.ByJobID(ctx, job, MaxJobRecords)
		if err != nil {
			return nil, fmt.Errorf("select events: %w", err)
		}
		if len(recs) == MaxJobRecords {
			return nil, fmt.Errorf("select events: job %q has %d records or more; select them by time range instead",
				job, MaxJobRecords)
		}
		for _, rec := range recs {
			if hasAlert(rec) && sel.matches(rec) {
				found = append(found, rec)
			}
		}
	}
	sortByReceived(found)
	return &Selection{Records: found}, nil
}

func selectScan(ctx context.Context, st store.Store, sel Selector) (*Selection, error) {
	filter := store.ScanFilter{
		Type:         sel.Type,
		Category:     sel.Category,
		Status:       store.StatusStored,
		ReceivedFrom: sel.From,
		ReceivedTo:   sel.To,
	}
	var found []*store.Record
	err := st.Scan(ctx, filter, func(rec *store.Record) error {
		if hasAlert(rec) && sel.matches(rec) {
			found = append(found, rec)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("select events: %w", err)
	}
	sortByReceived(found)
	return &Selection{Records: found}, nil
}

// hasAlert reports whether rec is a stored event with an alert in any state.
func hasAlert(rec *store.Record) bool {
	return rec.Status == store.StatusStored && rec.Alert != "" && rec.Alert != store.AlertNone
}

func sortByReceived(recs []*store.Record) {
	slices.SortFunc(recs, func(a, b *store.Record) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.ID, b.ID))
	})
}
