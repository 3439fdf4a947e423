package redrive_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

// TestDynamoDBStore runs the suite against DynamoDB Local, one new table per
// case.
func TestDynamoDBStore(t *testing.T) {
	client := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBURL(t)))
	runSuite(t, func(t *testing.T) store.Store {
		suffix := make([]byte, 8)
		if _, err := rand.Read(suffix); err != nil {
			t.Fatal(err)
		}
		name := "redrive-" + hex.EncodeToString(suffix)
		if err := dynamostore.CreateTable(t.Context(), client, name); err != nil {
			t.Fatalf("CreateTable: %v", err)
		}
		t.Cleanup(func() {
			_, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name})
			if err != nil {
				t.Errorf("delete table %s: %v", name, err)
			}
		})
		return dynamostore.New(client, name)
	})
}
