package faults_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/snspub"
	"github.com/clinicops/cobalt-receiver/shared/awsclient"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

// randomSuffix returns 12 random hex digits for unique resource names.
func randomSuffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("read random bytes: %v", err)
	}
	return hex.EncodeToString(b)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// faultProxy is a toxiproxy proxy in front of one stand-in.
type faultProxy struct {
	proxy *toxiproxy.Proxy
	// URL is the proxy's endpoint, http://127.0.0.1:PORT.
	URL string
}

// newProxy creates a proxy to the stand-in at upstreamURL, listening on a
// free loopback port, and deletes it when the test ends.
func newProxy(t *testing.T, upstreamURL string) *faultProxy {
	t.Helper()
	upstream, err := url.Parse(upstreamURL)
	if err != nil {
		t.Fatalf("parse stand-in URL %s: %v", upstreamURL, err)
	}
	client := toxiproxy.NewClient(testenv.ToxiproxyURL(t))
	name := "faults-" + unsafeName.ReplaceAllString(t.Name(), "-") + "-" + randomSuffix(t)
	p, err := client.CreateProxy(name, "127.0.0.1:0", upstream.Host)
	if err != nil {
		t.Fatalf("create proxy %s to %s: %v", name, upstream.Host, err)
	}
	t.Cleanup(func() {
		if err := p.Delete(); err != nil {
			t.Errorf("delete proxy %s: %v", name, err)
		}
	})
	return &faultProxy{proxy: p, URL: "http://" + p.Listen}
}

// disable closes the proxy's listener and drops its connections, so new
// connections are refused.
func (p *faultProxy) disable(t *testing.T) {
	t.Helper()
	if err := p.proxy.Disable(); err != nil {
		t.Fatalf("disable proxy %s: %v", p.proxy.Name, err)
	}
}

// enable listens again on the same address.
func (p *faultProxy) enable(t *testing.T) {
	t.Helper()
	if err := p.proxy.Enable(); err != nil {
		t.Fatalf("enable proxy %s: %v", p.proxy.Name, err)
	}
	if got := "http://" + p.proxy.Listen; got != p.URL {
		t.Fatalf("proxy %s listens on %s after enable, want %s", p.proxy.Name, got, p.URL)
	}
}

// addToxic adds a toxic of typeName on stream ("upstream" is the request
// direction, "downstream" the response) and returns its name.
func (p *faultProxy) addToxic(t *testing.T, typeName, stream string, attrs toxiproxy.Attributes) string {
	t.Helper()
	name := typeName + "-" + stream
	if _, err := p.proxy.AddToxic(name, typeName, stream, 1, attrs); err != nil {
		t.Fatalf("add %s toxic to proxy %s: %v", typeName, p.proxy.Name, err)
	}
	return name
}

func (p *faultProxy) removeToxic(t *testing.T, name string) {
	t.Helper()
	if err := p.proxy.RemoveToxic(name); err != nil {
		t.Fatalf("remove toxic %s from proxy %s: %v", name, p.proxy.Name, err)
	}
}

// productionConfig returns the SDK configuration that the functions load
// through awsclient.Load, with its retry and timeout settings, plus static
// test credentials so that no request looks for instance metadata. Clients
// built from it take their endpoint from withEndpoint, because an
// AWS_ENDPOINT_URL_<SERVICE> variable would override a base endpoint set in
// the configuration.
func productionConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := awsclient.Load(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
	)
	if err != nil {
		t.Fatalf("load production SDK configuration: %v", err)
	}
	return cfg
}

func dynamoClient(cfg aws.Config, endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

func snsClient(cfg aws.Config, endpoint string) *sns.Client {
	return sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// newTable creates a uniquely named table at the DynamoDB endpoint and
// deletes it when the test ends.
func newTable(t *testing.T, endpoint string) string {
	t.Helper()
	admin := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	name := "faults-" + randomSuffix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dynamostore.CreateTable(ctx, admin, name); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Logf("delete table %s: %v", name, err)
		}
	})
	return name
}

// alertSink is one SQS queue on moto_server subscribed to a fresh SNS topic
// per alert topic. It counts the deliveries of each event id.
type alertSink struct {
	sqs    *sqs.Client
	queue  string
	topics map[string]string // alert topic to ARN

	mu     sync.Mutex
	counts map[string]int
}

func newAlertSink(t *testing.T) *alertSink {
	t.Helper()
	ctx := context.Background()
	cfg := testenv.AWSConfig(t, testenv.MotoURL(t))
	snsAdmin := sns.NewFromConfig(cfg)
	sink := &alertSink{sqs: sqs.NewFromConfig(cfg), topics: map[string]string{}, counts: map[string]int{}}
	prefix := "faults-" + randomSuffix(t) + "-"

	created, err := sink.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + "alerts")})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	sink.queue = aws.ToString(created.QueueUrl)
	attrs, err := sink.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       created.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("get queue ARN: %v", err)
	}
	queueARN := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]

	for _, topic := range alert.Topics() {
		out, err := snsAdmin.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(prefix + topic)})
		if err != nil {
			t.Fatalf("create topic %s: %v", topic, err)
		}
		sink.topics[topic] = aws.ToString(out.TopicArn)
		_, err = snsAdmin.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: out.TopicArn,
			Protocol: aws.String("sqs"),
			Endpoint: aws.String(queueARN),
		})
		if err != nil {
			t.Fatalf("subscribe queue to topic %s: %v", topic, err)
		}
	}
	t.Cleanup(func() {
		_, _ = sink.sqs.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(sink.queue)})
	})
	return sink
}

// deliveries reads and deletes every message now in the queue and returns
// how many deliveries of each event id the queue has received so far.
func (s *alertSink) deliveries(t *testing.T) map[string]int {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := context.Background()
	for {
		out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(s.queue),
			MaxNumberOfMessages: 10,
		})
		if err != nil {
			t.Fatalf("receive from %s: %v", s.queue, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			s.counts[eventIDOf(t, m)]++
			_, err := s.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{
				QueueUrl: aws.String(s.queue), ReceiptHandle: m.ReceiptHandle,
			})
			if err != nil {
				t.Fatalf("delete message from %s: %v", s.queue, err)
			}
		}
	}
	counts := make(map[string]int, len(s.counts))
	for id, n := range s.counts {
		counts[id] = n
	}
	return counts
}

// eventIDOf returns the event_id message attribute of an SNS notification
// delivered to SQS.
func eventIDOf(t *testing.T, m sqstypes.Message) string {
	t.Helper()
	var notification struct {
		MessageAttributes map[string]struct{ Value string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &notification); err != nil {
		t.Fatalf("SQS message is not an SNS notification: %v", err)
	}
	id := notification.MessageAttributes["event_id"].Value
	if id == "" {
		t.Fatalf("SNS notification has no event_id attribute")
	}
	return id
}

// awsRig is one test's DynamoDB table and SNS topics, reached through
// toxiproxy with the production SDK settings.
type awsRig struct {
	table  string
	dynamo *faultProxy
	sns    *faultProxy
	// store reaches the table through the dynamo proxy.
	store *dynamostore.Store
	// direct reaches the table without a proxy, for checks.
	direct    *dynamostore.Store
	publisher *snspub.Publisher
	sink      *alertSink
}

func newAWSRig(t *testing.T) *awsRig {
	t.Helper()
	dynamoURL := testenv.DynamoDBURL(t)
	motoURL := testenv.MotoURL(t)
	rig := &awsRig{
		table:  newTable(t, dynamoURL),
		dynamo: newProxy(t, dynamoURL),
		sns:    newProxy(t, motoURL),
		sink:   newAlertSink(t),
	}
	cfg := productionConfig(t)
	rig.store = dynamostore.New(dynamoClient(cfg, rig.dynamo.URL), rig.table)
	rig.direct = dynamostore.New(dynamodb.NewFromConfig(testenv.AWSConfig(t, dynamoURL)), rig.table)
	publisher, err := snspub.New(snsClient(cfg, rig.sns.URL), rig.sink.topics)
	if err != nil {
		t.Fatalf("create SNS publisher: %v", err)
	}
	rig.publisher = publisher
	return rig
}

// waitFor calls check every 20 ms until it returns true or timeout passes,
// and fails the test with what when it times out.
func waitFor(t *testing.T, timeout time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jsonLines splits newline-separated JSON documents.
func jsonLines(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(line, &doc); err != nil {
			t.Fatalf("line is not a JSON object: %v", err)
		}
		docs = append(docs, doc)
	}
	return docs
}
