package dynamostore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

// query runs in page by page on an index, calling keep for each decoded live
// record until keep returns false or the index has no more items.
func (s *Store) query(ctx context.Context, in *dynamodb.QueryInput, keep func(*store.Record) bool) error {
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return err
		}
		now := s.now()
		for _, item := range out.Items {
			rec, err := ddbitem.Decode(item)
			if err != nil {
				return err
			}
			if ddbitem.Expired(rec, now) {
				continue
			}
			if !keep(rec) {
				return nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// DueAlerts implements store.Store.DueAlerts with a Query on
// PendingAlertsIndex, which holds only pending alerts. Index reads are
// eventually consistent, so an alert claimed or published a moment ago may
// still be listed; ClaimAlert then returns store.ErrNotClaimed.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list due alerts: %w", ddbitem.ErrLimit)
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(PendingAlertsIndex),
		KeyConditionExpression: aws.String("#pendingKey = :pendingValue AND #due <= :now"),
		ProjectionExpression:   aws.String("#id, #exp"),
		ExpressionAttributeNames: map[string]string{
			"#pendingKey": ddbitem.AttrAlertPending,
			"#due":        ddbitem.AttrAlertDueMs,
			"#id":         ddbitem.AttrID,
			"#exp":        ddbitem.AttrExpiresAt,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pendingValue": &types.AttributeValueMemberS{Value: ddbitem.PendingValue},
			":now":          epochMillis(now),
		},
		ScanIndexForward: aws.Bool(true),
		Limit:            aws.Int32(int32(min(limit, 1000))),
	}
	var ids []string
	err := s.query(ctx, in, func(rec *store.Record) bool {
		ids = append(ids, rec.ID)
		return len(ids) < limit
	})
	if err != nil {
		return nil, fmt.Errorf("list due alerts: %w", err)
	}
	return ids, nil
}

// ByJobID implements store.Store.ByJobID with a Query on JobIDIndex.
// Index reads are eventually consistent, so a record written a moment ago
// may be missing.
func (s *Store) ByJobID(ctx context.Context, jobID string, limit int) ([]*store.Record, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list records of job %q: %w", jobID, ddbitem.ErrLimit)
	}
	if jobID == "" {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		IndexName:                aws.String(JobIDIndex),
		KeyConditionExpression:   aws.String("#job = :job"),
		ExpressionAttributeNames: map[string]string{"#job": ddbitem.AttrJobID},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":job": &types.AttributeValueMemberS{Value: jobID},
		},
		ScanIndexForward: aws.Bool(true),
		Limit:            aws.Int32(int32(min(limit, 1000))),
	}
	var recs []*store.Record
	err := s.query(ctx, in, func(rec *store.Record) bool {
		recs = append(recs, rec)
		return len(recs) < limit
	})
	if err != nil {
		return nil, fmt.Errorf("list records of job %q: %w", jobID, err)
	}
	return recs, nil
}

// Scan implements store.Store.Scan with a strongly consistent Scan of the
// whole table and a filter expression built from filter.
func (s *Store) Scan(ctx context.Context, filter store.ScanFilter, fn func(*store.Record) error) error {
	in := &dynamodb.ScanInput{
		TableName:      aws.String(s.table),
		ConsistentRead: aws.Bool(true),
	}
	setFilter(in, filter)
	for {
		out, err := s.client.Scan(ctx, in)
		if err != nil {
			return fmt.Errorf("scan records: %w", err)
		}
		now := s.now()
		for _, item := range out.Items {
			rec, err := ddbitem.Decode(item)
			if err != nil {
				return fmt.Errorf("scan records: %w", err)
			}
			if ddbitem.Expired(rec, now) {
				continue
			}
			if err := fn(rec); err != nil {
				return fmt.Errorf("scan records, at %q: %w", rec.ID, err)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// setFilter sets the filter expression of in to the fields of filter that are
// set, or leaves it unset when none is.
func setFilter(in *dynamodb.ScanInput, filter store.ScanFilter) {
	var terms []string
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	equal := func(placeholder, attr, value string) {
		if value == "" {
			return
		}
		terms = append(terms, "#"+placeholder+" = :"+placeholder)
		names["#"+placeholder] = attr
		values[":"+placeholder] = &types.AttributeValueMemberS{Value: value}
	}
	equal("type", ddbitem.AttrType, filter.Type)
	equal("category", ddbitem.AttrCategory, filter.Category)
	equal("status", ddbitem.AttrStatus, string(filter.Status))
	equal("alert", ddbitem.AttrAlertState, string(filter.Alert))

	if !filter.ReceivedFrom.IsZero() {
		terms = append(terms, "#received >= :from")
		values[":from"] = epochMillis(filter.ReceivedFrom)
	}
	if !filter.ReceivedTo.IsZero() {
		terms = append(terms, "#received < :to")
		values[":to"] = epochMillis(filter.ReceivedTo)
	}
	if !filter.ReceivedFrom.IsZero() || !filter.ReceivedTo.IsZero() {
		names["#received"] = ddbitem.AttrReceivedMs
	}
	if len(terms) == 0 {
		return
	}
	in.FilterExpression = aws.String(strings.Join(terms, " AND "))
	in.ExpressionAttributeNames = names
	in.ExpressionAttributeValues = values
}
