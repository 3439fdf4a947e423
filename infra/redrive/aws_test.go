package main_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

// table is a DynamoDB Local table made for one test, with the environment
// that points the redrive command at it.
type table struct {
	name  string
	store *dynamostore.Store
	env   []string
}

func randomSuffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newTable creates a table in DynamoDB Local and deletes it when the test
// ends. Its env sends every AWS request of the command to DynamoDB Local,
// with test credentials and no shared AWS configuration.
func newTable(t *testing.T) *table {
	t.Helper()
	url := testenv.DynamoDBURL(t)
	client := dynamodb.NewFromConfig(testenv.AWSConfig(t, url))
	name := "redrive-cli-" + randomSuffix(t)
	if err := dynamostore.CreateTable(t.Context(), client, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		if _, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}); err != nil {
			t.Errorf("delete table %s: %v", name, err)
		}
	})
	noFile := filepath.Join(t.TempDir(), "absent")
	return &table{
		name:  name,
		store: dynamostore.New(client, name),
		env: []string{
			"AWS_ENDPOINT_URL=" + url, "AWS_ENDPOINT_URL_DYNAMODB=" + url,
			"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_SESSION_TOKEN=",
			"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=",
			"AWS_CONFIG_FILE=" + noFile, "AWS_SHARED_CREDENTIALS_FILE=" + noFile,
		},
	}
}

// create stores the sample name as an event whose alert is in state, with
// id in place of the sample's id unless id is empty, and returns the id.
func (tb *table) create(t *testing.T, name, id string, state store.AlertState, received time.Time) string {
	t.Helper()
	body, env := sample(t, name)
	if id == "" {
		id = env.ID
	}
	rec := &store.Record{
		ID: id, Status: store.StatusStored, Type: env.Type, Category: env.Category, Kind: string(env.Kind),
		ReceivedAt: received, ContentHash: "hash-" + id,
		Raw:   []byte(strings.Replace(string(body), env.ID, id, 1)),
		Alert: state,
	}
	if rec.Category == "" {
		rec.Category = "other"
	}
	switch state {
	case store.AlertPending:
		rec.AlertDue = received.Add(24 * time.Hour)
	case store.AlertPublished:
		rec.AlertMessageID, rec.AlertPublishedAt, rec.AlertAttempts = "first-"+id, received, 1
	case store.AlertFailed:
		rec.AlertAttempts, rec.AlertLastError = 11, "topic unavailable"
	}
	if _, err := tb.store.Create(context.Background(), rec); err != nil {
		t.Fatalf("Create(%q): %v", id, err)
	}
	return id
}

func (tb *table) get(t *testing.T, id string) *store.Record {
	t.Helper()
	rec, err := tb.store.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return rec
}

func (tb *table) snapshot(t *testing.T) map[string]*store.Record {
	t.Helper()
	all := map[string]*store.Record{}
	err := tb.store.Scan(context.Background(), store.ScanFilter{}, func(rec *store.Record) error {
		all[rec.ID] = rec
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return all
}

func TestTableRedrive(t *testing.T) {
	tb := newTable(t)
	received := time.Now().Add(-time.Hour).UTC()
	failed := tb.create(t, "appointment.failed.json", "", store.AlertFailed, received)
	published := tb.create(t, "telephone_encounter.created_partial.json", "", store.AlertPublished,
		received.Add(time.Minute))
	pending := tb.create(t, "task.failed.json", "", store.AlertPending, received.Add(2*time.Minute))
	success := tb.create(t, "appointment.created.json", "", store.AlertNone, received.Add(3*time.Minute))
	old := tb.create(t, "note.failed.json", "", store.AlertFailed, received.Add(-48*time.Hour))

	t.Run("dry run changes nothing", func(t *testing.T) {
		before := tb.snapshot(t)
		res := runRedrive(t, tb.env, "-table", tb.name, "-dry-run",
			"-from", received.Format(time.RFC3339Nano), "-to", received.Add(time.Hour).Format(time.RFC3339Nano))
		if res.code != 0 {
			t.Fatalf("exit status %d; stderr:\n%s", res.code, res.stderr)
		}
		if after := tb.snapshot(t); !reflect.DeepEqual(after, before) {
			t.Error("dry run changed the table")
		}
		for _, id := range []string{failed, published} {
			if !regexp.MustCompile(regexp.QuoteMeta(id) + `\s+\S+\s+\S+\s+would be requeued`).MatchString(res.stdout) {
				t.Errorf("dry run does not list %s as would be requeued:\n%s", id, res.stdout)
			}
		}
		if !regexp.MustCompile(regexp.QuoteMeta(pending) + `\s+task\.failed\s+pending\s+skipped: already pending`).
			MatchString(res.stdout) {
			t.Errorf("dry run does not list the pending alert as skipped:\n%s", res.stdout)
		}
		if !strings.Contains(res.stdout, "needs no option to include them") {
			t.Errorf("output does not explain why pending alerts are skipped:\n%s", res.stdout)
		}
		for _, id := range []string{success, old} {
			if strings.Contains(res.stdout, id) {
				t.Errorf("dry run lists %s, which the selectors exclude", id)
			}
		}
	})

	t.Run("ids", func(t *testing.T) {
		res := runRedrive(t, tb.env, "-table", tb.name, "-id", failed, "-id", published, "-id", success,
			"-id", "evt-not-stored")
		if res.code != 1 {
			t.Errorf("exit status %d, want 1 for an id not found; stderr:\n%s", res.code, res.stderr)
		}
		for _, id := range []string{failed, published} {
			rec := tb.get(t, id)
			if rec.Alert != store.AlertPending || rec.AlertAttempts != 0 || rec.AlertMessageID != "" {
				t.Errorf("%s: alert %s attempts %d message id %q, want pending, 0 and none",
					id, rec.Alert, rec.AlertAttempts, rec.AlertMessageID)
			}
		}
		if got := tb.get(t, success).Alert; got != store.AlertNone {
			t.Errorf("success event alert %s, want none", got)
		}
		if !regexp.MustCompile(`evt-not-stored\s+-\s+-\s+not found`).MatchString(res.stdout) {
			t.Errorf("output lacks the not-found line:\n%s", res.stdout)
		}
		if !strings.Contains(res.stdout, "the scheduled sweep publishes the 2 requeued alerts") {
			t.Errorf("output does not say who publishes the alerts:\n%s", res.stdout)
		}
	})

	t.Run("category and range", func(t *testing.T) {
		res := runRedrive(t, tb.env, "-table", tb.name, "-category", "note",
			"-to", received.Format(time.RFC3339Nano))
		if res.code != 0 {
			t.Fatalf("exit status %d; stderr:\n%s", res.code, res.stderr)
		}
		if got := tb.get(t, old).Alert; got != store.AlertPending {
			t.Errorf("note alert %s, want pending", got)
		}
		if !strings.Contains(res.stdout, "summary: 1 listed: 1 requeued") {
			t.Errorf("summary does not count one requeued alert:\n%s", res.stdout)
		}
	})
}

func TestTableRedriveNeedsYesAboveLimit(t *testing.T) {
	tb := newTable(t)
	received := time.Now().Add(-time.Hour).UTC()
	const count = 101
	for i := range count {
		tb.create(t, "appointment.failed.json", fmt.Sprintf("evt-bulk-%03d", i), store.AlertFailed, received)
	}
	before := tb.snapshot(t)

	rejected := runRedrive(t, tb.env, "-table", tb.name, "-type", "appointment.failed")
	if rejected.code != 1 {
		t.Errorf("exit status %d without -yes, want 1", rejected.code)
	}
	if !strings.Contains(rejected.stderr, "101 alerts would be requeued, more than 100") ||
		!strings.Contains(rejected.stderr, "-yes") {
		t.Errorf("rejection does not give the count and -yes:\n%s", rejected.stderr)
	}
	if after := tb.snapshot(t); !reflect.DeepEqual(after, before) {
		t.Error("rejected run changed the table")
	}

	res := runRedrive(t, tb.env, "-table", tb.name, "-type", "appointment.failed", "-yes")
	if res.code != 0 {
		t.Fatalf("exit status %d with -yes; stderr:\n%s", res.code, res.stderr)
	}
	pending := 0
	for _, rec := range tb.snapshot(t) {
		if rec.Alert == store.AlertPending {
			pending++
		}
	}
	if pending != count {
		t.Errorf("%d alerts pending after -yes, want %d", pending, count)
	}
}

func TestTableRedrivePublishNow(t *testing.T) {
	tb := newTable(t)
	motoURL := testenv.MotoURL(t)
	cfg := testenv.AWSConfig(t, motoURL)
	snsClient, sqsClient := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	ctx := context.Background()
	prefix := "redrive-" + randomSuffix(t) + "-"

	env := append([]string{}, tb.env...)
	env = append(env, "AWS_ENDPOINT_URL_SNS="+motoURL)
	var appointmentARN string
	for _, topic := range config.Topics() {
		out, err := snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(prefix + topic)})
		if err != nil {
			t.Fatalf("create topic %s: %v", topic, err)
		}
		env = append(env, config.TopicVariable(topic)+"="+aws.ToString(out.TopicArn))
		if topic == "appointment" {
			appointmentARN = aws.ToString(out.TopicArn)
		}
	}
	queueURL := subscribeQueue(t, snsClient, sqsClient, prefix+"appointment", appointmentARN)

	id := tb.create(t, "appointment.failed.json", "", store.AlertFailed, time.Now().Add(-time.Hour).UTC())
	res := runRedrive(t, env, "-table", tb.name, "-id", id, "-publish-now", "-topics-from-env")
	if res.code != 0 {
		t.Fatalf("exit status %d; stdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "1 due, 1 published") {
		t.Errorf("output lacks the sweep's counts:\n%s", res.stdout)
	}
	rec := tb.get(t, id)
	if rec.Alert != store.AlertPublished || rec.AlertMessageID == "" || rec.AlertMessageID == "first-"+id {
		t.Errorf("alert %s message id %q, want published with a new SNS message id", rec.Alert, rec.AlertMessageID)
	}
	if body := receiveOne(t, sqsClient, queueURL); !strings.Contains(body, id) {
		t.Errorf("delivered message does not carry event id %s", id)
	}
}

// subscribeQueue creates an SQS queue subscribed to topicARN and returns its
// URL.
func subscribeQueue(t *testing.T, snsClient *sns.Client, sqsClient *sqs.Client, name, topicARN string) string {
	t.Helper()
	ctx := context.Background()
	created, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	attrs, err := sqsClient.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       created.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("get ARN of queue %s: %v", name, err)
	}
	_, err = snsClient.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topicARN),
		Protocol: aws.String("sqs"),
		Endpoint: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
	})
	if err != nil {
		t.Fatalf("subscribe queue %s: %v", name, err)
	}
	return aws.ToString(created.QueueUrl)
}

// receiveOne returns the body of the first message in queueURL, polling up
// to ten times for one second each.
func receiveOne(t *testing.T, sqsClient *sqs.Client, queueURL string) string {
	t.Helper()
	for range 10 {
		out, err := sqsClient.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 1, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatalf("receive from %s: %v", queueURL, err)
		}
		if len(out.Messages) > 0 {
			return aws.ToString(out.Messages[0].Body)
		}
	}
	t.Fatalf("no message arrived in %s", queueURL)
	return ""
}
