package bench_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go/middleware"

	"github.com/clinicops/cobalt-receiver/infra/bench/workload"
	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/snspub"
	"github.com/clinicops/cobalt-receiver/shared/awsclient"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
)

const webhookSecret = "whsec_bench_requests"

// recorder lists what the SDK sends. A middleware after the retry step
// records each operation attempt. A wrapper around the HTTP client records
// each HTTP request, so it also catches requests sent outside an operation's
// middleware stack.
type recorder struct {
	mu   sync.Mutex
	ops  []string // "<service id>.<operation>"
	http []string // "<method> <host>"
}

// middleware adds the operation recorder to a client's stack.
func (r *recorder) middleware(stack *middleware.Stack) error {
	record := middleware.FinalizeMiddlewareFunc("recordOperation", func(
		ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler,
	) (middleware.FinalizeOutput, middleware.Metadata, error) {
		op := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
		r.mu.Lock()
		r.ops = append(r.ops, op)
		r.mu.Unlock()
		return next.HandleFinalize(ctx, in)
	})
	return stack.Finalize.Add(record, middleware.After)
}

// take returns the recorded operations and HTTP requests and clears both.
func (r *recorder) take() (ops, requests []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops, requests = r.ops, r.http
	r.ops, r.http = nil, nil
	return ops, requests
}

// countingClient records every HTTP request before sending it.
type countingClient struct {
	next aws.HTTPClient
	rec  *recorder
}

func (c *countingClient) Do(req *http.Request) (*http.Response, error) {
	c.rec.mu.Lock()
	c.rec.http = append(c.rec.http, req.Method+" "+req.URL.Host)
	c.rec.mu.Unlock()
	return c.next.Do(req)
}

// standIns are the resources of one test on DynamoDB Local and moto_server,
// created with clients that the recorder does not see.
type standIns struct {
	dynamoURL, motoURL string
	admin              *dynamodb.Client
	table              string
	topicARNs          map[string]string
	secretARN          string
}

func newStandIns(t *testing.T) *standIns {
	t.Helper()
	s := &standIns{dynamoURL: testenv.DynamoDBURL(t), motoURL: testenv.MotoURL(t), topicARNs: map[string]string{}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	prefix := "bench-requests-" + hex.EncodeToString(suffix)

	s.admin = dynamodb.NewFromConfig(testenv.AWSConfig(t, s.dynamoURL))
	s.table = prefix
	if err := dynamostore.CreateTable(ctx, s.admin, s.table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() {
		if _, err := s.admin.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &s.table}); err != nil {
			t.Errorf("delete table %s: %v", s.table, err)
		}
	})

	moto := testenv.AWSConfig(t, s.motoURL)
	snsAdmin := sns.NewFromConfig(moto)
	for _, topic := range alert.Topics() {
		out, err := snsAdmin.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(prefix + "-" + topic)})
		if err != nil {
			t.Fatalf("create topic %s: %v", topic, err)
		}
		s.topicARNs[topic] = aws.ToString(out.TopicArn)
	}
	secret, err := secretsmanager.NewFromConfig(moto).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(prefix),
		SecretString: aws.String(`["` + webhookSecret + `"]`),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	s.secretARN = aws.ToString(secret.ARN)
	return s
}

// host returns the host:port of a stand-in URL.
func host(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %s: %v", rawURL, err)
	}
	return u.Host
}

// newProductionHandler builds the handler as the Lambda function's cold
// start does, from awsclient.Load and the environment that points the SDK at
// the stand-ins, with rec watching every client.
func newProductionHandler(t *testing.T, s *standIns, rec *recorder) *ingest.Handler {
	t.Helper()
	for name, value := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":        s.dynamoURL,
		"AWS_ENDPOINT_URL_SNS":             s.motoURL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": s.motoURL,
		"AWS_ACCESS_KEY_ID":                "test",
		"AWS_SECRET_ACCESS_KEY":            "test",
		"AWS_SESSION_TOKEN":                "",
		"AWS_PROFILE":                      "",
		"AWS_REGION":                       "us-east-1",
		"AWS_EC2_METADATA_DISABLED":        "true",
	} {
		t.Setenv(name, value)
	}
	cfg, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatalf("awsclient.Load: %v", err)
	}
	cfg.APIOptions = append(cfg.APIOptions, rec.middleware)
	cfg.HTTPClient = &countingClient{next: cfg.HTTPClient, rec: rec}

	publisher, err := snspub.New(sns.NewFromConfig(cfg), s.topicARNs)
	if err != nil {
		t.Fatalf("snspub.New: %v", err)
	}
	logger := testenv.Logger(t)
	secretSource := &secrets.Manager{
		Client:          secretsmanager.NewFromConfig(cfg),
		SecretID:        s.secretARN,
		Parse:           config.ParseSecrets,
		RefreshInterval: 5 * time.Minute,
		RetryAfter:      10 * time.Second,
		MinRefresh:      5 * time.Second,
		Logger:          logger,
		Now:             time.Now,
	}
	// The cold start reads the secrets once, as functions/ingest does.
	if _, err := secretSource.Secrets(context.Background()); err != nil {
		t.Fatalf("read webhook secrets: %v", err)
	}
	return &ingest.Handler{
		Store:      dynamostore.New(dynamodb.NewFromConfig(cfg), s.table),
		Publisher:  publisher,
		Secrets:    secretSource,
		AlertLease: 30 * time.Second,
		Logger:     logger,
		Metrics:    metrics.Discard{},
		Now:        time.Now,
	}
}

func delivery(id string, body []byte) *ingest.Request {
	return &ingest.Request{
		Method: http.MethodPost,
		Header: http.Header{
			"Cobalt-Verification": {signature.Sign(body, webhookSecret)},
			"Webhook-Id":          {id},
			"Webhook-Attempt":     {"1"},
		},
		Body:     body,
		Received: time.Now(),
	}
}

// TestRequestsPerEvent checks that each delivery sends one conditional
// PutItem, plus a Publish and an UpdateItem for a new failure event, and
// nothing else. No read comes before a write, and no DescribeTable,
// credential or metadata request is sent. A retry would show up as an extra
// request.
func TestRequestsPerEvent(t *testing.T) {
	s := newStandIns(t)
	rec := &recorder{}
	h := newProductionHandler(t, s, rec)
	dynamo, moto := "POST "+host(t, s.dynamoURL), "POST "+host(t, s.motoURL)

	ops, requests := rec.take()
	if want := []string{"Secrets Manager.GetSecretValue"}; !slices.Equal(ops, want) {
		t.Errorf("cold start sent operations %v, want %v", ops, want)
	}
	if want := []string{moto}; !slices.Equal(requests, want) {
		t.Errorf("cold start sent HTTP requests %v, want %v", requests, want)
	}

	success := workload.NewTemplate(workload.Success, workload.SizeTypical)
	failure := workload.NewTemplate(workload.Failure, workload.SizeTypical)
	successID, failureID := workload.ID("requests-s", 1), workload.ID("requests-f", 1)
	successBody, failureBody := success.Body(successID), failure.Body(failureID)

	steps := []struct {
		name         string
		req          *ingest.Request
		wantStatus   string
		wantOps      []string
		wantRequests []string
	}{
		{"new success event", delivery(successID, successBody), "stored",
			[]string{"DynamoDB.PutItem"}, []string{dynamo}},
		{"duplicate success event", delivery(successID, successBody), "duplicate",
			[]string{"DynamoDB.PutItem"}, []string{dynamo}},
		{"new failure event", delivery(failureID, failureBody), "stored",
			[]string{"DynamoDB.PutItem", "SNS.Publish", "DynamoDB.UpdateItem"}, []string{dynamo, moto, dynamo}},
		{"duplicate failure event", delivery(failureID, failureBody), "duplicate",
			[]string{"DynamoDB.PutItem"}, []string{dynamo}},
	}
	for _, step := range steps {
		resp := h.Handle(context.Background(), step.req)
		want := fmt.Sprintf(`{"status":%q,"id":%q}`, step.wantStatus, step.req.Header.Get("Webhook-Id"))
		if resp.StatusCode != http.StatusOK || string(resp.Body) != want {
			t.Errorf("%s: answer %d %s, want 200 %s", step.name, resp.StatusCode, resp.Body, want)
		}
		ops, requests := rec.take()
		if !slices.Equal(ops, step.wantOps) {
			t.Errorf("%s sent operations %v, want %v", step.name, ops, step.wantOps)
		}
		if !slices.Equal(requests, step.wantRequests) {
			t.Errorf("%s sent HTTP requests %v, want %v", step.name, requests, step.wantRequests)
		}
	}

	// The failure event's alert went out and was marked, read through a
	// client the recorder does not see.
	got, err := dynamostore.New(s.admin, s.table).Get(context.Background(), failureID)
	if err != nil {
		t.Fatalf("read the failure event: %v", err)
	}
	if got.Alert != store.AlertPublished || got.AlertMessageID == "" {
		t.Errorf("failure event alert %q with message id %q, want published with an id", got.Alert, got.AlertMessageID)
	}
	if ops, requests := rec.take(); len(ops) > 0 || len(requests) > 0 {
		t.Errorf("the handler sent %v (%s) after its last answer, want nothing",
			ops, strings.Join(requests, ", "))
	}
}
