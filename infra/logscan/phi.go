package logscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/clinicops/cobalt-receiver/events"
)

// phiKeys are the data fields whose values are PHI.
var phiKeys = map[string]bool{
	"mrn": true, "patient_mrn": true, "existing_mrn": true, "member_id": true,
	"first_name": true, "last_name": true, "patient_name": true,
	"date_of_birth": true, "email": true, "phone": true,
}

// nameKeys are the PHI fields that hold names, whose words are PHI one by
// one as well.
var nameKeys = map[string]bool{"first_name": true, "last_name": true, "patient_name": true}

// changeValueKeys are the members of a change record, such as an entry of
// patient.insurance.added's audit_trail, that hold values of the field that
// its "field" member names.
var changeValueKeys = []string{"before", "after", "attempted"}

// Patterns of PHI in free text such as descriptions and failure reasons.
var (
	// Two capitalized words right before "born" or an identifier with a
	// digit in parentheses, as in "for Jane Placeholder (MRN-TEST-0002)".
	textName = regexp.MustCompile(`\b([A-Z][a-z]+ [A-Z][A-Za-z'\-]+) (?:\([A-Za-z0-9\-]*[0-9]|born\b)`)
	// An identifier with letters and digits in parentheses, or after "MRN".
	textMRN = regexp.MustCompile(`\(([A-Za-z][A-Za-z0-9\-]*[0-9][A-Za-z0-9\-]*)\)|\bMRN[\s:#]+([A-Za-z0-9\-]*[0-9][A-Za-z0-9\-]*)`)
	// A date of birth after "born".
	textBirthDate = regexp.MustCompile(`\bborn (?:on )?(\d{4}-\d{2}-\d{2})`)
	// A North American phone number.
	textPhone = regexp.MustCompile(`\(\d{3}\) \d{3}-\d{4}|\b\d{3}[\-.]\d{3}[\-.]\d{4}\b`)
	textEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)
)

// SamplePHI returns the PHI values of a sample. These are the values of PHI
// fields in its data, at any depth and in change records, and each word of
// its names. They also include the names, identifiers, birth dates, phone
// numbers and e-mail addresses that its free text embeds.
func SamplePHI(s events.Sample) ([]Value, error) {
	var doc struct {
		Data any `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(s.Body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("sample %s: %w", s.Name, err)
	}
	c := collector{sample: s.Name, seen: map[string]bool{}}
	c.walk(doc.Data, "data")
	sort.Slice(c.values, func(i, j int) bool { return c.values[i].Text < c.values[j].Text })
	return c.values, nil
}

// collector gathers the PHI values of one sample.
type collector struct {
	sample string
	values []Value
	seen   map[string]bool
}

func (c *collector) add(text, source string) {
	text = strings.TrimSpace(text)
	if text == "" || c.seen[text] {
		return
	}
	c.seen[text] = true
	c.values = append(c.values, Value{Text: text, Kind: KindPHI, Source: c.sample + ": " + source})
}

// addName adds a name and each of its words.
func (c *collector) addName(name, source string) {
	c.add(name, source)
	for _, word := range strings.Fields(name) {
		if len(word) >= 2 {
			c.add(word, source+", one word")
		}
	}
}

// walk collects the PHI under v, found at path.
func (c *collector) walk(v any, path string) {
	switch v := v.(type) {
	case map[string]any:
		changed, _ := v["field"].(string)
		keys := make([]string, 0, len(v))
		for key := range v {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			member := v[key]
			memberPath := path + "." + key
			switch {
			case phiKeys[key]:
				c.addScalars(member, memberPath, nameKeys[key])
			case phiKeys[changed] && slices.Contains(changeValueKeys, key):
				c.addScalars(member, memberPath, nameKeys[changed])
			}
			c.walk(member, memberPath)
		}
	case []any:
		for i, item := range v {
			c.walk(item, fmt.Sprintf("%s[%d]", path, i))
		}
	case string:
		c.scanText(v, path)
	}
}

// addScalars adds every string and number under v.
func (c *collector) addScalars(v any, path string, name bool) {
	switch v := v.(type) {
	case string:
		if name {
			c.addName(v, path)
		} else {
			c.add(v, path)
		}
	case json.Number:
		c.add(v.String(), path)
	case []any:
		for _, item := range v {
			c.addScalars(item, path, name)
		}
	case map[string]any:
		for _, member := range v {
			c.addScalars(member, path, name)
		}
	}
}

// scanText adds the PHI that free text embeds.
func (c *collector) scanText(text, path string) {
	for _, m := range textName.FindAllStringSubmatch(text, -1) {
		c.addName(m[1], path+", a name in the text")
	}
	for _, m := range textMRN.FindAllStringSubmatch(text, -1) {
		c.add(m[1]+m[2], path+", an identifier in the text")
	}
	for _, m := range textBirthDate.FindAllStringSubmatch(text, -1) {
		c.add(m[1], path+", a birth date in the text")
	}
	for _, phone := range textPhone.FindAllString(text, -1) {
		c.add(phone, path+", a phone number in the text")
	}
	for _, email := range textEmail.FindAllString(text, -1) {
		c.add(email, path+", an e-mail address in the text")
	}
}
