package ddbitem

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clinicops/cobalt-receiver/shared/store"
)

// Attribute names of a DynamoDB item.
const (
	AttrPK               = "pk" // storage key, see Key
	AttrID               = "id"
	AttrStatus           = "status"
	AttrType             = "type"
	AttrCategory         = "category"
	AttrKind             = "kind"
	AttrClinic           = "clinic"
	AttrJobID            = "job_id"
	AttrCreated          = "created"
	AttrReceivedAt       = "received_at" // RFC 3339 UTC with milliseconds
	AttrReceivedMs       = "received_ms" // epoch milliseconds
	AttrContentHash      = "content_hash"
	AttrRaw              = "raw"
	AttrRawEncoding      = "raw_encoding" // "gzip" when raw is compressed
	AttrSignatureMethod  = "signature_method"
	AttrWebhookID        = "webhook_id"
	AttrWebhookAttempt   = "webhook_attempt"
	AttrWebhookTimestamp = "webhook_timestamp"
	AttrSchemaIssues     = "schema_issues"
	AttrErrors           = "errors"
	AttrConflictOf       = "conflict_of"
	AttrAlertState       = "alert_state"
	AttrAlertPending     = "alert_pending" // PendingValue while pending, else absent
	AttrAlertDueMs       = "alert_due_ms"  // epoch milliseconds
	AttrAlertAttempts    = "alert_attempts"
	AttrAlertPublishedAt = "alert_published_at"
	AttrAlertMessageID   = "alert_message_id"
	AttrAlertLastError   = "alert_last_error"
	AttrExpiresAt        = "expires_at" // epoch seconds, the TTL attribute
)

// PendingValue is the value of AttrAlertPending, the partition key of the
// sparse pending-alerts index.
const PendingValue = "pending"

// GzipEncoding is the value of AttrRawEncoding for a gzip-compressed body.
const GzipEncoding = "gzip"

// CompressThreshold is the body size above which the body is stored gzip
// compressed, when that makes it smaller.
const CompressThreshold = 64 << 10

// MaxItemBytes is the largest item Encode accepts, as counted by Size:
// DynamoDB's 400 KB item limit (409,600 bytes) less a 4 KiB margin for the
// estimate of number sizes and for attributes that updates add later.
const MaxItemBytes = 400<<10 - 4<<10

// Encode returns the DynamoDB item of rec, which Prepare returned with key.
// It compresses a body above CompressThreshold and returns an error wrapping
// store.ErrTooLarge when the item would exceed MaxItemBytes.
func Encode(rec *store.Record, key string) (map[string]types.AttributeValue, error) {
	// Sized for every attribute Encode can write, so the map never grows.
	item := make(map[string]types.AttributeValue, 30)
	item[AttrPK] = str(key)
	item[AttrID] = str(rec.ID)
	item[AttrStatus] = str(string(rec.Status))
	item[AttrReceivedAt] = str(rec.ReceivedAt.Format(TimeFormat))
	item[AttrReceivedMs] = num(rec.ReceivedAt.UnixMilli())
	item[AttrAlertState] = str(string(rec.Alert))
	item[AttrAlertAttempts] = num(int64(rec.AlertAttempts))
	optional := [...]struct{ name, value string }{
		{AttrType, rec.Type}, {AttrCategory, rec.Category}, {AttrKind, rec.Kind},
		{AttrClinic, rec.Clinic}, {AttrJobID, rec.JobID}, {AttrCreated, rec.Created},
		{AttrContentHash, rec.ContentHash}, {AttrSignatureMethod, rec.SignatureMethod},
		{AttrWebhookID, rec.WebhookID}, {AttrWebhookAttempt, rec.WebhookAttempt},
		{AttrWebhookTimestamp, rec.WebhookTimestamp}, {AttrConflictOf, rec.ConflictOf},
		{AttrAlertMessageID, rec.AlertMessageID}, {AttrAlertLastError, rec.AlertLastError},
	}
	for _, attr := range optional {
		if attr.value != "" {
			item[attr.name] = str(attr.value)
		}
	}
	if len(rec.SchemaIssues) > 0 {
		item[AttrSchemaIssues] = list(rec.SchemaIssues)
	}
	if len(rec.Errors) > 0 {
		item[AttrErrors] = list(rec.Errors)
	}
	if !rec.AlertDue.IsZero() {
		item[AttrAlertDueMs] = num(rec.AlertDue.UnixMilli())
	}
	if rec.Alert == store.AlertPending {
		item[AttrAlertPending] = str(PendingValue)
	}
	if !rec.AlertPublishedAt.IsZero() {
		item[AttrAlertPublishedAt] = str(rec.AlertPublishedAt.Format(TimeFormat))
	}
	if !rec.ExpiresAt.IsZero() {
		item[AttrExpiresAt] = num(rec.ExpiresAt.Unix())
	}
	if err := putBody(item, rec.Raw); err != nil {
		return nil, err
	}

	if size := Size(item); size > MaxItemBytes {
		return nil, fmt.Errorf("%w: item of about %d bytes, maximum %d", store.ErrTooLarge, size, MaxItemBytes)
	}
	return item, nil
}

// TimeFormat is RFC 3339 with milliseconds, used for times stored as strings.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

func putBody(item map[string]types.AttributeValue, raw []byte) error {
	if len(raw) == 0 {
		return nil
	}
	if len(raw) <= CompressThreshold {
		item[AttrRaw] = &types.AttributeValueMemberB{Value: raw}
		return nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return fmt.Errorf("compress body: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress body: %w", err)
	}
	if buf.Len() >= len(raw) {
		item[AttrRaw] = &types.AttributeValueMemberB{Value: raw}
		return nil
	}
	item[AttrRaw] = &types.AttributeValueMemberB{Value: buf.Bytes()}
	item[AttrRawEncoding] = str(GzipEncoding)
	return nil
}

// Size estimates the stored size of item the way DynamoDB counts it. Each
// attribute counts its name in UTF-8 bytes plus its value. A string counts
// its UTF-8 bytes, a binary its bytes, and a list 3 bytes plus 1 per element
// plus the elements. A number counts its decimal text plus 1 byte, which is
// at least what DynamoDB counts (1 byte per two significant digits plus 1).
func Size(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(v.Value) + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	}
	// NOTE: Encode writes only S, N, B and L values; others count as 1 byte.
	return 1
}

// Decode returns the record stored in item, decompressing its body.
func Decode(item map[string]types.AttributeValue) (*store.Record, error) {
	d := decoder{item: item}
	rec := &store.Record{
		ID:               d.str(AttrID),
		Status:           store.Status(d.str(AttrStatus)),
		Type:             d.str(AttrType),
		Category:         d.str(AttrCategory),
		Kind:             d.str(AttrKind),
		Clinic:           d.str(AttrClinic),
		JobID:            d.str(AttrJobID),
		Created:          d.str(AttrCreated),
		ReceivedAt:       d.millis(AttrReceivedMs),
		ContentHash:      d.str(AttrContentHash),
		SignatureMethod:  d.str(AttrSignatureMethod),
		WebhookID:        d.str(AttrWebhookID),
		WebhookAttempt:   d.str(AttrWebhookAttempt),
		WebhookTimestamp: d.str(AttrWebhookTimestamp),
		SchemaIssues:     d.list(AttrSchemaIssues),
		Errors:           d.list(AttrErrors),
		ConflictOf:       d.str(AttrConflictOf),
		Alert:            store.AlertState(d.str(AttrAlertState)),
		AlertDue:         d.millis(AttrAlertDueMs),
		AlertAttempts:    int(d.int(AttrAlertAttempts)),
		AlertPublishedAt: d.time(AttrAlertPublishedAt),
		AlertMessageID:   d.str(AttrAlertMessageID),
		AlertLastError:   d.str(AttrAlertLastError),
	}
	if d.has(AttrExpiresAt) {
		rec.ExpiresAt = time.Unix(d.int(AttrExpiresAt), 0).UTC()
	}
	raw, err := d.body()
	if err != nil {
		return nil, err
	}
	rec.Raw = raw
	if d.err != nil {
		return nil, fmt.Errorf("decode item %q: %w", rec.ID, d.err)
	}
	return rec, nil
}

// decoder reads typed attributes and keeps the first error.
type decoder struct {
	item map[string]types.AttributeValue
	err  error
}

func (d *decoder) has(name string) bool {
	_, ok := d.item[name]
	return ok
}

func (d *decoder) fail(name, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s: want type %s, got %T", name, want, d.item[name])
	}
}

func (d *decoder) str(name string) string {
	v, ok := d.item[name]
	if !ok {
		return ""
	}
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		d.fail(name, "S")
		return ""
	}
	return s.Value
}

func (d *decoder) int(name string) int64 {
	v, ok := d.item[name]
	if !ok {
		return 0
	}
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		d.fail(name, "N")
		return 0
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("attribute %s: %w", name, err)
	}
	return i
}

func (d *decoder) millis(name string) time.Time {
	if !d.has(name) {
		return time.Time{}
	}
	return time.UnixMilli(d.int(name)).UTC()
}

func (d *decoder) time(name string) time.Time {
	s := d.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("attribute %s: %w", name, err)
	}
	return t.UTC()
}

func (d *decoder) list(name string) []string {
	v, ok := d.item[name]
	if !ok {
		return nil
	}
	l, ok := v.(*types.AttributeValueMemberL)
	if !ok {
		d.fail(name, "L")
		return nil
	}
	out := make([]string, 0, len(l.Value))
	for _, e := range l.Value {
		s, ok := e.(*types.AttributeValueMemberS)
		if !ok {
			d.fail(name, "L of S")
			return nil
		}
		out = append(out, s.Value)
	}
	return out
}

func (d *decoder) body() ([]byte, error) {
	v, ok := d.item[AttrRaw]
	if !ok {
		return nil, nil
	}
	b, ok := v.(*types.AttributeValueMemberB)
	if !ok {
		d.fail(AttrRaw, "B")
		return nil, nil
	}
	switch enc := d.str(AttrRawEncoding); enc {
	case "":
		if len(b.Value) == 0 {
			return nil, nil
		}
		return b.Value, nil
	case GzipEncoding:
		zr, err := gzip.NewReader(bytes.NewReader(b.Value))
		if err != nil {
			return nil, fmt.Errorf("decompress body: %w", err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("decompress body: %w", err)
		}
		return raw, nil
	default:
		return nil, fmt.Errorf("unknown body encoding %q", enc)
	}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func list(values []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(values))
	for i, v := range values {
		l[i] = str(v)
	}
	return &types.AttributeValueMemberL{Value: l}
}
