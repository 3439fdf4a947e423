package alert

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask replaces each PHI value, or each part of one, in an alert body.
const Mask = "***"

// Patterns of PHI in free text that data need not contain. Go's regexp has
// no look-behind, so findPattern and findDates check in code that a number
// match does not continue a longer run of digits. Every pattern has a
// bounded match length, which maskMargin relies on.
var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,4}\.[A-Za-z]{2,24}`)
	// North American numbers with or without a country code, in the usual
	// groupings, and international numbers written with a leading '+'.
	phonePattern = regexp.MustCompile(`(?:\+?1[\s.\-]?)?(?:\(\d{3}\)|\d{3})[\s.\-]?\d{3}[\s.\-]?\d{4}|\+\d{1,3}[\s.\-]?\d(?:[\s.\-]?\d){6,13}`)
	// Dates written year first, month or day first, or with a month name.
	// The numeric forms and the month-name forms are two patterns so that
	// each runs only on text that has what it needs (see findDates).
	numericDatePattern = regexp.MustCompile(`\d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}|\d{1,2}[\-/.]\d{1,2}[\-/.]\d{2,4}`)
	monthDatePattern   = regexp.MustCompile(`(?i)` +
		`(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?\s{1,3}\d{1,2}(?:st|nd|rd|th)?,?\s{1,3}\d{4}|` +
		`\d{1,2}(?:st|nd|rd|th)?\s{1,3}(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?,?\s{1,3}\d{4}`)
	// A time right after a date makes it a timestamp, not a birth date.
	timeAfterDate = regexp.MustCompile(`^(?:T|\s{1,3})\d{1,2}:\d{2}`)
	// A token after an MRN label; only its submatch is masked, and only when
	// it has a digit, so "MRN not found" stays as it is.
	mrnPattern = regexp.MustCompile(`(?i)\b(?:mrn|medical\s{1,3}record(?:\s{1,3}(?:number|no\.?|#))?)` +
		`(?:\s{0,3}(?:#|:|=|-|is\b|of\b|number\b|no\.)){0,4}\s{0,3}([A-Za-z0-9][A-Za-z0-9\-]{0,63})`)
	// Up to three words after a "Patient:" or "Patient name:" label.
	patientNamePattern = regexp.MustCompile(`(?i)\bpatient(?:'s)?(?:\s{1,3}(?:full\s{1,3})?name)?\s{0,3}[:=]\s{0,3}` +
		`([\p{L}][\p{L}'.\-]{0,30}(?:\s{1,3}[\p{L}][\p{L}'.\-]{0,30}){0,2})`)
)

// maskMargin is how many bytes past a cut point free text is searched for
// PHI, on top of the longest value from data. PHI that starts before the cut
// is thus masked whole rather than left half visible. The margin exceeds the
// longest match of the patterns here and in names.go: about 540 bytes, for
// four 31-letter name words of 4-byte runes before "date of birth".
const maskMargin = 1024

// masker finds PHI in free text: the values collected from an event's data
// and the patterns above.
type masker struct {
	// sequences maps the first token of each PHI value, lower-cased, to the
	// token sequences that start with it.
	sequences map[string][][]string
	// longest is the maximum length of a PHI value, in bytes.
	longest int
}

// newMasker returns a masker for the given PHI values.
func newMasker(values []phiValue) *masker {
	m := &masker{sequences: make(map[string][][]string)}
	seen := make(map[string]bool)
	add := func(seq []string) {
		key := strings.Join(seq, "\x00")
		if len(seq) == 0 || seen[key] {
			return
		}
		seen[key] = true
		m.sequences[seq[0]] = append(m.sequences[seq[0]], seq)
	}
	for _, v := range values {
		m.longest = max(m.longest, len(v.text))
		var words []string
		for _, t := range tokenize(v.text) {
			words = append(words, t.lower)
		}
		add(words)
		for _, w := range words {
			switch {
			case v.class == phiName && utf8.RuneCountInString(w) >= 2:
				add([]string{w})
			case v.class == phiNumber && len(w) >= 3 && strings.ContainsAny(w, "0123456789"):
				add([]string{w})
			}
		}
	}
	return m
}

// token is one maximal run of letters and digits in a text.
type token struct {
	start, end int
	lower      string
}

func tokenize(s string) []token {
	var tokens []token
	start := -1
	for i, r := range s {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			tokens = append(tokens, token{start, i, strings.ToLower(s[start:i])})
			start = -1
		}
	}
	if start >= 0 {
		tokens = append(tokens, token{start, len(s), strings.ToLower(s[start:])})
	}
	return tokens
}

// span is a byte range of a text to mask.
type span struct{ start, end int }

// mask returns s with PHI replaced by Mask, keeping at most limit bytes of s
// (a PHI value that starts before limit is masked whole), and whether s was
// cut. The output may be longer than limit, since Mask can be longer than
// what it replaces.
func (m *masker) mask(s string, limit int) (string, bool) {
	window, _ := cutBytes(s, limit+maskMargin+m.longest)
	end, _ := cutBytes(window, limit)
	spans := m.find(window)

	var b strings.Builder
	pos := 0
	for _, sp := range spans {
		if sp.start >= len(end) {
			break
		}
		b.WriteString(window[pos:sp.start])
		b.WriteString(Mask)
		pos = sp.end
	}
	if pos < len(end) {
		b.WriteString(end[pos:])
		pos = len(end)
	}
	return b.String(), pos < len(s)
}

// find returns the sorted, merged spans of PHI in s.
func (m *masker) find(s string) []span {
	var spans []span
	spans = m.findValues(s, spans)
	// Cheap checks skip the patterns that cannot match.
	if strings.IndexByte(s, '@') >= 0 {
		spans = findPattern(s, emailPattern, spans, 0)
	}
	if digits := countDigits(s); digits > 0 {
		// Every phone number the pattern matches has at least 8 digits.
		if digits >= 8 {
			spans = findPattern(s, phonePattern, spans, 0)
		}
		spans = findDates(s, spans)
		lower := strings.ToLower(s)
		if strings.Contains(lower, "mrn") || strings.Contains(lower, "record") {
			spans = findPattern(s, mrnPattern, spans, 1)
		}
	}
	if containsFold(s, "patient") {
		spans = findPattern(s, patientNamePattern, spans, 1)
	}
	spans = findNames(s, spans)
	return mergeSpans(spans)
}

// containsFold reports whether s contains the lower-case ASCII word,
// ignoring case.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// findValues appends the spans where the token sequence of a PHI value
// appears in s, whatever separates the tokens.
func (m *masker) findValues(s string, spans []span) []span {
	if len(m.sequences) == 0 {
		return spans
	}
	tokens := tokenize(s)
	for i, t := range tokens {
		for _, seq := range m.sequences[t.lower] {
			if matchesAt(tokens, i, seq) {
				spans = append(spans, span{t.start, tokens[i+len(seq)-1].end})
			}
		}
	}
	return spans
}

func matchesAt(tokens []token, i int, seq []string) bool {
	if i+len(seq) > len(tokens) {
		return false
	}
	for j, word := range seq {
		if tokens[i+j].lower != word {
			return false
		}
	}
	return true
}

// findPattern appends the matches of re in s. With group 0 it appends
// whole matches, skipping those that continue a longer run of digits, such as
// ten digits inside a longer id. With group 1 it appends the submatch, which
// for mrnPattern must contain a digit.
func findPattern(s string, re *regexp.Regexp, spans []span, group int) []span {
	for _, loc := range re.FindAllStringSubmatchIndex(s, -1) {
		start, end := loc[2*group], loc[2*group+1]
		switch {
		case start < 0:
			continue
		case group == 0 && re != emailPattern && !outsideDigits(s, start, end):
			continue
		case re == mrnPattern && !strings.ContainsAny(s[start:end], "0123456789"):
			continue
		}
		spans = append(spans, span{start, end})
	}
	return spans
}

// findDates appends the dates in s that are not followed by a time of day.
// Matching the whole text with the case-insensitive patterns was most of the
// cost of building an alert, so each pattern runs anchored at every start
// position of a short window around the places a date of its form must
// contain: a digit, a separator and a digit in a row, or a month's
// three-letter prefix. Trying every start also finds a date right after a
// rejected match that a left-to-right scan would have stepped over.
func findDates(s string, spans []span) []span {
	keep := func(start, end int) bool {
		return outsideDigits(s, start, end) && !timeAfterDate.MatchString(s[end:])
	}
	// A numeric date is at most 10 bytes and has its first separator within
	// its first 5; a month-name date has the month within its first 8 bytes
	// and ends at most 32 bytes after the month starts.
	spans = findAnchored(s, numericDateAt, digitSeparatorDigits(s), 4, 9, keep, spans)
	return findAnchored(s, monthDateAt, monthNames(s), 8, 33, keep, spans)
}

// The date patterns anchored at the start of the text they are given.
var (
	numericDateAt = regexp.MustCompile(`^(?:` + numericDatePattern.String() + `)`)
	monthDateAt   = regexp.MustCompile(`(?i)^(?:` + strings.TrimPrefix(monthDatePattern.String(), `(?i)`) + `)`)
)

// findAnchored appends the matches of the anchored pattern re that start at
// any character of the windows reaching before bytes ahead of each anchor
// and after bytes past it, merged where they overlap, and that keep accepts.
func findAnchored(s string, re *regexp.Regexp, anchors []int, before, after int,
	keep func(start, end int) bool, spans []span) []span {
	for i := 0; i < len(anchors); {
		start, end := max(anchors[i]-before, 0), min(anchors[i]+after, len(s))
		for i++; i < len(anchors) && anchors[i]-before <= end; i++ {
			end = min(anchors[i]+after, len(s))
		}
		for at := start; at < end; at++ {
			if !utf8.RuneStart(s[at]) {
				continue
			}
			if loc := re.FindStringIndex(s[at:end]); loc != nil && keep(at, at+loc[1]) {
				spans = append(spans, span{at, at + loc[1]})
			}
		}
	}
	return spans
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitSeparatorDigits returns the positions in s of a - / or . that has a
// digit on each side, in ascending order. Every numeric date has one.
func digitSeparatorDigits(s string) []int {
	var at []int
	for i := 1; i+1 < len(s); i++ {
		if (s[i] == '-' || s[i] == '/' || s[i] == '.') && isDigit(s[i-1]) && isDigit(s[i+1]) {
			at = append(at, i)
		}
	}
	return at
}

// monthPrefixes are the three letters every month-name date starts with.
var monthPrefixes = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// monthNames returns the positions in s where a month's three-letter prefix
// starts, in any case, in ascending order.
func monthNames(s string) []int {
	var at []int
	for i := 0; i+3 <= len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			continue
		}
		for _, prefix := range monthPrefixes {
			if strings.EqualFold(s[i:i+3], prefix) {
				at = append(at, i)
				break
			}
		}
	}
	return at
}

// countDigits returns how many ASCII digits s has.
func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// outsideDigits reports whether s[start:end] is neither preceded nor
// followed by a digit.
func outsideDigits(s string, start, end int) bool {
	before := start > 0 && s[start-1] >= '0' && s[start-1] <= '9'
	after := end < len(s) && s[end] >= '0' && s[end] <= '9'
	return !before && !after
}

func mergeSpans(spans []span) []span {
	if len(spans) < 2 {
		return spans
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		if sp.start <= last.end {
			last.end = max(last.end, sp.end)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}
