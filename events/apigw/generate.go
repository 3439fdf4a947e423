package apigw

import (
	"fmt"
	"path"
	"time"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/shared/config"
)

// RESTFolder is the folder, inside the output folder, of the REST API events.
const RESTFolder = "rest"

// RESTSample is a sample that Generate also writes as a REST API event.
type RESTSample struct {
	Type string
	// Base64 sends the body base64-encoded.
	Base64 bool
}

// RESTSamples lists the samples written as REST API events: a failure with
// a base64-encoded body, a partial event, a success and the test event.
var RESTSamples = []RESTSample{
	{Type: "appointment.failed", Base64: true},
	{Type: "patient.created"},
	{Type: "telephone_encounter.created_partial"},
	{Type: "test.event"},
}

// deliveryDelay is the time between an event's created time and the
// request reaching API Gateway in the generated files.
const deliveryDelay = 1200 * time.Millisecond

// Timing selects the receive time that Generate writes into the events.
type Timing int

const (
	// AfterCreated sets each event's receive time to 1.2 s after its
	// sample's created time, so the files are the same on every run. Such an
	// old receive time leaves the function no response budget, so it stores
	// the event but leaves a failure's alert pending for the sweep.
	AfterCreated Timing = iota
	// ZeroEpoch leaves requestContext's time empty and its epoch 0. The
	// function then counts its budget from when the invocation arrives, so
	// it stores the event and publishes a failure's alert at once, whenever
	// the file is used.
	ZeroEpoch
)

// Generate returns the event files for samples, keyed by slash-separated
// path relative to the output folder: "<type>.json", an HTTP API event for
// every sample, and "rest/<type>.json", a REST API event for each of
// RESTSamples. Every event is signed with config.DevelopmentSecret and
// carries webhook-attempt 1. The committed files use AfterCreated.
func Generate(samples []events.Sample, timing Timing) (map[string][]byte, error) {
	files := make(map[string][]byte, len(samples)+len(RESTSamples))
	byType := make(map[string]events.Sample, len(samples))
	for _, s := range samples {
		byType[s.Type] = s
		data, err := HTTPEvent(sampleDelivery(s, timing, false))
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", s.Name, err)
		}
		files[s.Type+".json"] = data
	}
	for _, rs := range RESTSamples {
		s, ok := byType[rs.Type]
		if !ok {
			return nil, fmt.Errorf("REST sample %s: no sample of that type in events/cobalt", rs.Type)
		}
		data, err := RESTEvent(sampleDelivery(s, timing, rs.Base64))
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", s.Name, err)
		}
		files[path.Join(RESTFolder, s.Type+".json")] = data
	}
	return files, nil
}

func sampleDelivery(s events.Sample, timing Timing, base64 bool) Delivery {
	d := Delivery{Body: s.Body, Secret: config.DevelopmentSecret, Base64: base64}
	if timing == AfterCreated {
		d.Received = createdTime(s.Body).Add(deliveryDelay)
	}
	return d
}

// fallbackCreated is the created time assumed for a body without a valid
// one.
var fallbackCreated = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// createdTime returns the body's created time, or fallbackCreated when the
// body has none in RFC 3339 form.
func createdTime(body []byte) time.Time {
	_, created := bodyIdentity(body)
	t, err := time.Parse(time.RFC3339Nano, created)
	if err != nil {
		return fallbackCreated
	}
	return t
}
