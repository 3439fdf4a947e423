package jsjson

// UTF-16 surrogates and their WTF-8 form: the 3-byte sequence ED A0 80 to
// ED BF BF that UTF-8 forbids, used here for lone surrogates only.

func isSurrogate(r rune) bool     { return r >= 0xD800 && r <= 0xDFFF }
func isHighSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDBFF }
func isLowSurrogate(r rune) bool  { return r >= 0xDC00 && r <= 0xDFFF }

func combineSurrogates(high, low rune) rune {
	return 0x10000 + (high-0xD800)<<10 + (low - 0xDC00)
}

// appendWTF8Surrogate appends the 3-byte generalized UTF-8 form of the
// surrogate unit, which utf8.AppendRune would replace by U+FFFD.
func appendWTF8Surrogate(buf []byte, unit rune) []byte {
	return append(buf,
		byte(0xE0|unit>>12),
		byte(0x80|(unit>>6)&0x3F),
		byte(0x80|unit&0x3F))
}

// wtf8SurrogateAt returns the surrogate unit encoded in WTF-8 at s[i:i+3].
func wtf8SurrogateAt(s string, i int) (rune, bool) {
	if i+3 > len(s) || s[i] != 0xED || s[i+1] < 0xA0 || s[i+1] > 0xBF ||
		s[i+2] < 0x80 || s[i+2] > 0xBF {
		return 0, false
	}
	return 0xD000 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), true
}
