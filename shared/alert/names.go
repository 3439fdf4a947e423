package alert

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Descriptions often name a patient whose name is not in data, as in
// "Patient Frank Fictional born 1975-05-05 already exists". These patterns
// find capitalized words in two places: right after the word "patient", and
// right before an MRN, a date of birth or the word "born".
//
// NOTE: a name elsewhere, or written in lower case, is not found unless data
// carries it. Values from data are masked wherever they occur.
var (
	nameAfterPatient = regexp.MustCompile(`\b(?i:patient)(?:\s{1,3}(?i:named|name))?\s{1,3}` +
		`(\p{Lu}[\p{L}'\-]{0,30}(?:,?\s{1,3}\p{Lu}[\p{L}'\-]{0,30}){0,3})`)
	nameBeforeCue = regexp.MustCompile(`(\p{Lu}[\p{L}'\-]{0,30}(?:,?\s{1,3}\p{Lu}[\p{L}'\-]{0,30}){0,3})` +
		`\s{0,3}[(\[,]?\s{0,3}(?i:mrn|dob|born|date\s{1,3}of\s{1,3}birth)\b`)
	nameWord = regexp.MustCompile(`[\p{L}'\-]+`)
)

// nonNameWords end a run of capitalized words that the patterns above
// take for a name, so that "Patient Not Found" and "Patient With MRN" keep
// their words.
var nonNameWords = map[string]bool{
	"a": true, "an": true, "and": true, "already": true, "account": true, "at": true,
	"by": true, "can": true, "cannot": true, "chart": true, "could": true, "did": true,
	"does": true, "exists": true, "for": true, "found": true, "from": true, "has": true,
	"had": true, "id": true, "in": true, "is": true, "missing": true, "mrn": true,
	"no": true, "not": true, "of": true, "on": true, "or": true, "patient": true,
	"portal": true, "record": true, "records": true, "the": true, "to": true,
	"was": true, "with": true, "without": true,
}

// findNames appends the spans of the names that nameAfterPatient and
// nameBeforeCue find in s.
func findNames(s string, spans []span) []span {
	if containsFold(s, "patient") {
		spans = findNamesAfterPatient(s, spans)
	}
	if containsFold(s, "mrn") || containsFold(s, "dob") || containsFold(s, "born") || containsFold(s, "birth") {
		spans = findNamesBeforeCue(s, spans)
	}
	return spans
}

func findNamesAfterPatient(s string, spans []span) []span {
	for _, loc := range nameAfterPatient.FindAllStringSubmatchIndex(s, -1) {
		words := nameWord.FindAllStringIndex(s[loc[2]:loc[3]], -1)
		// Keep the words before the first one that is not part of a name.
		n := 0
		for n < len(words) && !nonNameWords[strings.ToLower(s[loc[2]+words[n][0]:loc[2]+words[n][1]])] {
			n++
		}
		if n > 0 {
			spans = append(spans, span{loc[2] + words[0][0], loc[2] + words[n-1][1]})
		}
	}
	return spans
}

func findNamesBeforeCue(s string, spans []span) []span {
	for _, loc := range nameBeforeCue.FindAllStringSubmatchIndex(s, -1) {
		if !atWordStart(s, loc[2]) {
			continue
		}
		words := nameWord.FindAllStringIndex(s[loc[2]:loc[3]], -1)
		// Keep the words after the last one that is not part of a name.
		first := len(words)
		for first > 0 && !nonNameWords[strings.ToLower(s[loc[2]+words[first-1][0]:loc[2]+words[first-1][1]])] {
			first--
		}
		if first < len(words) {
			spans = append(spans, span{loc[2] + words[first][0], loc[2] + words[len(words)-1][1]})
		}
	}
	return spans
}

// atWordStart reports whether s[i] is not preceded by a letter or digit.
func atWordStart(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return i == 0 || !(unicode.IsLetter(r) || unicode.IsDigit(r))
}
