package dynamostore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/dynamostore"
	"github.com/clinicops/cobalt-receiver/shared/store/storetest"
)

// recorder lists the operations of every request a client sends, retries
// included.
type recorder struct {
	mu  sync.Mutex
	ops []string
}

// option adds the recorder to a client's middleware stack, after the retry
// step so that each attempt counts.
func (r *recorder) option(stack *middleware.Stack) error {
	record := middleware.FinalizeMiddlewareFunc("recordRequest", func(
		ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler,
	) (middleware.FinalizeOutput, middleware.Metadata, error) {
		r.mu.Lock()
		r.ops = append(r.ops, awsmiddleware.GetOperationName(ctx))
		r.mu.Unlock()
		return next.HandleFinalize(ctx, in)
	})
	return stack.Finalize.Add(record, middleware.After)
}

// take returns the recorded operations and clears the list.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := r.ops
	r.ops = nil
	return ops
}

// newClient returns a client of DynamoDB Local, recording into rec when it
// is not nil.
func newClient(t *testing.T, rec *recorder) *dynamodb.Client {
	t.Helper()
	url := testenv.DynamoDBURL(t)
	cfg := testenv.AWSConfig(t, url)
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if rec != nil {
			o.APIOptions = append(o.APIOptions, rec.option)
		}
	})
}

// newTable creates a uniquely named table and deletes it when the test ends.
func newTable(t *testing.T) string {
	t.Helper()
	admin := newClient(t, nil)
	suffix := make([]byte, 8)
	rand.Read(suffix)
	name := "storetest-" + hex.EncodeToString(suffix)
	if err := dynamostore.CreateTable(t.Context(), admin, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		_, err := admin.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name})
		if err != nil {
			t.Errorf("delete table %s: %v", name, err)
		}
	})
	return name
}

func TestConformance(t *testing.T) {
	testenv.DynamoDBURL(t) // skip here, not in each case, when DynamoDB Local is missing
	rec := &recorder{}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		// Every operation the store sent is one IAMActions grants, and
		// every action granted was needed.
		used := map[string]bool{}
		for _, op := range rec.take() {
			used["dynamodb:"+op] = true
		}
		actions := dynamostore.IAMActions()
		for op := range used {
			if !slices.Contains(actions, op) {
				t.Errorf("store called %s, which IAMActions %v lacks", op, actions)
			}
		}
		for _, action := range actions {
			if !used[action] {
				t.Errorf("IAMActions lists %s, which the conformance cases never called", action)
			}
		}
	})
	storetest.Run(t, func(t *testing.T) store.Store {
		return dynamostore.New(newClient(t, rec), newTable(t))
	})
}

func TestRequestsPerOperation(t *testing.T) {
	rec := &recorder{}
	s := dynamostore.New(newClient(t, rec), newTable(t))
	ctx := t.Context()
	event := func(id string) *store.Record {
		return &store.Record{
			ID: id, Status: store.StatusStored, ReceivedAt: base, JobID: "77",
			Type: "task.failed", Category: "task", ContentHash: "h-" + id, Raw: []byte(`{}`),
			Alert: store.AlertPending, AlertDue: base,
		}
	}

	steps := []struct {
		name string
		call func() error
		want []string
	}{
		{"create", func() error { return wantCreated(s.Create(ctx, event("e1"))) }, []string{"PutItem"}},
		{"duplicate create", func() error { return wantExisting(s.Create(ctx, event("e1"))) }, []string{"PutItem"}},
		{"get event", func() error { _, err := s.Get(ctx, "e1"); return err }, []string{"GetItem"}},
		{"get missing", func() error { return wantErr(s.Get(ctx, "nope")) }, []string{"GetItem"}},
		{"get quarantine id", func() error { return wantErr(s.Get(ctx, "q-abc")) }, []string{"GetItem", "GetItem"}},
		{"due alerts", func() error { _, err := s.DueAlerts(ctx, base, 10); return err }, []string{"Query"}},
		{"claim", func() error { _, err := s.ClaimAlert(ctx, "e1", base, lease); return err }, []string{"UpdateItem"}},
		{"claim again", func() error { return wantErr(s.ClaimAlert(ctx, "e1", base, lease)) }, []string{"UpdateItem"}},
		{"record error", func() error { return s.RecordAlertError(ctx, "e1", "boom", time.Time{}) }, []string{"UpdateItem"}},
		{"mark published", func() error { return s.MarkPublished(ctx, "e1", "m", base) }, []string{"UpdateItem"}},
		{"mark published again", func() error { return s.MarkPublished(ctx, "e1", "m", base) }, []string{"UpdateItem"}},
		{"mark published missing", func() error { return wantErrOnly(s.MarkPublished(ctx, "nope", "m", base)) }, []string{"UpdateItem"}},
		{"requeue", func() error { return s.RequeueAlert(ctx, "e1", base) }, []string{"UpdateItem"}},
		{"fail", func() error { return s.FailAlert(ctx, "e1", "gave up") }, []string{"UpdateItem"}},
		{"by job id", func() error { _, err := s.ByJobID(ctx, "77", 10); return err }, []string{"Query"}},
		{"scan", func() error {
			return s.Scan(ctx, store.ScanFilter{Type: "task.failed"}, func(*store.Record) error { return nil })
		}, []string{"Scan"}},
		{"too large", func() error { return wantErr(s.Create(ctx, tooLarge())) }, nil},
		{"invalid id", func() error { return wantErr(s.Get(ctx, "")) }, nil},
	}
	for _, step := range steps {
		if err := step.call(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := rec.take(); !slices.Equal(got, step.want) {
			t.Errorf("%s sent %v, want %v", step.name, got, step.want)
		}
	}
}

func wantCreated(existing *store.Record, err error) error {
	if err == nil && existing != nil {
		return fmt.Errorf("found existing record %q, want a new one", existing.ID)
	}
	return err
}

func wantExisting(existing *store.Record, err error) error {
	if err == nil && existing == nil {
		return fmt.Errorf("wrote the record, want the existing one")
	}
	return err
}

// wantErr returns an error unless the call failed.
func wantErr[T any](_ T, err error) error { return wantErrOnly(err) }

func wantErrOnly(err error) error {
	if err == nil {
		return fmt.Errorf("succeeded, want an error")
	}
	return nil
}
