package snspub_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/internal/alerttest"
	"github.com/clinicops/cobalt-receiver/shared/alert/snspub"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

type object = alerttest.Object

// Every test event carries this fake PHI, and none of it may reach a
// subscriber.
var fakePHI = []string{"00777123", "Evangeline", "Thistlewood", "1961-07-04", "e.thistle@example.net", "555-013-2468"}

// failedEvent returns a failure event of eventType whose data carries
// fakePHI and one reason with code.
func failedEvent(id, eventType, category, code string) *envelope.Envelope {
	return alerttest.Event(id, eventType, category, envelope.KindFailure, object{
		{"patient_mrn", "00777123"},
		{"patient_name", "Evangeline Thistlewood"},
		{"date_of_birth", "1961-07-04"},
		{"email", "e.thistle@example.net"},
		{"failure_reason", "Evangeline Thistlewood (MRN 00777123, 555-013-2468) failed."},
		{"reasons", alerttest.Reasons(code, "Patient 00777123 born 1961-07-04, e-mail e.thistle@example.net.")},
	})
}

// sameARN maps every topic to arn.
func sameARN(arn string) map[string]string {
	m := make(map[string]string)
	for _, topic := range alert.Topics() {
		m[topic] = arn
	}
	return m
}

// nopAPI is an SNS client that is never called.
type nopAPI struct{}

func (nopAPI) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return nil, errors.New("not called in this test")
}

func TestNewRequiresEveryTopic(t *testing.T) {
	full := sameARN("arn:aws:sns:us-east-1:123456789012:alerts")
	tests := []struct {
		name    string
		client  snspub.API
		arns    map[string]string
		wantErr string // "" for success
	}{
		{"every topic", nopAPI{}, full, ""},
		{"nil client", nil, full, "client is nil"},
		{"no topics", nopAPI{}, nil, "no topic ARN for appointment, patient, task, note, document, message, telephone_encounter, other"},
		{"other missing", nopAPI{}, without(full, alert.TopicOther), "no topic ARN for other"},
		{"blank ARN", nopAPI{}, with(full, "note", " "), "no topic ARN for note"},
		{"two missing", nopAPI{}, without(without(full, "task"), "message"), "no topic ARN for task, message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := snspub.New(tt.client, tt.arns)
			if tt.wantErr == "" {
				if err != nil || p == nil {
					t.Fatalf("New = %v, %v, want a publisher", p, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func without(m map[string]string, key string) map[string]string {
	c := with(m, key, "")
	delete(c, key)
	return c
}

func with(m map[string]string, key, value string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	c[key] = value
	return c
}

func TestIAMActions(t *testing.T) {
	if got, want := snspub.IAMActions(), []string{"sns:Publish"}; !reflect.DeepEqual(got, want) {
		t.Errorf("IAMActions() = %v, want %v", got, want)
	}
}

func TestPublishRoutesEachCategory(t *testing.T) {
	s := newStandIn(t)
	arns := make(map[string]string)
	queues := make(map[string]string)
	raw := make(map[string]bool)
	for i, topic := range alert.Topics() {
		arns[topic] = s.topic(t, topic)
		raw[topic] = i%2 == 0
		queues[topic] = s.queue(t, topic, arns[topic], raw[topic], "")
	}
	p, err := snspub.New(s.sns, arns)
	if err != nil {
		t.Fatal(err)
	}

	sent := make(map[string]*alert.Alert)
	events := make(map[string]*envelope.Envelope)
	for _, category := range alert.Categories {
		events[category] = failedEvent("evt-"+category, category+".failed", category, strings.ToUpper(category)+"_FAILED")
	}
	events[alert.TopicOther] = failedEvent("evt-invoice", "invoice.failed", "", "INVOICE_FAILED")
	for topic, env := range events {
		a := alert.Build(env, alert.Options{})
		if a.Topic != topic {
			t.Fatalf("alert for %s has topic %s, want %s", env.Type, a.Topic, topic)
		}
		id, err := p.Publish(context.Background(), a)
		if err != nil {
			t.Fatalf("Publish %s: %v", env.Type, err)
		}
		if id == "" {
			t.Errorf("Publish %s returned an empty message id", env.Type)
		}
		sent[topic] = a
	}

	for _, topic := range alert.Topics() {
		t.Run(topic, func(t *testing.T) {
			a := sent[topic]
			got := s.receive(t, queues[topic], raw[topic], 1)
			if len(got) != 1 {
				t.Fatalf("queue of topic %s received %d messages, want 1", topic, len(got))
			}
			d := got[0]
			if id := eventID(t, d); id != a.EventID {
				t.Errorf("topic %s delivered event %s, want %s", topic, id, a.EventID)
			}
			if d.body != string(a.Document) {
				t.Errorf("delivered body = %s, want the document %s", d.body, a.Document)
			}
			if !raw[topic] && d.subject != a.Subject {
				t.Errorf("delivered subject = %q, want %q", d.subject, a.Subject)
			}
			checkAttributes(t, d, a)
			for _, phi := range fakePHI {
				for part, text := range map[string]string{"body": d.body, "subject": d.subject, "attributes": fmt.Sprint(d.attrs)} {
					if containsFold(text, phi) {
						t.Errorf("delivered %s contains PHI %q", part, phi)
					}
				}
			}
		})
	}
}

func checkAttributes(t *testing.T, d delivery, a *alert.Alert) {
	t.Helper()
	want := make(map[string]attribute)
	for _, at := range a.Attributes {
		want[at.Name] = attribute{Type: at.Type, Value: at.Value()}
	}
	if !reflect.DeepEqual(d.attrs, want) {
		t.Errorf("delivered attributes = %v, want %v", d.attrs, want)
	}
	codes := d.attrs["error_codes"]
	if codes.Type != "String.Array" {
		t.Errorf("error_codes type = %q, want String.Array", codes.Type)
	}
	var wantCodes string
	for _, at := range a.Attributes {
		if at.Name == "error_codes" {
			wantCodes = `["` + strings.Join(at.Values, `","`) + `"]`
		}
	}
	if codes.Value != wantCodes || wantCodes == "" {
		t.Errorf("error_codes value = %s, want %s", codes.Value, wantCodes)
	}
	for _, name := range []string{"event_type", "category", "event_id", "access_token_reference_id", "job_id"} {
		if d.attrs[name].Type != "String" || d.attrs[name].Value == "" {
			t.Errorf("attribute %s = %+v, want a non-empty String", name, d.attrs[name])
		}
	}
}

func TestPublishFilterPolicyOnErrorCodes(t *testing.T) {
	s := newStandIn(t)
	arn := s.topic(t, "patient")
	filtered := s.queue(t, "insurance", arn, true, `{"error_codes": ["INSURANCE_NOT_FOUND"]}`)
	filteredEnveloped := s.queue(t, "insurance-env", arn, false, `{"error_codes": ["INSURANCE_NOT_FOUND"]}`)
	all := s.queue(t, "all", arn, true, "")
	p, err := snspub.New(s.sns, sameARN(arn))
	if err != nil {
		t.Fatal(err)
	}

	events := []*envelope.Envelope{
		failedEvent("evt-1", "patient.failed", "patient", "INSURANCE_NOT_FOUND"),
		failedEvent("evt-2", "patient.failed", "patient", "DUPLICATE_PATIENT"),
		alerttest.Event("evt-3", "patient.failed", "patient", envelope.KindFailure, object{
			{"reasons", alerttest.Reasons("PHARMACY_NOT_FOUND", "a", "INSURANCE_NOT_FOUND", "b")},
		}),
		alerttest.Event("evt-4", "patient.failed", "patient", envelope.KindFailure, object{
			{"failure_reason", "no codes"},
		}),
		failedEvent("evt-5", "patient.failed", "patient", "INSURANCE_NOT_FOUND_ELSEWHERE"),
	}
	for _, env := range events {
		if _, err := p.Publish(context.Background(), alert.Build(env, alert.Options{})); err != nil {
			t.Fatalf("Publish %s: %v", env.ID, err)
		}
	}

	tests := []struct {
		name  string
		queue string
		raw   bool
		want  []string
	}{
		{"raw filtered", filtered, true, []string{"evt-1", "evt-3"}},
		{"enveloped filtered", filteredEnveloped, false, []string{"evt-1", "evt-3"}},
		{"unfiltered", all, true, []string{"evt-1", "evt-2", "evt-3", "evt-4", "evt-5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range s.receive(t, tt.queue, tt.raw, len(tt.want)) {
				got = append(got, eventID(t, d))
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("queue received %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPublishToMissingTopic(t *testing.T) {
	s := newStandIn(t)
	arn := "arn:aws:sns:us-east-1:123456789012:" + s.prefix + "missing"
	p, err := snspub.New(s.sns, sameARN(arn))
	if err != nil {
		t.Fatal(err)
	}
	a := alert.Build(failedEvent("evt-missing", "task.failed", "task", "ASSIGNEE_NOT_FOUND"), alert.Options{})
	id, err := p.Publish(context.Background(), a)
	if err == nil {
		t.Fatalf("Publish to a missing topic returned message id %q, want an error", id)
	}
	var notFound *types.NotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("error %v is not a NotFoundException", err)
	}
	msg := err.Error()
	for _, want := range []string{`"evt-missing"`, "topic task", arn} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %s", msg, want)
		}
	}
	for _, leaked := range []string{a.Subject, "born", "ASSIGNEE_NOT_FOUND"} {
		if strings.Contains(msg, leaked) {
			t.Errorf("error %q contains message content %q", msg, leaked)
		}
	}
}

func TestPublishUnknownTopic(t *testing.T) {
	p, err := snspub.New(nopAPI{}, sameARN("arn:aws:sns:us-east-1:123456789012:alerts"))
	if err != nil {
		t.Fatal(err)
	}
	a := &alert.Alert{Topic: "billing", EventID: "evt-1"}
	if _, err := p.Publish(context.Background(), a); err == nil || !strings.Contains(err.Error(), `unknown topic "billing"`) {
		t.Errorf("Publish to an unknown topic: error %v, want unknown topic", err)
	}
	if _, err := p.Publish(context.Background(), nil); err == nil {
		t.Error("Publish(nil) returned no error")
	}
}

func TestPublishLargeEventsWithinLimit(t *testing.T) {
	s := newStandIn(t)
	arn := s.topic(t, "large")
	queue := s.queue(t, "large", arn, true, "")
	p, err := snspub.New(s.sns, sameARN(arn))
	if err != nil {
		t.Fatal(err)
	}

	var many []string
	for i := range 10000 {
		many = append(many, fmt.Sprintf("CODE_%d", i%9), fmt.Sprintf("reason %d: %s", i, strings.Repeat(`"quoted" text `, 20)))
	}
	events := []*envelope.Envelope{
		alerttest.Event("evt-1mb", "document.failed", "document", envelope.KindFailure, object{
			{"reasons", alerttest.Reasons("UNKNOWN_ERROR", strings.Repeat("\"x\\", 1<<20/3))},
		}),
		alerttest.Event("evt-10000", "document.failed", "document", envelope.KindFailure, object{
			{"failure_reason", strings.Repeat("joined descriptions; ", 50000)},
			{"reasons", alerttest.Reasons(many...)},
		}),
	}
	for _, env := range events {
		a := alert.Build(env, alert.Options{})
		if _, err := p.Publish(context.Background(), a); err != nil {
			t.Fatalf("Publish %s of %d bytes: %v", env.ID, a.Size(), err)
		}
	}
	got := s.receive(t, queue, true, len(events))
	if len(got) != len(events) {
		t.Fatalf("queue received %d messages, want %d", len(got), len(events))
	}
	for _, d := range got {
		if !strings.Contains(d.body, `"truncated":true`) {
			t.Errorf("delivered document of event %s is not marked truncated", eventID(t, d))
		}
	}
}

func TestPublishOversizedMessageFails(t *testing.T) {
	// moto_server 5.2.1 rejects a message over 262,144 characters, as SNS
	// rejects one over 256 KiB, so this shows that the stand-in enforces the
	// limit that the large events above stay within.
	s := newStandIn(t)
	arn := s.topic(t, "oversized")
	p, err := snspub.New(s.sns, sameARN(arn))
	if err != nil {
		t.Fatal(err)
	}
	a := alert.Build(failedEvent("evt-big", "task.failed", "task", "X"), alert.Options{})
	a.Document = []byte(`{"padding":"` + strings.Repeat("p", alert.MaxPublishBytes) + `"}`)
	if _, err := p.Publish(context.Background(), a); err == nil {
		t.Fatal("Publish of a message over 256 KiB succeeded, want an error")
	}
}
