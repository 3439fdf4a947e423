package alert_test

import (
	"fmt"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/alert/internal/alerttest"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
)

func ExampleBuild() {
	env := alerttest.Event("evt_1", "appointment.failed", "appointment", envelope.KindFailure, alerttest.Object{
		{"appointment_id", "apt_778"},
		{"mrn", "00012345"},
		{"failure_reason", "Patient with MRN 00012345 was not found."},
		{"reasons", alerttest.Reasons("PATIENT_NOT_FOUND", "Patient with MRN 00012345 was not found.")},
	})

	a := alert.Build(env, alert.Options{})
	fmt.Println(a.Topic)
	fmt.Println(a.Subject)
	for _, at := range a.Attributes {
		fmt.Printf("%s (%s) = %s\n", at.Name, at.Type, at.Value())
	}
	fmt.Println(string(a.Document))
	// Output:
	// appointment
	// Cobalt appointment.failed: clinic_1: PATIENT_NOT_FOUND
	// event_type (String) = appointment.failed
	// category (String) = appointment
	// event_id (String) = evt_1
	// access_token_reference_id (String) = clinic_1
	// job_id (String) = 12345
	// error_codes (String.Array) = ["PATIENT_NOT_FOUND"]
	// {"event_id":"evt_1","event_type":"appointment.failed","category":"appointment","topic":"appointment","kind":"failure","created":"2025-10-21T14:30:00.000Z","job_id":"12345","access_token_reference_id":"clinic_1","codes":["PATIENT_NOT_FOUND"],"reasons":[{"code":"PATIENT_NOT_FOUND","description":"Patient with MRN *** was not found."}],"failure_reason":"Patient with MRN *** was not found.","data":{"appointment_id":"apt_778","mrn":"***"},"phi_masked":true}
}

func BenchmarkBuild(b *testing.B) {
	env := alerttest.Event("evt_1", "patient.failed", "patient", envelope.KindFailure, alerttest.Object{
		{"patient_id", "pat_1"},
		{"existing_mrn", "00012345"},
		{"failure_reason", "A patient named Jane Doe already exists with MRN 00012345; insurance not found."},
		{"reasons", alerttest.Reasons(
			"DUPLICATE_PATIENT", "A patient named Jane Doe already exists with MRN 00012345.",
			"INSURANCE_NOT_FOUND", "Insurance plan Aetna PPO was not found.",
		)},
	})
	b.ReportAllocs()
	for b.Loop() {
		if alert.Build(env, alert.Options{}) == nil {
			b.Fatal("Build returned nil")
		}
	}
}
