package dynamostore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableAPI is the part of the DynamoDB client that CreateTable calls.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// NewTableInput returns the table definition Store needs: PartitionKey (S) as
// the only key, on-demand billing, and JobIDIndex and PendingAlertsIndex,
// both projecting all attributes so that ByJobID returns whole records and
// DueAlerts can drop expired ones. PendingAlertsIndex stays small because it
// is sparse: an item leaves it when its alert stops being pending.
func NewTableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(PartitionKey), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(JobIDAttribute), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(ReceivedMsAttribute), AttributeType: types.ScalarAttributeTypeN},
			{AttributeName: aws.String(AlertPendingAttribute), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AlertDueMsAttribute), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(PartitionKey), KeyType: types.KeyTypeHash},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			index(JobIDIndex, JobIDAttribute, ReceivedMsAttribute),
			index(PendingAlertsIndex, AlertPendingAttribute, AlertDueMsAttribute),
		},
	}
}

func index(name, partition, sort string) types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName: aws.String(name),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(partition), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sort), KeyType: types.KeyTypeRange},
		},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}
}

// CreateTable creates the table name as NewTableInput defines it, waits
// until the table and its indexes are active, then enables TTL on
// TTLAttribute. It returns when ctx ends first.
func CreateTable(ctx context.Context, client TableAPI, name string) error {
	if _, err := client.CreateTable(ctx, NewTableInput(name)); err != nil {
		return fmt.Errorf("create table %q: %w", name, err)
	}
	if err := waitActive(ctx, client, name); err != nil {
		return fmt.Errorf("create table %q: %w", name, err)
	}
	_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enable TTL on table %q: %w", name, err)
	}
	return nil
}

// waitActive polls DescribeTable until the table and all its global
// secondary indexes are ACTIVE, backing off from 100 ms to 5 s.
func waitActive(ctx context.Context, client TableAPI, name string) error {
	delay := 100 * time.Millisecond
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return err
		}
		if active(out.Table) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for table to become active: %w", ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

func active(table *types.TableDescription) bool {
	if table == nil || table.TableStatus != types.TableStatusActive {
		return false
	}
	for _, gsi := range table.GlobalSecondaryIndexes {
		if gsi.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}
