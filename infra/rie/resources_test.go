package rie_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

// resources are the AWS resources of one test, named uniquely on the shared
// stand-ins: a table on DynamoDB Local, and on moto_server one SNS topic per
// alert topic, each with a raw-delivery SQS queue subscribed, and the
// webhook secret.
type resources struct {
	dynamoURL, motoURL string

	dynamo  *dynamodb.Client
	sns     *sns.Client
	sqs     *sqs.Client
	secrets *secretsmanager.Client

	table     string
	topicARNs map[string]string // alert topic to topic ARN
	queueURLs map[string]string // alert topic to queue URL
	secretARN string
}

func newResources(t *testing.T, webhookSecrets []string) *resources {
	t.Helper()
	r := &resources{
		dynamoURL: testenv.DynamoDBURL(t),
		motoURL:   testenv.MotoURL(t),
		topicARNs: map[string]string{},
		queueURLs: map[string]string{},
	}
	r.dynamo = dynamodb.NewFromConfig(testenv.AWSConfig(t, r.dynamoURL))
	moto := testenv.AWSConfig(t, r.motoURL)
	r.sns = sns.NewFromConfig(moto)
	r.sqs = sqs.NewFromConfig(moto)
	r.secrets = secretsmanager.NewFromConfig(moto)

	prefix := "cobalt-rie-" + randomHex(t, 6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	r.table = prefix
	if err := dynamostore.CreateTable(ctx, r.dynamo, r.table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() { r.deleteTable(t) })

	for _, topic := range config.Topics() {
		r.topicARNs[topic], r.queueURLs[topic] = r.subscribedQueue(ctx, t, prefix+"-"+topic)
	}

	value, err := json.Marshal(webhookSecrets)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := r.secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(prefix + "/webhook-secrets"),
		SecretString: aws.String(string(value)),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	r.secretARN = aws.ToString(secret.ARN)
	t.Cleanup(func() {
		_, err := r.secrets.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{
			SecretId:                   secret.ARN,
			ForceDeleteWithoutRecovery: aws.Bool(true),
		})
		if err != nil {
			t.Logf("delete secret %s: %v", r.secretARN, err)
		}
	})
	return r
}

// subscribedQueue creates topic name and a queue of the same name
// subscribed to it with raw message delivery, and returns their ARN and URL.
func (r *resources) subscribedQueue(ctx context.Context, t *testing.T, name string) (topicARN, queueURL string) {
	t.Helper()
	topic, err := r.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	topicARN = aws.ToString(topic.TopicArn)
	t.Cleanup(func() {
		if _, err := r.sns.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: topic.TopicArn}); err != nil {
			t.Logf("delete topic %s: %v", name, err)
		}
	})

	queue, err := r.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	queueURL = aws.ToString(queue.QueueUrl)
	t.Cleanup(func() {
		if _, err := r.sqs.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: queue.QueueUrl}); err != nil {
			t.Logf("delete queue %s: %v", name, err)
		}
	})

	attrs, err := r.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       queue.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("get ARN of queue %s: %v", name, err)
	}
	_, err = r.sns.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:   topic.TopicArn,
		Protocol:   aws.String("sqs"),
		Endpoint:   aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	})
	if err != nil {
		t.Fatalf("subscribe queue %s: %v", name, err)
	}
	return topicARN, queueURL
}

func (r *resources) deleteTable(t *testing.T) {
	_, err := r.dynamo.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(r.table)})
	if err != nil {
		t.Logf("delete table %s: %v", r.table, err)
	}
}

// putSecret replaces the webhook secret's value.
func (r *resources) putSecret(t *testing.T, webhookSecrets []string) {
	t.Helper()
	value, err := json.Marshal(webhookSecrets)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.secrets.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(r.secretARN),
		SecretString: aws.String(string(value)),
	})
	if err != nil {
		t.Fatalf("put secret value: %v", err)
	}
}

// eventKey is the partition key of a stored event, as dynamostore's
// package documentation describes it.
func eventKey(id string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		dynamostore.PartitionKey: &ddbtypes.AttributeValueMemberS{Value: "event#" + id},
	}
}

// item returns the stored item of event id, read with a consistent
// GetItem, or nil when there is none.
func (r *resources) item(t *testing.T, id string) map[string]ddbtypes.AttributeValue {
	t.Helper()
	out, err := r.dynamo.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(r.table),
		Key:            eventKey(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("get item of event %s: %v", id, err)
	}
	return out.Item
}

// itemCount returns the number of items in the table.
func (r *resources) itemCount(t *testing.T) int {
	t.Helper()
	out, err := r.dynamo.Scan(context.Background(), &dynamodb.ScanInput{
		TableName:      aws.String(r.table),
		Select:         ddbtypes.SelectCount,
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("count items: %v", err)
	}
	return int(out.Count)
}

// delivery is one message an SQS subscriber received.
type delivery struct {
	body  string
	attrs map[string]attribute
}

type attribute struct {
	Type, Value string
}

// receive returns the messages waiting in topic's queue and deletes them.
// It polls until want messages have arrived, or for up to 10 s, then reads
// once more without waiting to find any extra message.
func (r *resources) receive(t *testing.T, topic string, want int) []delivery {
	t.Helper()
	queueURL := aws.String(r.queueURLs[topic])
	var got []delivery
	deadline := time.Now().Add(10 * time.Second)
	for {
		wait := int32(1)
		if len(got) >= want || time.Now().After(deadline) {
			wait = 0
		}
		out, err := r.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl:              queueURL,
			MaxNumberOfMessages:   10,
			WaitTimeSeconds:       wait,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatalf("receive from queue of topic %s: %v", topic, err)
		}
		for _, m := range out.Messages {
			d := delivery{body: aws.ToString(m.Body), attrs: map[string]attribute{}}
			for name, v := range m.MessageAttributes {
				d.attrs[name] = attribute{Type: aws.ToString(v.DataType), Value: aws.ToString(v.StringValue)}
			}
			got = append(got, d)
			_, err := r.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{
				QueueUrl: queueURL, ReceiptHandle: m.ReceiptHandle,
			})
			if err != nil {
				t.Fatalf("delete message from queue of topic %s: %v", topic, err)
			}
		}
		if wait == 0 && len(out.Messages) == 0 {
			return got
		}
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
