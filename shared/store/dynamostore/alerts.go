package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/internal/ddbitem"
)

// alertUpdate is one conditional UpdateItem on the alert of an event. Its
// names and values may use #state, #exp, :pending and :nowsec, which
// updateAlert supplies, and must use each name and value they add.
type alertUpdate struct {
	condition string
	update    string
	names     map[string]string
	values    map[string]types.AttributeValue
	returnNew bool
}

// updateAlert runs u on the live event id. When the condition held it
// returns applied true and, with u.returnNew, the updated record. When it
// failed it returns applied false and the current record. It returns an
// error wrapping store.ErrNotFound when there is no live event.
func (s *Store) updateAlert(ctx context.Context, id string, u alertUpdate) (applied bool, rec *store.Record, err error) {
	if err := ddbitem.CheckID(id); err != nil {
		return false, nil, err
	}
	now := s.now()
	names := map[string]string{"#state": ddbitem.AttrAlertState, "#exp": ddbitem.AttrExpiresAt}
	maps.Copy(names, u.names)
	values := map[string]types.AttributeValue{
		":pending": &types.AttributeValueMemberS{Value: string(store.AlertPending)},
		":nowsec":  epochSeconds(now),
	}
	maps.Copy(values, u.values)
	in := &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 keyOf(ddbitem.EventKey(id)),
		ConditionExpression:                 aws.String("(" + u.condition + ") AND (attribute_not_exists(#exp) OR #exp >= :nowsec)"),
		UpdateExpression:                    aws.String(u.update),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if u.returnNew {
		in.ReturnValues = types.ReturnValueAllNew
	}

	out, err := s.client.UpdateItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		if len(failed.Item) == 0 {
			return false, nil, store.ErrNotFound
		}
		old, err := ddbitem.Decode(failed.Item)
		if err != nil {
			return false, nil, err
		}
		if ddbitem.Expired(old, now) {
			return false, nil, store.ErrNotFound
		}
		return false, old, nil
	case err != nil:
		return false, nil, err
	}
	if !u.returnNew {
		return true, nil, nil
	}
	rec, err = ddbitem.Decode(out.Attributes)
	if err != nil {
		return false, nil, err
	}
	return true, rec, nil
}

// MarkPublished implements store.Store.MarkPublished with one conditional
// UpdateItem that also removes the record from PendingAlertsIndex.
func (s *Store) MarkPublished(ctx context.Context, id, messageID string, at time.Time) error {
	u := alertUpdate{
		condition: "#state = :pending",
		update:    "SET #state = :published, #at = :at REMOVE #pendingKey",
		names: map[string]string{
			"#at":         ddbitem.AttrAlertPublishedAt,
			"#pendingKey": ddbitem.AttrAlertPending,
		},
		values: map[string]types.AttributeValue{
			":published": &types.AttributeValueMemberS{Value: string(store.AlertPublished)},
			":at":        &types.AttributeValueMemberS{Value: ddbitem.Millis(at).Format(ddbitem.TimeFormat)},
		},
	}
	u.names["#msg"] = ddbitem.AttrAlertMessageID
	if messageID != "" {
		u.update = "SET #state = :published, #at = :at, #msg = :msg REMOVE #pendingKey"
		u.values[":msg"] = &types.AttributeValueMemberS{Value: messageID}
	} else {
		u.update += ", #msg"
	}
	if _, _, err := s.updateAlert(ctx, id, u); err != nil {
		return fmt.Errorf("mark alert of %q published: %w", id, err)
	}
	return nil
}

// ClaimAlert implements store.Store.ClaimAlert with one conditional
// UpdateItem returning the updated item.
func (s *Store) ClaimAlert(ctx context.Context, id string, now time.Time, lease time.Duration) (*store.Record, error) {
	u := alertUpdate{
		condition: "#state = :pending AND #due <= :now",
		update:    "SET #due = :due, #attempts = if_not_exists(#attempts, :zero) + :one",
		names: map[string]string{
			"#due":      ddbitem.AttrAlertDueMs,
			"#attempts": ddbitem.AttrAlertAttempts,
		},
		values: map[string]types.AttributeValue{
			":now":  epochMillis(now),
			":due":  epochMillis(now.Add(lease)),
			":zero": &types.AttributeValueMemberN{Value: "0"},
			":one":  &types.AttributeValueMemberN{Value: "1"},
		},
		returnNew: true,
	}
	applied, rec, err := s.updateAlert(ctx, id, u)
	switch {
	case err != nil:
		return nil, fmt.Errorf("claim alert of %q: %w", id, err)
	case !applied:
		return nil, fmt.Errorf("claim alert of %q: %w", id, store.ErrNotClaimed)
	}
	return rec, nil
}

// RecordAlertError implements store.Store.RecordAlertError with one
// conditional UpdateItem.
func (s *Store) RecordAlertError(ctx context.Context, id, message string, retryAt time.Time) error {
	u := alertUpdate{
		condition: "#state = :pending",
		update:    "SET #err = :err",
		names:     map[string]string{"#err": ddbitem.AttrAlertLastError},
		values:    map[string]types.AttributeValue{":err": lastError(message)},
	}
	if message == "" {
		u.update, u.values = "REMOVE #err", map[string]types.AttributeValue{}
	}
	if !retryAt.IsZero() {
		u.names["#due"] = ddbitem.AttrAlertDueMs
		u.values[":retryAt"] = epochMillis(retryAt)
		if message == "" {
			u.update = "SET #due = :retryAt REMOVE #err"
		} else {
			u.update = "SET #err = :err, #due = :retryAt"
		}
	}
	if _, _, err := s.updateAlert(ctx, id, u); err != nil {
		return fmt.Errorf("record alert error of %q: %w", id, err)
	}
	return nil
}

// FailAlert implements store.Store.FailAlert with one conditional UpdateItem
// that also removes the record from PendingAlertsIndex. An empty message
// keeps the last error recorded.
func (s *Store) FailAlert(ctx context.Context, id, message string) error {
	u := alertUpdate{
		condition: "#state = :pending",
		update:    "SET #state = :failed REMOVE #pendingKey",
		names:     map[string]string{"#pendingKey": ddbitem.AttrAlertPending},
		values: map[string]types.AttributeValue{
			":failed": &types.AttributeValueMemberS{Value: string(store.AlertFailed)},
		},
	}
	if message != "" {
		u.update = "SET #state = :failed, #err = :err REMOVE #pendingKey"
		u.names["#err"] = ddbitem.AttrAlertLastError
		u.values[":err"] = lastError(message)
	}
	if _, _, err := s.updateAlert(ctx, id, u); err != nil {
		return fmt.Errorf("fail alert of %q: %w", id, err)
	}
	return nil
}

// RequeueAlert implements store.Store.RequeueAlert with one conditional
// UpdateItem that puts the record back in PendingAlertsIndex.
func (s *Store) RequeueAlert(ctx context.Context, id string, now time.Time) error {
	u := alertUpdate{
		condition: "#state IN (:published, :failed)",
		update: "SET #state = :pending, #pendingKey = :pendingValue, #due = :due, #attempts = :zero " +
			"REMOVE #msg, #at",
		names: map[string]string{
			"#pendingKey": ddbitem.AttrAlertPending,
			"#due":        ddbitem.AttrAlertDueMs,
			"#attempts":   ddbitem.AttrAlertAttempts,
			"#msg":        ddbitem.AttrAlertMessageID,
			"#at":         ddbitem.AttrAlertPublishedAt,
		},
		values: map[string]types.AttributeValue{
			":published":    &types.AttributeValueMemberS{Value: string(store.AlertPublished)},
			":failed":       &types.AttributeValueMemberS{Value: string(store.AlertFailed)},
			":pendingValue": &types.AttributeValueMemberS{Value: ddbitem.PendingValue},
			":due":          epochMillis(now),
			":zero":         &types.AttributeValueMemberN{Value: "0"},
		},
	}
	applied, rec, err := s.updateAlert(ctx, id, u)
	switch {
	case err != nil:
		return fmt.Errorf("requeue alert of %q: %w", id, err)
	case !applied && rec.Alert == store.AlertNone:
		return fmt.Errorf("requeue alert of %q: %w", id, store.ErrNoAlert)
	}
	return nil
}

func lastError(message string) types.AttributeValue {
	return &types.AttributeValueMemberS{Value: ddbitem.TruncateError(message)}
}
