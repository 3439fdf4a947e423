// Package ddbitem holds the rules both store implementations share: storage
// keys, record validation and normalization, expiry, and the DynamoDB item
// encoding with its size limit, so that both stores accept and reject the
// same records.
package ddbitem

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

// Storage key prefixes, one namespace per status.
const (
	eventNamespace      = "event#"
	quarantineNamespace = "quarantine#"
	conflictNamespace   = "conflict#"
)

// CheckID returns an error wrapping store.ErrInvalidID when id is empty,
// longer than store.MaxIDBytes or not valid UTF-8.
func CheckID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", store.ErrInvalidID)
	case len(id) > store.MaxIDBytes:
		return fmt.Errorf("%w: %d bytes, maximum %d", store.ErrInvalidID, len(id), store.MaxIDBytes)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: not valid UTF-8", store.ErrInvalidID)
	}
	return nil
}

// EventKey returns the storage key of the event record id.
func EventKey(id string) string { return eventNamespace + id }

// Key returns the storage key of a record: "event#<id>" for a stored event,
// "quarantine#<sha>" for "q-<sha>" and "conflict#<hash>" for "c-<hash>".
func Key(status store.Status, id string) (string, error) {
	if err := CheckID(id); err != nil {
		return "", err
	}
	switch status {
	case store.StatusStored:
		return EventKey(id), nil
	case store.StatusQuarantined:
		return prefixedKey(id, store.QuarantinePrefix, quarantineNamespace)
	case store.StatusConflict:
		return prefixedKey(id, store.ConflictPrefix, conflictNamespace)
	}
	return "", fmt.Errorf("unknown status %q", status)
}

func prefixedKey(id, prefix, namespace string) (string, error) {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || rest == "" {
		return "", fmt.Errorf("%w: want %s followed by a hash", store.ErrInvalidID, prefix)
	}
	return namespace + rest, nil
}

// LookupKeys returns the storage keys Get tries for id, in order: the
// quarantine or conflict key when id has that prefix, then the event key.
// The prefixed record comes first because the receiver itself hands out
// q- and c- ids, so an event whose own id looks like one cannot hide it.
func LookupKeys(id string) ([]string, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	var keys []string
	if k, err := prefixedKey(id, store.QuarantinePrefix, quarantineNamespace); err == nil {
		keys = append(keys, k)
	}
	if k, err := prefixedKey(id, store.ConflictPrefix, conflictNamespace); err == nil {
		keys = append(keys, k)
	}
	return append(keys, EventKey(id)), nil
}

// Prepare checks rec and returns a normalized copy with its storage key. The
// copy has its times in UTC truncated to milliseconds, except ExpiresAt,
// which is truncated to seconds (the unit of DynamoDB TTL). Empty slices and
// bodies become nil, invalid UTF-8 in strings becomes U+FFFD, and an empty
// Alert becomes store.AlertNone. Raw is shared with rec, not copied.
func Prepare(rec *store.Record) (*store.Record, string, error) {
	key, err := Key(rec.Status, rec.ID)
	if err != nil {
		return nil, "", err
	}
	if rec.ReceivedAt.IsZero() {
		return nil, "", fmt.Errorf("received time missing")
	}
	out := *rec
	if out.Alert == "" {
		out.Alert = store.AlertNone
	}
	switch out.Alert {
	case store.AlertNone, store.AlertPending, store.AlertPublished, store.AlertFailed:
	default:
		return nil, "", fmt.Errorf("unknown alert state %q", out.Alert)
	}
	if out.Alert != store.AlertNone && out.Status != store.StatusStored {
		return nil, "", fmt.Errorf("alert on a %s record; only stored events carry alerts", out.Status)
	}
	if out.Alert == store.AlertPending && out.AlertDue.IsZero() {
		return nil, "", fmt.Errorf("pending alert without a due time")
	}
	if out.AlertAttempts < 0 {
		return nil, "", fmt.Errorf("negative alert attempts %d", out.AlertAttempts)
	}

	out.ReceivedAt = Millis(out.ReceivedAt)
	out.AlertDue = Millis(out.AlertDue)
	out.AlertPublishedAt = Millis(out.AlertPublishedAt)
	if !out.ExpiresAt.IsZero() {
		out.ExpiresAt = time.Unix(out.ExpiresAt.Unix(), 0).UTC()
	}
	if len(out.Raw) == 0 {
		out.Raw = nil
	}
	validUTF8(&out)
	out.AlertLastError = TruncateError(out.AlertLastError)
	return &out, key, nil
}

// validUTF8 replaces invalid UTF-8 in the string fields of rec, which
// DynamoDB strings and JSON cannot carry, and copies its slices so that the
// caller's record is never shared.
func validUTF8(rec *store.Record) {
	for _, s := range []*string{
		&rec.Type, &rec.Category, &rec.Kind, &rec.Clinic, &rec.JobID, &rec.Created,
		&rec.ContentHash, &rec.SignatureMethod, &rec.WebhookID, &rec.WebhookAttempt,
		&rec.WebhookTimestamp, &rec.ConflictOf, &rec.AlertMessageID,
	} {
		*s = strings.ToValidUTF8(*s, "\uFFFD")
	}
	rec.SchemaIssues = validList(rec.SchemaIssues)
	rec.Errors = validList(rec.Errors)
}

func validList(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

// Millis returns t in UTC truncated to milliseconds; the zero time stays zero.
func Millis(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// Expired reports whether rec has an expiry time in a second before now.
// A record stays live through the second of its ExpiresAt, matching the
// DynamoDB condition `expires_at < :now` on epoch seconds.
func Expired(rec *store.Record, now time.Time) bool {
	return !rec.ExpiresAt.IsZero() && rec.ExpiresAt.Unix() < now.Unix()
}

// TruncateError cuts msg to at most store.MaxAlertErrorBytes bytes without
// splitting a UTF-8 sequence, and replaces invalid UTF-8.
func TruncateError(msg string) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	if len(msg) <= store.MaxAlertErrorBytes {
		return msg
	}
	cut := store.MaxAlertErrorBytes
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}

// Matches reports whether rec passes every set field of filter.
func Matches(rec *store.Record, filter store.ScanFilter) bool {
	switch {
	case filter.Type != "" && rec.Type != filter.Type:
		return false
	case filter.Category != "" && rec.Category != filter.Category:
		return false
	case filter.Status != "" && rec.Status != filter.Status:
		return false
	case filter.Alert != "" && rec.Alert != filter.Alert:
		return false
	case !filter.ReceivedFrom.IsZero() && rec.ReceivedAt.UnixMilli() < filter.ReceivedFrom.UnixMilli():
		return false
	case !filter.ReceivedTo.IsZero() && rec.ReceivedAt.UnixMilli() >= filter.ReceivedTo.UnixMilli():
		return false
	}
	return true
}
