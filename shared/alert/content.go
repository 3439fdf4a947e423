package alert

import (
	"strings"

	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// Bounds on the identity fields of an alert, in bytes.
const (
	maxIDBytes      = envelope.MaxIDBytes
	maxNameBytes    = 256 // event type, category, clinic reference, job id
	maxCreatedBytes = 64
	maxCodeBytes    = 128
	// maxAttributeCodes is the maximum number of distinct codes in the
	// error_codes attribute, which keeps them in order of first appearance.
	maxAttributeCodes = 50
)

// reason is one entry of data.reasons, cleaned and masked.
type reason struct {
	code, description string
}

// field is one data member shown in an alert, cleaned and masked.
type field struct {
	key, value string
}

// content is the part of an event that an alert shows, cleaned and masked,
// at the default limits. Rendering may cut it further to fit the size limit.
type content struct {
	id, eventType, category, created, jobID, clinic string
	kind                                            envelope.Kind
	// exactID is the event id with its control characters kept, for the
	// JSON document, whose escaping carries them, so that subscribers can
	// match the stored record. The fields above are cleaned to one line.
	exactID string

	reasons      []reason
	reasonsTotal int
	// codes are the distinct reason codes, masked even when opts.IncludePHI
	// is set, since they also go into the subject and attributes.
	codes []string

	failureReason, errorText string

	fields []field
	masked bool
	// cut is set when a value was cut while preparing.
	cut bool
}

// preparer builds a content, masking free text unless PHI is included.
type preparer struct {
	masker *masker
	mask   bool
	c      *content
	// masked remembers the masked form of each text and limit, because
	// failure_reason often repeats a description word for word.
	masked map[maskKey]maskResult
}

type maskKey struct {
	text  string
	limit int
}

type maskResult struct {
	text string
	cut  bool
}

func prepare(env *envelope.Envelope, topic string, opts Options) *content {
	p := &preparer{
		masker: newMasker(collectPHI(env.Data)),
		mask:   !opts.IncludePHI,
		c:      &content{masked: !opts.IncludePHI},
	}
	c := p.c
	c.kind = env.Kind
	c.id = p.line(env.ID, maxIDBytes)
	c.exactID, _ = cutBytes(env.ID, maxIDBytes)
	c.eventType = p.line(env.Type, maxNameBytes)
	c.category = p.line(env.Category, maxNameBytes)
	if strings.TrimSpace(c.category) == "" {
		c.category = topic
	}
	c.created = p.line(env.Created, maxCreatedBytes)
	c.jobID = p.line(env.JobID, maxNameBytes)
	c.clinic = p.line(env.Clinic, maxNameBytes)

	reasons, _ := env.Data.Get("reasons")
	p.readReasons(reasons)
	p.readCodes(reasons)
	if v, ok := env.Data.Get("failure_reason"); ok {
		c.failureReason = p.freeText(v, defaultLimits.freeText)
	}
	if v, ok := env.Data.Get("error"); ok {
		c.errorText = p.freeText(v, defaultLimits.freeText)
	}
	p.readFields(env.Data)
	return c
}

// line returns s cleaned to one line of at most n bytes.
func (p *preparer) line(s string, n int) string {
	s, cut := cleanLine(s, n)
	p.c.cut = p.c.cut || cut
	return s
}

// text returns s cleaned, cut to n bytes and, unless PHI is included,
// masked.
func (p *preparer) text(s string, n int) string {
	if !p.mask {
		s, cut := cleanText(s, n)
		p.c.cut = p.c.cut || cut
		return s
	}
	key := maskKey{s, n}
	if r, ok := p.masked[key]; ok {
		p.c.cut = p.c.cut || r.cut
		return r.text
	}
	// Clean past n so that a PHI value straddling n is still seen whole.
	cleaned, _ := cleanText(s, n+maskMargin+p.masker.longest)
	masked, cut := p.masker.mask(cleaned, n)
	if p.masked == nil {
		p.masked = make(map[maskKey]maskResult)
	}
	p.masked[key] = maskResult{masked, cut}
	p.c.cut = p.c.cut || cut
	return masked
}

// freeText returns the text of a data value for display: a string as it
// is, any other value as compact JSON.
func (p *preparer) freeText(v jsjson.Value, n int) string {
	switch v.Kind {
	case jsjson.Null:
		return ""
	case jsjson.String, jsjson.Number, jsjson.Bool:
		return p.text(scalarText(v), n)
	}
	s, cut := compactJSON(v, n+maskMargin+p.masker.longest)
	p.c.cut = p.c.cut || cut
	return p.text(s, n)
}

// readReasons reads data.reasons: an array of {code, description} objects,
// or of plain strings taken as descriptions.
func (p *preparer) readReasons(reasons jsjson.Value) {
	if reasons.Kind != jsjson.Array {
		return
	}
	p.c.reasonsTotal = len(reasons.Items)
	for _, item := range reasons.Items {
		if len(p.c.reasons) == defaultLimits.reasons {
			p.c.cut = true
			break
		}
		var r reason
		switch item.Kind {
		case jsjson.Object:
			code, _ := item.Get("code")
			description, _ := item.Get("description")
			r.code = p.text(scalarText(code), maxCodeBytes)
			r.description = p.freeText(description, defaultLimits.description)
		case jsjson.String, jsjson.Number:
			r.description = p.text(scalarText(item), defaultLimits.description)
		default:
			continue
		}
		p.c.reasons = append(p.c.reasons, r)
	}
}

// readCodes collects the distinct codes of all reasons, each cleaned to one
// line and always masked.
func (p *preparer) readCodes(reasons jsjson.Value) {
	seen := make(map[string]bool)
	for _, item := range reasons.Items {
		code, _ := item.Get("code")
		raw := scalarText(code)
		if strings.TrimSpace(raw) == "" || seen[raw] {
			continue
		}
		seen[raw] = true
		if len(p.c.codes) == maxAttributeCodes {
			p.c.cut = true
			return
		}
		clean, _ := cleanLine(raw, maxCodeBytes+maskMargin+p.masker.longest)
		clean, _ = p.masker.mask(clean, maxCodeBytes)
		clean, _ = cutBytes(clean, maxCodeBytes)
		if strings.TrimSpace(clean) != "" && !contains(p.c.codes, clean) {
			p.c.codes = append(p.c.codes, clean)
		}
	}
}

func contains(values []string, s string) bool {
	for _, v := range values {
		if v == s {
			return true
		}
	}
	return false
}

// detailKeys are the data members, besides ids and MRN fields, that a
// person needs to act on an alert.
var detailKeys = map[string]bool{
	"folder_name":            true,
	"provider_name":          true,
	"refill_medication_name": true,
	"refill_failure_reason":  true,
	"reason":                 true,
}

// isIDKey reports whether a data key names an identifier: id, a key ending
// in _id, or an EMR or EHR key such as emr_task_id.
func isIDKey(key string) bool {
	k := strings.ToLower(key)
	return k == "id" || strings.HasSuffix(k, "_id") ||
		strings.HasPrefix(k, "emr_") || strings.HasPrefix(k, "ehr_")
}

// readFields reads the top-level scalar members of data that identify what
// failed: ids, MRN fields and the detailKeys. Values of PHI keys are masked
// whole; ids are shown as they are; the detailKeys are masked as free text.
func (p *preparer) readFields(data jsjson.Value) {
	for _, m := range data.Members {
		if len(p.c.fields) == defaultLimits.fields {
			p.c.cut = true
			return
		}
		if m.Value.Kind != jsjson.String && m.Value.Kind != jsjson.Number && m.Value.Kind != jsjson.Bool {
			continue
		}
		raw := scalarText(m.Value)
		var value string
		class := classifyKey(m.Key)
		switch {
		case class == phiNumber && p.mask:
			value = Mask
		case class == phiNumber:
			value = p.line(raw, defaultLimits.fieldValue)
		case class != 0:
			continue
		case isIDKey(m.Key):
			value = p.line(raw, defaultLimits.fieldValue)
		case detailKeys[m.Key]:
			value = p.text(raw, defaultLimits.fieldValue)
		default:
			continue
		}
		p.c.fields = append(p.c.fields, field{key: p.line(m.Key, maxNameBytes), value: value})
	}
}
