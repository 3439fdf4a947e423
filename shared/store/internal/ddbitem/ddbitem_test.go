package ddbitem_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

var base = time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC)

func TestKey(t *testing.T) {
	cases := []struct {
		name    string
		status  store.Status
		id      string
		want    string
		invalid bool
	}{
		{"event", store.StatusStored, "evt-1", "event#evt-1", false},
		{"event shaped like quarantine", store.StatusStored, "q-abc", "event#q-abc", false},
		{"quarantine", store.StatusQuarantined, "q-abc", "quarantine#abc", false},
		{"conflict", store.StatusConflict, "c-abc", "conflict#abc", false},
		{"quarantine without prefix", store.StatusQuarantined, "abc", "", true},
		{"conflict with quarantine prefix", store.StatusConflict, "q-abc", "", true},
		{"bare prefix", store.StatusConflict, "c-", "", true},
		{"empty", store.StatusStored, "", "", true},
		{"1025 bytes", store.StatusStored, strings.Repeat("x", 1025), "", true},
		{"invalid UTF-8", store.StatusStored, "\xff", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ddbitem.Key(c.status, c.id)
			if c.invalid {
				if !errors.Is(err, store.ErrInvalidID) {
					t.Errorf("Key = %q, %v; want ErrInvalidID", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("Key = %q, %v; want %q", got, err, c.want)
			}
		})
	}

	long, err := ddbitem.Key(store.StatusQuarantined, "q-"+strings.Repeat("é", 511))
	if err != nil {
		t.Fatalf("Key of a 1024-byte quarantine id: %v", err)
	}
	if len(long) >= 2048 {
		t.Errorf("partition key has %d bytes, want under 2048", len(long))
	}
}

func TestLookupKeys(t *testing.T) {
	cases := []struct {
		id   string
		want []string
	}{
		{"evt-1", []string{"event#evt-1"}},
		{"q-abc", []string{"quarantine#abc", "event#q-abc"}},
		{"c-abc", []string{"conflict#abc", "event#c-abc"}},
		{"q-", []string{"event#q-"}},
	}
	for _, c := range cases {
		got, err := ddbitem.LookupKeys(c.id)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("LookupKeys(%q) = %v, %v; want %v", c.id, got, err, c.want)
		}
	}
}

func fullRecord() *store.Record {
	return &store.Record{
		ID: "evt-1", Status: store.StatusStored, Type: "task.failed", Category: "task",
		Kind: "failure", Clinic: "clinic-1", JobID: "12", Created: "2026-03-01T11:59:00Z",
		ReceivedAt: base, ContentHash: "hash", Raw: []byte{0, 0xff, '{'},
		SignatureMethod: "raw", WebhookID: "w", WebhookAttempt: "1", WebhookTimestamp: "17",
		SchemaIssues: []string{"a", "b"}, Errors: []string{"e"}, ConflictOf: "x",
		Alert: store.AlertPending, AlertDue: base.Add(time.Second), AlertAttempts: 2,
		AlertPublishedAt: base.Add(time.Minute), AlertMessageID: "m", AlertLastError: "boom",
		ExpiresAt: base.Add(time.Hour),
	}
}

func encode(t *testing.T, rec *store.Record) (*store.Record, map[string]types.AttributeValue) {
	t.Helper()
	prepared, key, err := ddbitem.Prepare(rec)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	item, err := ddbitem.Encode(prepared, key)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return prepared, item
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	prepared, item := encode(t, fullRecord())
	got, err := ddbitem.Decode(item)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !reflect.DeepEqual(got, prepared) {
		t.Errorf("Decode(Encode(rec)) =\n%+v\nwant\n%+v", got, prepared)
	}
	if !prepared.ReceivedAt.Equal(base.Truncate(time.Millisecond)) {
		t.Errorf("prepared ReceivedAt = %v, want truncated to milliseconds", prepared.ReceivedAt)
	}
	if !prepared.ExpiresAt.Equal(base.Add(time.Hour).Truncate(time.Second)) {
		t.Errorf("prepared ExpiresAt = %v, want truncated to seconds", prepared.ExpiresAt)
	}
}

func TestEncodeAttributes(t *testing.T) {
	_, item := encode(t, fullRecord())
	wantS := map[string]string{
		"pk": "event#evt-1", "job_id": "12", "received_at": "2026-03-01T12:00:00.123Z",
		"alert_state": "pending", "alert_pending": "pending", "status": "stored",
	}
	for name, want := range wantS {
		s, ok := item[name].(*types.AttributeValueMemberS)
		if !ok || s.Value != want {
			t.Errorf("attribute %s = %#v, want S %q", name, item[name], want)
		}
	}
	wantN := map[string]string{
		"received_ms":  "1772366400123",
		"alert_due_ms": "1772366401123",
		"expires_at":   "1772370000",
	}
	for name, want := range wantN {
		n, ok := item[name].(*types.AttributeValueMemberN)
		if !ok || n.Value != want {
			t.Errorf("attribute %s = %#v, want N %q", name, item[name], want)
		}
	}

	bare := &store.Record{ID: "evt-2", Status: store.StatusStored, ReceivedAt: base}
	_, item = encode(t, bare)
	for _, name := range []string{
		"job_id", "type", "clinic", "schema_issues", "errors", "alert_pending",
		"alert_due_ms", "expires_at", "raw", "raw_encoding",
	} {
		if v, ok := item[name]; ok {
			t.Errorf("attribute %s = %#v on a bare record, want absent", name, v)
		}
	}
	for name, v := range item {
		if s, ok := v.(*types.AttributeValueMemberS); ok && s.Value == "" {
			t.Errorf("attribute %s is an empty string, want absent", name)
		}
	}
}

func TestEncodeCompression(t *testing.T) {
	cases := []struct {
		name         string
		raw          []byte
		wantEncoding string
	}{
		{"at threshold", bytes.Repeat([]byte("a"), ddbitem.CompressThreshold), ""},
		{"over threshold", bytes.Repeat([]byte("a"), ddbitem.CompressThreshold+1), "gzip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &store.Record{ID: "evt", Status: store.StatusStored, ReceivedAt: base, Raw: c.raw}
			_, item := encode(t, rec)
			encoding := ""
			if s, ok := item["raw_encoding"].(*types.AttributeValueMemberS); ok {
				encoding = s.Value
			}
			if encoding != c.wantEncoding {
				t.Errorf("raw_encoding = %q, want %q", encoding, c.wantEncoding)
			}
			got, err := ddbitem.Decode(item)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !bytes.Equal(got.Raw, c.raw) {
				t.Errorf("decoded body differs from the original")
			}
		})
	}
}

func TestSize(t *testing.T) {
	item := map[string]types.AttributeValue{
		"pk":  &types.AttributeValueMemberS{Value: "event#é"}, // 2 + 8
		"n":   &types.AttributeValueMemberN{Value: "12345"},   // 1 + 6
		"raw": &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
		"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{ // 1 + 3 + (1+2) + (1+0)
			&types.AttributeValueMemberS{Value: "ab"},
			&types.AttributeValueMemberS{Value: ""},
		}},
	}
	if got, want := ddbitem.Size(item), 10+7+6+8; got != want {
		t.Errorf("Size = %d, want %d", got, want)
	}
}

func TestTruncateError(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string
	}{
		{"short", "boom", "boom"},
		{"exact", strings.Repeat("x", 500), strings.Repeat("x", 500)},
		{"ascii over", strings.Repeat("x", 501), strings.Repeat("x", 500)},
		{"rune across the cut", strings.Repeat("x", 499) + "é", strings.Repeat("x", 499)},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ddbitem.TruncateError(c.in)
			if got != c.want {
				t.Errorf("TruncateError = %q (%d bytes), want %q", got, len(got), c.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("TruncateError returned invalid UTF-8")
			}
		})
	}
}

func TestExpired(t *testing.T) {
	rec := &store.Record{ExpiresAt: base}
	cases := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"before", base.Add(-time.Second), false},
		{"same second", base.Add(500 * time.Millisecond), false},
		{"next second", base.Add(time.Second), true},
	}
	for _, c := range cases {
		if got := ddbitem.Expired(rec, c.now); got != c.want {
			t.Errorf("%s: Expired = %t, want %t", c.name, got, c.want)
		}
	}
	if ddbitem.Expired(&store.Record{}, base) {
		t.Error("a record without expiry is expired, want never")
	}
}
