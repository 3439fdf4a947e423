package jsjson

import "unicode/utf8"

// replacement is U+FFFD REPLACEMENT CHARACTER encoded as UTF-8.
const replacement = "\uFFFD"

// decodeUTF8 returns b as a string in which every maximal subpart of an
// ill-formed UTF-8 sequence is replaced by U+FFFD. This is the WHATWG
// Encoding Standard's UTF-8 decoder, which Node.js uses for
// Buffer.toString("utf8"): the truncated sequence E2 82 becomes one U+FFFD,
// while an encoded surrogate such as ED A0 80 becomes three. replaced
// reports whether b had an ill-formed sequence.
func decodeUTF8(b []byte) (s string, replaced bool) {
	if utf8.Valid(b) {
		return string(b), false
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			out = append(out, b[i:i+size]...)
			i += size
			continue
		}
		out = append(out, replacement...)
		i += invalidPrefixLen(b[i:])
	}
	return string(out), true
}

// invalidPrefixLen returns the length of the maximal subpart at the start of
// b, which must not begin with a well-formed sequence: the lead byte plus the
// continuation bytes that could still have completed it, at least 1.
func invalidPrefixLen(b []byte) int {
	need, lo, hi := sequenceShape(b[0])
	if need == 0 {
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}

// sequenceShape returns how many continuation bytes the lead byte c needs
// and the range allowed for the first of them, which excludes overlong
// forms, surrogates and code points above U+10FFFF. need is 0 when c cannot
// start a sequence.
func sequenceShape(c byte) (need int, lo, hi byte) {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 1, 0x80, 0xBF
	case c == 0xE0:
		return 2, 0xA0, 0xBF
	case c == 0xED:
		return 2, 0x80, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		return 2, 0x80, 0xBF
	case c == 0xF0:
		return 3, 0x90, 0xBF
	case c >= 0xF1 && c <= 0xF3:
		return 3, 0x80, 0xBF
	case c == 0xF4:
		return 3, 0x80, 0x8F
	}
	return 0, 0, 0
}
