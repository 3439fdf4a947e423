package alert

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// cutBytes returns s cut to at most n bytes at a rune boundary, and whether
// anything was cut. For invalid UTF-8 it cuts after any byte that does not
// continue a rune.
func cutBytes(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	if n <= 0 {
		return "", true
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}

// cleanText returns s as valid UTF-8 with at most n bytes, with CR LF and CR
// turned into LF, and every control character other than LF and tab, U+2028,
// U+2029 and the noncharacters U+FFFE and U+FFFF replaced by a space. It
// reports whether s was cut.
func cleanText(s string, n int) (string, bool) {
	return clean(s, n, true)
}

// cleanLine is cleanText with line breaks and tabs also turned into spaces,
// for values that must stay on one line.
func cleanLine(s string, n int) (string, bool) {
	return clean(s, n, false)
}

func clean(s string, n int, keepLines bool) (string, bool) {
	// Cleaning never makes a string longer than its input, except that each
	// invalid byte becomes a 3-byte U+FFFD, so 4n input bytes are always
	// enough to fill n output bytes.
	s, cut := cutBytes(s, 4*n+4)
	var b strings.Builder
	b.Grow(min(len(s), n+4))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\r' {
			if strings.HasPrefix(s[i+1:], "\n") {
				size++
			}
			r = '\n'
		}
		i += size
		switch {
		case keepLines && (r == '\n' || r == '\t'):
		case isControl(r):
			r = ' '
		}
		if b.Len()+utf8.RuneLen(r) > n {
			return b.String(), true
		}
		b.WriteRune(r)
	}
	return b.String(), cut
}

// isControl reports whether r must not appear in text sent to SNS or shown
// in an e-mail: C0 and C1 controls, DEL, the line and paragraph separators
// and the noncharacters U+FFFE and U+FFFF.
func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\uFFFE' || r == '\uFFFF'
}

// asciiPart returns s as printable ASCII for a subject: each whitespace or
// control run becomes one space, each other non-ASCII rune becomes '?', and
// the result is trimmed and cut to at most n bytes, ending in "..." when cut.
func asciiPart(s string, n int) string {
	s, _ = cutBytes(s, 4*n+16)
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == ' ' || unicode.IsSpace(r) || isControl(r):
			space = true
			continue
		case r > '~':
			r = '?'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return cutASCII(b.String(), n)
}

// cutASCII cuts an ASCII string to at most n bytes, replacing its end with
// "..." when it cuts.
func cutASCII(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 3 {
		return s[:max(n, 0)]
	}
	return strings.TrimRight(s[:n-3], " ") + "..."
}
