package signature_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
	"github.com/clinicops/cobalt-receiver/shared/signature"
)

// benchEvent returns a patient.insurance.added event in compact
// JSON.stringify form whose audit_trail has entries entries, and the same
// event indented. One entry adds about 150 bytes to the compact form.
func benchEvent(entries int) (compact, indented []byte) {
	var trail strings.Builder
	for i := range entries {
		if i > 0 {
			trail.WriteByte(',')
		}
		fmt.Fprintf(&trail, `{"field":"copayment_%d","before":%d.5,"after":%d,`+
			`"changed_at":"2025-10-21T14:30:%02d.000Z","note":"Corrected by the EHR – é ✓",`+
			`"attempted":true}`, i, i, i+1, i%60)
	}
	compact = []byte(`{"id":"550e8400-e29b-41d4-a716-446655440000",` +
		`"access_token_reference_id":"clinic_1","object":"event",` +
		`"created":"2025-10-21T14:30:00.000Z","type":"patient.insurance.added",` +
		`"job_id":"12345","data":{"patient_insurance_id":"pi_1","patient_mrn":"MRN-1",` +
		`"member_id":"M123","group_id":"G9","plan_begin_date":"2025-01-01",` +
		`"copayment":25,"audit_trail":[` + trail.String() + `]}}`)

	var buf bytes.Buffer
	if err := json.Indent(&buf, compact, "", "  "); err != nil {
		panic(err)
	}
	return compact, buf.Bytes()
}

// benchSizes are events of about 1 KB and 100 KB.
var benchSizes = []struct {
	name    string
	entries int
}{
	{"1KB", 5},
	{"100KB", 700},
}

func BenchmarkVerifyRaw(b *testing.B) {
	for _, size := range benchSizes {
		compact, _ := benchEvent(size.entries)
		header := signature.Sign(compact, testSecret)
		b.Run(size.name, func(b *testing.B) {
			benchmarkVerify(b, compact, header, signature.MethodRaw)
		})
	}
}

func BenchmarkVerifyReserialized(b *testing.B) {
	for _, size := range benchSizes {
		compact, indented := benchEvent(size.entries)
		header := signature.Sign(compact, testSecret)
		b.Run(size.name, func(b *testing.B) {
			benchmarkVerify(b, indented, header, signature.MethodReserialized)
		})
	}
}

func benchmarkVerify(b *testing.B, body []byte, header string, want signature.Method) {
	secrets := []signature.Secret{"whsec_previous", testSecret}
	if method, err := signature.Verify(body, header, secrets); method != want || err != nil {
		b.Fatalf("Verify = %q, %v; want %q", method, err, want)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = signature.Verify(body, header, secrets)
	}
}

func BenchmarkCanonical(b *testing.B) {
	for _, size := range benchSizes {
		compact, indented := benchEvent(size.entries)
		b.Run(size.name, func(b *testing.B) {
			got, err := jsjson.Canonical(indented)
			if err != nil || !bytes.Equal(got, compact) {
				b.Fatalf("Canonical of the indented event differs from the compact event: %v", err)
			}
			b.SetBytes(int64(len(indented)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = jsjson.Canonical(indented)
			}
		})
	}
}
