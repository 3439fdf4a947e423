package snspub_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
)

// standIn reaches the SNS and SQS of moto_server and names its topics and
// queues uniquely for one test.
type standIn struct {
	sns    *sns.Client
	sqs    *sqs.Client
	prefix string
}

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	cfg := testenv.AWSConfig(t, testenv.MotoURL(t))
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	return &standIn{
		sns:    sns.NewFromConfig(cfg),
		sqs:    sqs.NewFromConfig(cfg),
		prefix: "cobalt-alert-" + hex.EncodeToString(suffix) + "-",
	}
}

// topic creates a topic and returns its ARN.
func (s *standIn) topic(t *testing.T, name string) string {
	t.Helper()
	out, err := s.sns.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String(s.prefix + name)})
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

// queue creates an SQS queue subscribed to topicARN, with raw message
// delivery when raw is set and filterPolicy when it is not empty, and
// returns its URL.
func (s *standIn) queue(t *testing.T, name, topicARN string, raw bool, filterPolicy string) string {
	t.Helper()
	ctx := context.Background()
	created, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(s.prefix + name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	attrs, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       created.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("get ARN of queue %s: %v", name, err)
	}
	subscription := map[string]string{}
	if raw {
		subscription["RawMessageDelivery"] = "true"
	}
	if filterPolicy != "" {
		subscription["FilterPolicy"] = filterPolicy
	}
	_, err = s.sns.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:   aws.String(topicARN),
		Protocol:   aws.String("sqs"),
		Endpoint:   aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		Attributes: subscription,
	})
	if err != nil {
		t.Fatalf("subscribe queue %s: %v", name, err)
	}
	return aws.ToString(created.QueueUrl)
}

// delivery is one message as a subscriber receives it.
type delivery struct {
	body    string // the document
	subject string // empty for raw delivery, which carries no subject
	attrs   map[string]attribute
}

type attribute struct {
	Type  string
	Value string
}

// receive returns every message in queueURL, reading until want messages
// have arrived and then once more to find any extra message.
func (s *standIn) receive(t *testing.T, queueURL string, raw bool, want int) []delivery {
	t.Helper()
	var got []delivery
	for attempt := 0; attempt < 10; attempt++ {
		wait := int32(1)
		if len(got) >= want {
			wait = 0
		}
		out, err := s.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(queueURL),
			MaxNumberOfMessages:   10,
			WaitTimeSeconds:       wait,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatalf("receive from %s: %v", queueURL, err)
		}
		for _, m := range out.Messages {
			got = append(got, parseDelivery(t, m, raw))
		}
		if len(got) >= want && len(out.Messages) == 0 {
			break
		}
	}
	return got
}

func parseDelivery(t *testing.T, m sqstypes.Message, raw bool) delivery {
	t.Helper()
	d := delivery{attrs: make(map[string]attribute)}
	if raw {
		d.body = aws.ToString(m.Body)
		for name, v := range m.MessageAttributes {
			d.attrs[name] = attribute{Type: aws.ToString(v.DataType), Value: aws.ToString(v.StringValue)}
		}
		return d
	}
	var notification struct {
		Type              string
		Message           string
		Subject           string
		MessageAttributes map[string]attribute
	}
	if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &notification); err != nil {
		t.Fatalf("enveloped delivery is not a JSON notification: %v", err)
	}
	if notification.Type != "Notification" {
		t.Errorf("enveloped delivery has Type %q, want Notification", notification.Type)
	}
	d.body = notification.Message
	d.subject = notification.Subject
	for name, v := range notification.MessageAttributes {
		d.attrs[name] = v
	}
	return d
}

// eventID returns the event_id of a delivered document.
func eventID(t *testing.T, d delivery) string {
	t.Helper()
	var doc struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal([]byte(d.body), &doc); err != nil {
		t.Fatalf("delivered body is not the JSON document: %v\n%s", err, d.body)
	}
	return doc.EventID
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
