// Package dynamostore implements store.Store on one DynamoDB table.
//
// Each record is one item whose partition key (PartitionKey) is its status
// namespace and id: "event#<id>", "quarantine#<sha>" for "q-<sha>" and
// "conflict#<hash>" for "c-<hash>". Writes are single conditional requests:
// a duplicate Create costs exactly its failed PutItem, whose
// ConditionalCheckFailedException carries the existing item. The table has
// two global secondary indexes, JobIDIndex and the sparse PendingAlertsIndex,
// and TTL on TTLAttribute; CreateTable builds it.
package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

// Table schema names, for the template and its tests.
const (
	// PartitionKey is the table's only key attribute (S).
	PartitionKey = ddbitem.AttrPK
	// JobIDIndex is the index of records by job id, newest last.
	JobIDIndex = "job_id-index"
	// JobIDAttribute (S) and ReceivedMsAttribute (N, epoch milliseconds)
	// are JobIDIndex's partition and sort keys.
	JobIDAttribute      = ddbitem.AttrJobID
	ReceivedMsAttribute = ddbitem.AttrReceivedMs
	// PendingAlertsIndex is the sparse index of pending alerts by due time.
	PendingAlertsIndex = "pending-alerts-index"
	// AlertPendingAttribute (S, always AlertPendingValue, present only while
	// the alert is pending) and AlertDueMsAttribute (N, epoch milliseconds)
	// are PendingAlertsIndex's partition and sort keys.
	AlertPendingAttribute = ddbitem.AttrAlertPending
	AlertDueMsAttribute   = ddbitem.AttrAlertDueMs
	AlertPendingValue     = ddbitem.PendingValue
	// TTLAttribute holds the expiry time in epoch seconds, only on records
	// with an ExpiresAt.
	TTLAttribute = ddbitem.AttrExpiresAt
)

// API is the part of the DynamoDB client that Store calls.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// IAMActions returns the DynamoDB actions Store calls. Query runs on the
// indexes, so a policy grants it on "<table ARN>/index/*" as well; Scan is
// called only by Store.Scan, for operator tools.
func IAMActions() []string {
	return []string{
		"dynamodb:PutItem",
		"dynamodb:GetItem",
		"dynamodb:UpdateItem",
		"dynamodb:Query",
		"dynamodb:Scan",
	}
}

// Store is a store.Store on a DynamoDB table that CreateTable's schema
// describes.
type Store struct {
	client API
	table  string

	// Now returns the time that expiry is judged by; nil means time.Now.
	// Set it before the first call.
	Now func() time.Time
}

var _ store.Store = (*Store)(nil)

// New returns a Store on table through client.
func New(client API, table string) *Store {
	return &Store{client: client, table: table}
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// label names a status in error messages.
func label(status store.Status) string {
	switch status {
	case store.StatusQuarantined:
		return "quarantine"
	case store.StatusConflict:
		return "conflict"
	}
	return "event"
}

// Create implements store.Store.Create with one conditional PutItem that
// also overwrites an item whose expiry has passed.
func (s *Store) Create(ctx context.Context, rec *store.Record) (*store.Record, error) {
	prepared, key, err := ddbitem.Prepare(rec)
	if err != nil {
		return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
	}
	item, err := ddbitem.Encode(prepared, key)
	if err != nil {
		return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
	}

	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(#pk) OR #exp < :nowsec"),
		ExpressionAttributeNames: map[string]string{
			"#pk":  ddbitem.AttrPK,
			"#exp": ddbitem.AttrExpiresAt,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":nowsec": epochSeconds(s.now()),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		existing, err := decodeOld(failed)
		if err != nil {
			return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
		}
		return existing, nil
	case err != nil:
		return nil, fmt.Errorf("create %s %q: %w", label(rec.Status), rec.ID, err)
	}
	return nil, nil
}

func decodeOld(failed *types.ConditionalCheckFailedException) (*store.Record, error) {
	if len(failed.Item) == 0 {
		return nil, errors.New("condition failed without the existing item")
	}
	return ddbitem.Decode(failed.Item)
}

// Get implements store.Store.Get with one strongly consistent GetItem per
// namespace tried.
func (s *Store) Get(ctx context.Context, id string) (*store.Record, error) {
	keys, err := ddbitem.LookupKeys(id)
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", id, err)
	}
	for _, key := range keys {
		out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(s.table),
			Key:            keyOf(key),
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return nil, fmt.Errorf("get %q: %w", id, err)
		}
		if len(out.Item) == 0 {
			continue
		}
		rec, err := ddbitem.Decode(out.Item)
		if err != nil {
			return nil, fmt.Errorf("get %q: %w", id, err)
		}
		if !ddbitem.Expired(rec, s.now()) {
			return rec, nil
		}
	}
	return nil, fmt.Errorf("get %q: %w", id, store.ErrNotFound)
}

func keyOf(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{ddbitem.AttrPK: &types.AttributeValueMemberS{Value: key}}
}

func epochSeconds(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(t.Unix())}
}

func epochMillis(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(t.UnixMilli())}
}
