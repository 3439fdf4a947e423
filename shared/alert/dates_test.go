package alert

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// wholeTextDatePattern is every date form in one pattern, run over whole
// texts: the plain way that findDates's windows must agree with.
var wholeTextDatePattern = regexp.MustCompile(`(?i)` + numericDatePattern.String() + `|` +
	strings.TrimPrefix(monthDatePattern.String(), `(?i)`))

// TestFindDatesCoversWholeTextMatches checks, on random texts built from
// date-like pieces, that every date the whole-text pattern finds is masked
// by findDates too.
func TestFindDatesCoversWholeTextMatches(t *testing.T) {
	pieces := []string{"1", "12", "2026", "05", "-", "/", ".", " ", "  ", "Jan", "march", "Sept.", "st", "th",
		",", "born ", "x", "Marcus", "2026-05-07", "7 May 2026", "Dec 25, 2025", "T10:30", "\u00e9", "9"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := b.String()
		masked := mergeSpans(findDates(text, nil))
		for _, loc := range wholeTextDatePattern.FindAllStringIndex(text, -1) {
			if !outsideDigits(text, loc[0], loc[1]) || timeAfterDate.MatchString(text[loc[1]:]) {
				continue
			}
			if !covered(masked, loc[0], loc[1]) {
				t.Fatalf("date %q at %d in %q not masked; spans %v", text[loc[0]:loc[1]], loc[0], text, masked)
			}
		}
	}
}

func covered(spans []span, start, end int) bool {
	for _, sp := range spans {
		if sp.start <= start && end <= sp.end {
			return true
		}
	}
	return false
}
