package rie_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/events/apigw"
	"github.com/clinicops/cobalt-receiver/shared/config"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

// Webhook secrets of the tests. The secret in Secrets Manager contains the
// first two, and the function must accept both.
const (
	firstSecret  = signature.Secret("whsec_rie_first_secret")
	secondSecret = signature.Secret("whsec_rie_second_secret")
	rotatedIn    = signature.Secret("whsec_rie_rotated_in")
)

// alertTopics maps each sample type that alerts to the topic it alerts on.
// Every other sample is stored without an alert.
var alertTopics = map[string]string{
	"appointment.failed":                  "appointment",
	"appointment.update_failed":           "appointment",
	"document.failed":                     "document",
	"document.upload_failed":              "document",
	"message.failed":                      "message",
	"note.failed":                         "note",
	"patient.failed":                      "patient",
	"patient.insurance.failed":            "patient",
	"task.failed":                         "task",
	"telephone_encounter.created_partial": "telephone_encounter",
	"telephone_encounter.failed":          "telephone_encounter",
	"telephone_encounter_action.failed":   "telephone_encounter",
}

// webhookCase is one event the tests send, with what the function must do
// with it.
type webhookCase struct {
	name     string
	body     []byte
	envelope envelopeFields
	// category is the category the record must carry.
	category string
	// topic is the alert topic the event must alert on, or "" for none.
	topic   string
	partial bool
	// codes are the distinct reason codes in order of first appearance.
	codes []string
	// mrns are the MRN values in data, which alerts must mask.
	mrns []string
}

// envelopeFields are the envelope fields the checks compare against.
type envelopeFields struct {
	ID     string         `json:"id"`
	Type   string         `json:"type"`
	Clinic string         `json:"access_token_reference_id"`
	JobID  jobID          `json:"job_id"`
	Data   map[string]any `json:"data"`
}

// jobID is a job_id, which may arrive as a JSON string or number. A number
// keeps its literal text.
type jobID string

func (j *jobID) UnmarshalJSON(data []byte) error {
	var n json.Number
	if err := json.Unmarshal(data, &n); err == nil {
		*j = jobID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	*j = jobID(s)
	return nil
}

// webhookCases returns every sample in events/cobalt, plus a failure of a
// category outside the seven known ones, which alerts on topic "other".
func webhookCases(t *testing.T) []webhookCase {
	t.Helper()
	samples, err := events.Samples()
	if err != nil {
		t.Fatalf("Samples: %v", err)
	}
	var cases []webhookCase
	for _, s := range samples {
		cases = append(cases, newCase(t, s.Type, s.Body, sampleCategory(s.Type), alertTopics[s.Type]))
	}
	unknown := []byte(`{"id":"evt_rie_referral_` + randomHex(t, 4) + `","access_token_reference_id":"clinic_rie",` +
		`"object":"event","created":"` + time.Now().UTC().Format(time.RFC3339) + `","type":"referral.failed",` +
		`"job_id":"900001","data":{"referral_id":"ref_rie_1","failure_reason":"Referral portal rejected the request",` +
		`"reasons":[{"code":"REFERRAL_REJECTED","description":"Referral portal rejected the request"}]}}`)
	cases = append(cases, newCase(t, "referral.failed (unknown category)", unknown, "other", "other"))
	return cases
}

// sampleCategory returns the category of a sample type: the part before the
// first dot, with telephone_encounter_action folded into
// telephone_encounter.
func sampleCategory(eventType string) string {
	prefix, _, _ := strings.Cut(eventType, ".")
	if prefix == "telephone_encounter_action" {
		return "telephone_encounter"
	}
	return prefix
}

func newCase(t *testing.T, name string, body []byte, category, topic string) webhookCase {
	t.Helper()
	c := webhookCase{name: name, body: body, category: category, topic: topic}
	if err := json.Unmarshal(body, &c.envelope); err != nil {
		t.Fatalf("case %s: %v", name, err)
	}
	c.partial = strings.HasSuffix(c.envelope.Type, "_partial")

	reasons, _ := c.envelope.Data["reasons"].([]any)
	for _, r := range reasons {
		fields, _ := r.(map[string]any)
		if code, _ := fields["code"].(string); code != "" && !slices.Contains(c.codes, code) {
			c.codes = append(c.codes, code)
		}
	}
	for key, v := range c.envelope.Data {
		if s, ok := v.(string); ok && s != "" && strings.Contains(key, "mrn") {
			c.mrns = append(c.mrns, s)
		}
	}
	return c
}

// eventFormat builds one API Gateway payload format around a delivery.
type eventFormat struct {
	name  string
	build func(apigw.Delivery) ([]byte, error)
	// base64 reports whether the i-th case's body is sent base64-encoded.
	base64 func(i int) bool
}

// The two payload formats. REST API events send every other body
// base64-encoded.
var (
	httpAPI = eventFormat{name: "http api 2.0", build: apigw.HTTPEvent, base64: func(int) bool { return false }}
	restAPI = eventFormat{name: "rest api 1.0", build: apigw.RESTEvent, base64: func(i int) bool { return i%2 == 1 }}
	formats = []eventFormat{httpAPI, restAPI}
)

func payload(t *testing.T, format eventFormat, d apigw.Delivery) []byte {
	t.Helper()
	data, err := format.build(d)
	if err != nil {
		t.Fatalf("build %s event: %v", format.name, err)
	}
	return data
}

func TestSamplesStoredAndAlertedOnce(t *testing.T) {
	for _, format := range formats {
		t.Run(format.name, func(t *testing.T) {
			res := newResources(t, []string{string(firstSecret), string(secondSecret)})
			fn := startFunction(t, functionEnvironment(t, res, nil))
			cases := webhookCases(t)

			for i, c := range cases {
				d := apigw.Delivery{Body: c.body, Secret: firstSecret, Received: time.Now(), Base64: format.base64(i)}
				resp, got := fn.invoke(t, payload(t, format, d))
				checkAnswer(t, c.name, resp, got, http.StatusOK, "stored", c.envelope.ID)
			}

			stored := map[string]map[string]ddbtypes.AttributeValue{}
			for _, c := range cases {
				stored[c.envelope.ID] = checkItem(t, res, c)
			}
			checkAlerts(t, res, cases)

			// Every delivery again: each is a duplicate that writes and
			// publishes nothing.
			for i, c := range cases {
				d := apigw.Delivery{Body: c.body, Secret: firstSecret, Attempt: 2, Received: time.Now(),
					Base64: format.base64(i)}
				resp, got := fn.invoke(t, payload(t, format, d))
				checkAnswer(t, c.name+" again", resp, got, http.StatusOK, "duplicate", c.envelope.ID)
			}
			// Give a stray publish time to reach its queue before looking.
			time.Sleep(2 * time.Second)
			for _, topic := range sortedTopics(res) {
				if extra := res.receive(t, topic, 0); len(extra) > 0 {
					t.Errorf("topic %s: %d messages after the duplicates, want none", topic, len(extra))
				}
			}
			for _, c := range cases {
				if after := res.item(t, c.envelope.ID); !reflect.DeepEqual(after, stored[c.envelope.ID]) {
					t.Errorf("%s: item changed after the duplicate delivery", c.name)
				}
			}
			if n := res.itemCount(t); n != len(cases) {
				t.Errorf("table has %d items, want %d, one per event", n, len(cases))
			}
		})
	}
}

// checkAnswer checks the function's response to one delivery.
func checkAnswer(t *testing.T, name string, resp response, got responseBody, wantCode int, wantStatus, wantID string) {
	t.Helper()
	if resp.StatusCode != wantCode {
		t.Errorf("%s: statusCode = %d, want %d (body %s)", name, resp.StatusCode, wantCode, resp.Body)
	}
	if got.Status != wantStatus {
		t.Errorf("%s: status = %q, want %q", name, got.Status, wantStatus)
	}
	if got.ID != wantID {
		t.Errorf("%s: id = %q, want %q", name, got.ID, wantID)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("%s: Content-Type = %q, want application/json", name, ct)
	}
}

// checkItem checks the DynamoDB item of c and returns it.
func checkItem(t *testing.T, res *resources, c webhookCase) map[string]ddbtypes.AttributeValue {
	t.Helper()
	item := res.item(t, c.envelope.ID)
	if item == nil {
		t.Errorf("%s: no item for event %s", c.name, c.envelope.ID)
		return nil
	}
	wantAlert := "none"
	if c.topic != "" {
		wantAlert = "published"
	}
	for name, want := range map[string]string{
		"id":               c.envelope.ID,
		"status":           "stored",
		"type":             c.envelope.Type,
		"category":         c.category,
		"alert_state":      wantAlert,
		"signature_method": string(signature.MethodRaw),
		"webhook_id":       c.envelope.ID,
		"webhook_attempt":  "1",
	} {
		if got := stringAttr(item, name); got != want {
			t.Errorf("%s: item %s = %q, want %q", c.name, name, got, want)
		}
	}

	if c.topic != "" && stringAttr(item, "alert_message_id") == "" {
		t.Errorf("%s: item has no alert_message_id for its published alert", c.name)
	}
	if _, pending := item["alert_pending"]; pending {
		t.Errorf("%s: item is still in the pending-alerts index", c.name)
	}

	raw, ok := item["raw"].(*ddbtypes.AttributeValueMemberB)
	switch {
	case !ok:
		t.Errorf("%s: item raw is %T, want binary", c.name, item["raw"])
	case !bytes.Equal(raw.Value, c.body):
		t.Errorf("%s: item raw differs from the body sent (%d bytes stored, %d sent)", c.name, len(raw.Value), len(c.body))
	}
	if enc := stringAttr(item, "raw_encoding"); enc != "" {
		t.Errorf("%s: item raw_encoding = %q, want none for a small body", c.name, enc)
	}
	return item
}

func stringAttr(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// checkAlerts checks that each case with a topic produced exactly one
// message on that topic's queue, with the expected attributes, and that no
// other message arrived on any queue.
func checkAlerts(t *testing.T, res *resources, cases []webhookCase) {
	t.Helper()
	byTopic := map[string][]webhookCase{}
	for _, c := range cases {
		if c.topic != "" {
			byTopic[c.topic] = append(byTopic[c.topic], c)
		}
	}
	for _, topic := range sortedTopics(res) {
		want := byTopic[topic]
		got := res.receive(t, topic, len(want))
		byID := map[string][]delivery{}
		for _, d := range got {
			id := d.attrs["event_id"].Value
			byID[id] = append(byID[id], d)
		}
		for _, c := range want {
			ds := byID[c.envelope.ID]
			delete(byID, c.envelope.ID)
			if len(ds) != 1 {
				t.Errorf("topic %s: %d messages for %s, want 1", topic, len(ds), c.name)
				continue
			}
			checkMessage(t, c, ds[0])
		}
		for id, ds := range byID {
			t.Errorf("topic %s: %d unexpected messages with event_id %q", topic, len(ds), id)
		}
	}
}

// checkMessage checks one delivered alert of c: its attributes, exactly,
// and its body, which must be the JSON document with no MRN of c in it.
func checkMessage(t *testing.T, c webhookCase, d delivery) {
	t.Helper()
	want := map[string]attribute{
		"event_type": {"String", c.envelope.Type},
		"category":   {"String", c.topic},
		"event_id":   {"String", c.envelope.ID},
	}
	if c.envelope.Clinic != "" {
		want["access_token_reference_id"] = attribute{"String", c.envelope.Clinic}
	}
	if c.envelope.JobID != "" {
		want["job_id"] = attribute{"String", string(c.envelope.JobID)}
	}
	if c.partial {
		want["partial"] = attribute{"String", "true"}
	}
	for name, w := range want {
		if got := d.attrs[name]; got != w {
			t.Errorf("%s: attribute %s = %+v, want %+v", c.name, name, got, w)
		}
	}

	codes, hasCodes := d.attrs["error_codes"]
	if len(c.codes) > 0 {
		var values []string
		if err := json.Unmarshal([]byte(codes.Value), &values); err != nil || codes.Type != "String.Array" ||
			!slices.Equal(values, c.codes) {
			t.Errorf("%s: attribute error_codes = %+v, want String.Array %q", c.name, codes, c.codes)
		}
	} else if hasCodes {
		t.Errorf("%s: attribute error_codes = %+v, want none for an event without reason codes", c.name, codes)
	}
	for name, got := range d.attrs {
		if _, ok := want[name]; !ok && name != "error_codes" {
			t.Errorf("%s: unexpected attribute %s = %+v", c.name, name, got)
		}
	}

	var doc struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal([]byte(d.body), &doc); err != nil {
		t.Errorf("%s: message body is not the JSON document: %v", c.name, err)
	} else if doc.EventID != c.envelope.ID {
		t.Errorf("%s: document event_id = %q, want %q", c.name, doc.EventID, c.envelope.ID)
	}
	for _, mrn := range c.mrns {
		if strings.Contains(d.body, mrn) {
			t.Errorf("%s: message body contains an MRN although ALERT_INCLUDE_PHI is false", c.name)
		}
		for name, got := range d.attrs {
			if strings.Contains(got.Value, mrn) {
				t.Errorf("%s: attribute %s contains an MRN", c.name, name)
			}
		}
	}
}

func sortedTopics(res *resources) []string {
	topics := make([]string, 0, len(res.queueURLs))
	for topic := range res.queueURLs {
		topics = append(topics, topic)
	}
	sort.Strings(topics)
	return topics
}

func TestRequestChecks(t *testing.T) {
	res := newResources(t, []string{string(firstSecret), string(secondSecret)})
	fn := startFunction(t, functionEnvironment(t, res, nil))

	tests := []struct {
		name       string
		format     eventFormat
		method     string
		secret     signature.Secret
		noBody     bool
		base64     bool
		wantCode   int
		wantStatus string
		wantStored bool
	}{
		{name: "http get", format: httpAPI, method: http.MethodGet, noBody: true,
			wantCode: http.StatusMethodNotAllowed, wantStatus: "method_not_allowed"},
		{name: "rest get", format: restAPI, method: http.MethodGet, noBody: true,
			wantCode: http.StatusMethodNotAllowed, wantStatus: "method_not_allowed"},
		{name: "http put signed", format: httpAPI, method: http.MethodPut, secret: firstSecret,
			wantCode: http.StatusMethodNotAllowed, wantStatus: "method_not_allowed"},
		{name: "http unsigned", format: httpAPI,
			wantCode: http.StatusUnauthorized, wantStatus: "unauthorized"},
		{name: "rest unsigned", format: restAPI,
			wantCode: http.StatusUnauthorized, wantStatus: "unauthorized"},
		{name: "http unknown secret", format: httpAPI, secret: rotatedIn,
			wantCode: http.StatusUnauthorized, wantStatus: "unauthorized"},
		{name: "http second secret", format: httpAPI, secret: secondSecret,
			wantCode: http.StatusOK, wantStatus: "stored", wantStored: true},
		{name: "rest second secret", format: restAPI, secret: secondSecret,
			wantCode: http.StatusOK, wantStatus: "stored", wantStored: true},
		{name: "http base64 body", format: httpAPI, secret: firstSecret, base64: true,
			wantCode: http.StatusOK, wantStatus: "stored", wantStored: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, id := testEvent(t)
			d := apigw.Delivery{Method: tc.method, Body: body, Secret: tc.secret, Received: time.Now(), Base64: tc.base64}
			if tc.noBody {
				d.Body = nil
			}
			resp, got := fn.invoke(t, payload(t, tc.format, d))

			if resp.StatusCode != tc.wantCode {
				t.Errorf("statusCode = %d, want %d (body %s)", resp.StatusCode, tc.wantCode, resp.Body)
			}
			if got.Status != tc.wantStatus {
				t.Errorf("status = %q, want %q", got.Status, tc.wantStatus)
			}
			if tc.wantCode == http.StatusMethodNotAllowed && resp.Headers["Allow"] != http.MethodPost {
				t.Errorf("Allow = %q, want POST", resp.Headers["Allow"])
			}
			item := res.item(t, id)
			if stored := item != nil; stored != tc.wantStored {
				t.Errorf("event stored = %v, want %v", stored, tc.wantStored)
			}
			if tc.wantStored && got.ID != id {
				t.Errorf("id = %q, want %q", got.ID, id)
			}
		})
	}
	want := 0
	for _, tc := range tests {
		if tc.wantStored {
			want++
		}
	}
	if n := res.itemCount(t); n != want {
		t.Errorf("table has %d items, want %d", n, want)
	}
}

func TestUnsupportedPayloadFails(t *testing.T) {
	res := newResources(t, []string{string(firstSecret)})
	fn := startFunction(t, functionEnvironment(t, res, nil))

	// A scheduled EventBridge event is no API Gateway event.
	r := fn.invokeRaw(t, []byte(`{"version":"0","source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))
	if !strings.Contains(r.ErrorMessage, "unsupported invocation event") {
		t.Errorf("errorMessage = %q, want it to name the unsupported invocation event", r.ErrorMessage)
	}
	if r.StatusCode != 0 {
		t.Errorf("statusCode = %d, want a function error rather than an HTTP response", r.StatusCode)
	}

	// The function keeps serving afterwards.
	body, id := testEvent(t)
	resp, got := fn.invoke(t, payload(t, httpAPI, apigw.Delivery{Body: body, Secret: firstSecret, Received: time.Now()}))
	checkAnswer(t, "event after the failed invocation", resp, got, http.StatusOK, "stored", id)
}

func TestCommittedEventFiles(t *testing.T) {
	res := newResources(t, []string{string(config.DevelopmentSecret)})
	fn := startFunction(t, functionEnvironment(t, res, nil))
	cases := map[string]webhookCase{}
	for _, c := range webhookCases(t) {
		cases[c.envelope.Type] = c
	}

	// The HTTP API events store every sample. Their receive time is 1.2 s
	// after the sample's created time, long past, so the function has no
	// time left to publish and leaves each alert pending for the sweep.
	httpFiles, err := filepath.Glob(filepath.Join(eventsFolder, "*.json"))
	if err != nil || len(httpFiles) == 0 {
		t.Fatalf("no event files in %s (%v)", eventsFolder, err)
	}
	for _, file := range httpFiles {
		c, ok := cases[strings.TrimSuffix(filepath.Base(file), ".json")]
		if !ok {
			t.Errorf("%s matches no sample", file)
			continue
		}
		resp, got := fn.invoke(t, readFile(t, file))
		checkAnswer(t, file, resp, got, http.StatusOK, "stored", c.envelope.ID)

		wantAlert := "none"
		if c.topic != "" {
			wantAlert = "pending"
		}
		if state := stringAttr(res.item(t, c.envelope.ID), "alert_state"); state != wantAlert {
			t.Errorf("%s: alert_state = %q, want %q", file, state, wantAlert)
		}
	}

	// The REST API events carry the same samples, so each is a duplicate.
	restFiles, err := filepath.Glob(filepath.Join(eventsFolder, apigw.RESTFolder, "*.json"))
	if err != nil || len(restFiles) == 0 {
		t.Fatalf("no event files in %s (%v)", filepath.Join(eventsFolder, apigw.RESTFolder), err)
	}
	for _, file := range restFiles {
		c := cases[strings.TrimSuffix(filepath.Base(file), ".json")]
		resp, got := fn.invoke(t, readFile(t, file))
		checkAnswer(t, file, resp, got, http.StatusOK, "duplicate", c.envelope.ID)
	}
}

func TestZeroEpochEventPublishesAlert(t *testing.T) {
	res := newResources(t, []string{string(config.DevelopmentSecret)})
	fn := startFunction(t, functionEnvironment(t, res, nil))
	samples, err := events.Samples()
	if err != nil {
		t.Fatalf("Samples: %v", err)
	}
	files, err := apigw.Generate(samples, apigw.ZeroEpoch)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var c webhookCase
	for _, wc := range webhookCases(t) {
		if wc.envelope.Type == "appointment.failed" {
			c = wc
		}
	}

	resp, got := fn.invoke(t, files["appointment.failed.json"])
	checkAnswer(t, c.name, resp, got, http.StatusOK, "stored", c.envelope.ID)
	if state := stringAttr(res.item(t, c.envelope.ID), "alert_state"); state != "published" {
		t.Errorf("alert_state = %q, want published", state)
	}
	if n := len(res.receive(t, c.topic, 1)); n != 1 {
		t.Errorf("topic %s: %d messages, want 1", c.topic, n)
	}
}

// eventsFolder holds the committed API Gateway events.
var eventsFolder = filepath.Join("..", "..", "events", "apigw")

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSecretRotationWithoutRestart(t *testing.T) {
	res := newResources(t, []string{string(firstSecret), string(secondSecret)})
	fn := startFunction(t, functionEnvironment(t, res, map[string]string{
		config.EnvSecretRefresh: "1",
	}))
	send := func(secret signature.Secret) (response, responseBody, string) {
		t.Helper()
		body, id := testEvent(t)
		d := apigw.Delivery{Body: body, Secret: secret, Received: time.Now()}
		resp, got := fn.invoke(t, payload(t, httpAPI, d))
		return resp, got, id
	}

	if resp, _, _ := send(rotatedIn); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("before the rotation, the new secret got %d, want 401", resp.StatusCode)
	}
	res.putSecret(t, []string{string(rotatedIn), string(secondSecret)})

	// The function re-reads the secret once a second; poll for at most 15 s.
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, got, id := send(rotatedIn)
		if resp.StatusCode == http.StatusOK {
			if got.Status != "stored" || got.ID != id {
				t.Errorf("response body = %+v, want stored with id %s", got, id)
			}
			break
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("new secret got %d, want 401 until the refresh, then 200", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatal("the new secret was still rejected 15 s after the rotation")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The re-read value dropped the first secret and kept the second.
	if resp, _, id := send(firstSecret); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("removed secret got %d, want 401", resp.StatusCode)
	} else if res.item(t, id) != nil {
		t.Errorf("event %s signed with the removed secret was stored", id)
	}
	if resp, _, _ := send(secondSecret); resp.StatusCode != http.StatusOK {
		t.Errorf("kept secret got %d, want 200", resp.StatusCode)
	}
}

// testEvent returns a new test.event body and its id.
func testEvent(t *testing.T) ([]byte, string) {
	t.Helper()
	id := "evt_rie_" + randomHex(t, 6)
	now := time.Now().UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`{"id":%q,"access_token_reference_id":"clinic_rie","object":"event",`+
		`"created":%q,"type":"test.event","data":{"message":"RIE test","timestamp":%q}}`, id, now, now)
	return []byte(body), id
}
