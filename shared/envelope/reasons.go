package envelope

import "github.com/clinicops/cobalt-receiver/shared/jsjson"

// Reason is one entry of a failure event's data.reasons. Code is
// machine-readable, and Description is human text that may embed PHI such as
// an MRN or a patient name.
type Reason struct {
	Code        string
	Description string
}

// Reasons returns the entries of data.reasons in order, or nil when it is
// absent or not an array. Elements that are not objects are skipped, and a
// code or description that is not a string is returned as "".
func (e *Envelope) Reasons() []Reason {
	v, ok := e.Data.Get(reasonsKey)
	if !ok || v.Kind != jsjson.Array {
		return nil
	}

	var reasons []Reason
	for _, item := range v.Items {
		if item.Kind != jsjson.Object {
			continue
		}
		reasons = append(reasons, Reason{
			Code:        stringMember(item, "code"),
			Description: stringMember(item, "description"),
		})
	}
	return reasons
}

// FailureText returns the free-text failure detail of the event: the first
// non-empty string among data.failure_reason, data.error and
// data.refill_failure_reason (the last is sent on partial telephone
// encounters), or "" when there is none. The text may embed PHI.
func (e *Envelope) FailureText() string {
	for _, name := range []string{"failure_reason", "error", "refill_failure_reason"} {
		if s := stringMember(e.Data, name); s != "" {
			return s
		}
	}
	return ""
}

// stringMember returns the string member name of object v, or "" when it is
// absent or not a string.
func stringMember(v jsjson.Value, name string) string {
	member, ok := v.Get(name)
	if !ok || member.Kind != jsjson.String {
		return ""
	}
	return member.Str
}
