package dynamostore_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const lease = 30 * time.Second

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(7, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func tooLarge() *store.Record {
	return &store.Record{
		ID: "big", Status: store.StatusStored, ReceivedAt: base, Raw: randomBytes(500_000),
	}
}

func TestCreateTableSchema(t *testing.T) {
	client := newClient(t, nil)
	name := newTable(t)
	out, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	table := out.Table

	if got := keys(table.KeySchema); !slices.Equal(got, []string{"pk HASH"}) {
		t.Errorf("key schema = %v, want [pk HASH]", got)
	}
	if table.BillingModeSummary == nil || table.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode = %+v, want PAY_PER_REQUEST", table.BillingModeSummary)
	}
	indexes := map[string][]string{}
	for _, gsi := range table.GlobalSecondaryIndexes {
		indexes[aws.ToString(gsi.IndexName)] = keys(gsi.KeySchema)
		if gsi.Projection == nil || gsi.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("index %s projection = %+v, want ALL", aws.ToString(gsi.IndexName), gsi.Projection)
		}
	}
	want := map[string][]string{
		"job_id-index":         {"job_id HASH", "received_ms RANGE"},
		"pending-alerts-index": {"alert_pending HASH", "alert_due_ms RANGE"},
	}
	if len(indexes) != len(want) {
		t.Errorf("indexes = %v, want %v", indexes, want)
	}
	for name, schema := range want {
		if !slices.Equal(indexes[name], schema) {
			t.Errorf("index %s key schema = %v, want %v", name, indexes[name], schema)
		}
	}

	ttl, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: &name})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	d := ttl.TimeToLiveDescription
	if d == nil || aws.ToString(d.AttributeName) != "expires_at" || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL = %+v, want enabled on expires_at", d)
	}
}

func keys(schema []types.KeySchemaElement) []string {
	var out []string
	for _, k := range schema {
		out = append(out, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return out
}

func TestSchemaConstants(t *testing.T) {
	got := []string{
		dynamostore.PartitionKey, dynamostore.JobIDIndex, dynamostore.JobIDAttribute,
		dynamostore.ReceivedMsAttribute, dynamostore.PendingAlertsIndex,
		dynamostore.AlertPendingAttribute, dynamostore.AlertDueMsAttribute,
		dynamostore.AlertPendingValue, dynamostore.TTLAttribute,
	}
	want := []string{
		"pk", "job_id-index", "job_id", "received_ms", "pending-alerts-index",
		"alert_pending", "alert_due_ms", "pending", "expires_at",
	}
	if !slices.Equal(got, want) {
		t.Errorf("schema names = %v, want %v", got, want)
	}
}

// TestItemAtSizeLimit writes an incompressible record whose estimated item
// size is exactly the limit Create accepts, then runs every alert update
// that makes the item grow, so the margin below DynamoDB's 400 KB limit is
// checked against DynamoDB Local.
func TestItemAtSizeLimit(t *testing.T) {
	s := dynamostore.New(newClient(t, nil), newTable(t))
	ctx := t.Context()
	rec := &store.Record{
		ID: "at-limit", Status: store.StatusStored, Type: "task.failed", Category: "task",
		JobID: "77", ReceivedAt: base, ContentHash: strings.Repeat("a", 64),
		Alert: store.AlertPending, AlertDue: base,
	}

	// The body is stored as it is, so the item grows by one byte per byte.
	rec.Raw = randomBytes(300_000)
	rec.Raw = randomBytes(300_000 + ddbitem.MaxItemBytes - itemSize(t, rec))
	if got := itemSize(t, rec); got != ddbitem.MaxItemBytes {
		t.Fatalf("estimated size = %d, want %d", got, ddbitem.MaxItemBytes)
	}
	if _, err := s.Create(ctx, rec); err != nil {
		t.Fatalf("Create at the size limit: %v", err)
	}

	if err := s.RecordAlertError(ctx, rec.ID, strings.Repeat("e", 2*store.MaxAlertErrorBytes), time.Time{}); err != nil {
		t.Fatalf("RecordAlertError: %v", err)
	}
	if _, err := s.ClaimAlert(ctx, rec.ID, base, lease); err != nil {
		t.Fatalf("ClaimAlert: %v", err)
	}
	if err := s.MarkPublished(ctx, rec.ID, strings.Repeat("m", 100), base); err != nil {
		t.Fatalf("MarkPublished: %v", err)
	}
	got, err := s.Get(ctx, rec.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !bytes.Equal(got.Raw, rec.Raw) || got.Alert != store.AlertPublished {
		t.Errorf("record at the limit: %d body bytes (equal %t), alert %q; want the body and published",
			len(got.Raw), bytes.Equal(got.Raw, rec.Raw), got.Alert)
	}

	// One more byte is rejected.
	rec.ID = "over-limit"
	rec.Raw = append(rec.Raw, 0)
	if _, err := s.Create(ctx, rec); !errors.Is(err, store.ErrTooLarge) {
		t.Errorf("Create one byte over the limit: error %v, want ErrTooLarge", err)
	}
}

func itemSize(t *testing.T, rec *store.Record) int {
	t.Helper()
	prepared, key, err := ddbitem.Prepare(rec)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	item, err := ddbitem.Encode(prepared, key)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return ddbitem.Size(item)
}
