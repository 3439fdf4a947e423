package ddbitem

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

// ErrLimit is returned for a query limit that is not positive.
var ErrLimit = errors.New("limit must be positive")

// Keyed is a record with its storage key, which breaks ties when sorting.
type Keyed struct {
	Key string
	Rec *store.Record
}

// Due reports whether rec has a pending alert whose lease expired by now.
func Due(rec *store.Record, now time.Time) bool {
	return rec.Alert == store.AlertPending && rec.AlertDue.UnixMilli() <= now.UnixMilli()
}

// OldestDueIDs returns the ids of at most limit records, the earliest due
// first, as the pending-alerts index orders them.
func OldestDueIDs(due []Keyed, limit int) []string {
	slices.SortFunc(due, func(a, b Keyed) int {
		return cmp.Or(cmp.Compare(a.Rec.AlertDue.UnixMilli(), b.Rec.AlertDue.UnixMilli()), cmp.Compare(a.Key, b.Key))
	})
	ids := make([]string, 0, min(limit, len(due)))
	for _, d := range due[:min(limit, len(due))] {
		ids = append(ids, d.Rec.ID)
	}
	return ids
}

// OldestReceived returns at most limit records, the earliest received first,
// as the job index orders them.
func OldestReceived(found []Keyed, limit int) []*store.Record {
	slices.SortFunc(found, func(a, b Keyed) int {
		return cmp.Or(cmp.Compare(a.Rec.ReceivedAt.UnixMilli(), b.Rec.ReceivedAt.UnixMilli()), cmp.Compare(a.Key, b.Key))
	})
	var recs []*store.Record
	for _, f := range found[:min(limit, len(found))] {
		recs = append(recs, f.Rec)
	}
	return recs
}
