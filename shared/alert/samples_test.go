package alert_test

import (
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

// samplePHI is the fictional PHI in the sample events, including names that
// appear only in descriptions.
var samplePHI = []string{
	"Placeholder", "Sampleperson", "McTestface", "Fictional", "Testy", "Jane", "Frank",
	"TEST-00", "1975-05-05", "555-0100",
}

func TestBuildSampleEvents(t *testing.T) {
	samples, err := events.Samples()
	if err != nil {
		t.Fatal(err)
	}
	alerting := 0
	for _, s := range samples {
		t.Run(s.Type, func(t *testing.T) {
			env, err := envelope.Parse(s.Body)
			if err != nil {
				t.Fatalf("parse sample: %v", err)
			}
			a := alert.Build(env, alert.Options{})
			wantAlert := env.Kind == envelope.KindFailure || env.Kind == envelope.KindPartial
			if (a != nil) != wantAlert {
				t.Fatalf("Build for kind %s returned %v, want alert: %v", env.Kind, a != nil, wantAlert)
			}
			if a == nil {
				return
			}
			alerting++
			if a.Topic != alert.TopicFor(env.Category) || a.Topic == alert.TopicOther {
				t.Errorf("Topic = %q, want category %q", a.Topic, env.Category)
			}
			if len(a.Subject) >= 100 || !strings.HasPrefix(a.Subject, "Cobalt "+s.Type) {
				t.Errorf("Subject = %q, want one under 100 bytes naming %s", a.Subject, s.Type)
			}
			for part, text := range alertParts(a) {
				for _, phi := range samplePHI {
					if strings.Contains(text, phi) {
						t.Errorf("%s contains PHI %q:\n%s", part, phi, text)
					}
				}
			}
			if got := attributeMap(t, a)["event_id"].Value(); got != env.ID {
				t.Errorf("event_id attribute = %q, want %q", got, env.ID)
			}
		})
	}
	if alerting < 10 {
		t.Errorf("%d samples raised an alert, want every failure and partial sample", alerting)
	}
}
