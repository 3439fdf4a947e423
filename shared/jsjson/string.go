package jsjson

import "unicode/utf8"

// str parses a string literal starting at its opening quote. A literal
// without escapes is returned as a substring of the input, without copying.
func (p *parser) str() (string, error) {
	p.pos++
	start := p.pos
	for p.pos < len(p.s) && !endsRun(p.s[p.pos]) {
		p.pos++
	}
	switch {
	case p.pos >= len(p.s):
		return "", p.fail("unterminated string")
	case p.s[p.pos] == '"':
		p.pos++
		return p.s[start : p.pos-1], nil
	case p.s[p.pos] == '\\':
		return p.escapedStr(start)
	}
	return "", p.fail("unescaped control character in string")
}

// escapedStr finishes a string literal that began at start and has an
// escape at p.pos, building the decoded text in a new buffer.
func (p *parser) escapedStr(start int) (string, error) {
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, p.s[start:p.pos]...)
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c == '\\':
			var err error
			if buf, err = p.escape(buf); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", p.fail("unescaped control character in string")
		default:
			run := p.pos
			for p.pos < len(p.s) && !endsRun(p.s[p.pos]) {
				p.pos++
			}
			buf = append(buf, p.s[run:p.pos]...)
		}
	}
	return "", p.fail("unterminated string")
}

// endsRun reports whether c ends a run of string bytes copied unchanged.
func endsRun(c byte) bool {
	return c == '"' || c == '\\' || c < 0x20
}

// escape decodes the escape sequence at p.pos, which starts with a
// backslash, and appends its text to buf.
func (p *parser) escape(buf []byte) ([]byte, error) {
	if p.pos+1 >= len(p.s) {
		p.pos++
		return nil, p.fail("unterminated string")
	}
	c := p.s[p.pos+1]
	if c == 'u' {
		// Stringify writes \u escapes only for some control characters and
		// lone surrogates, so every \u escape counts as a change. That can
		// miss a canonical text but never claims a text that is not.
		p.altered = true
		return p.unicodeEscape(buf)
	}
	b, ok := simpleEscapes[c]
	if !ok {
		p.pos++
		return nil, p.fail("invalid escape in string")
	}
	// Stringify writes every simple escape back as it is, except \/.
	if c == '/' {
		p.altered = true
	}
	p.pos += 2
	return append(buf, b), nil
}

// simpleEscapes maps the byte after a backslash to the byte it stands for.
var simpleEscapes = map[byte]byte{
	'"': '"', '\\': '\\', '/': '/',
	'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
}

// unicodeEscape decodes \uXXXX at p.pos. A high surrogate directly followed
// by an escaped low surrogate becomes one code point. Any other surrogate
// stays a lone UTF-16 unit, as in JavaScript, and is appended in WTF-8.
func (p *parser) unicodeEscape(buf []byte) ([]byte, error) {
	unit, ok := hex4(p.s, p.pos+2)
	if !ok {
		p.pos += 2
		return nil, p.fail("invalid \\u escape in string")
	}
	p.pos += 6
	if isHighSurrogate(unit) {
		if low, ok := p.lowSurrogateEscape(); ok {
			p.pos += 6
			return utf8.AppendRune(buf, combineSurrogates(unit, low)), nil
		}
	}
	if isSurrogate(unit) {
		return appendWTF8Surrogate(buf, unit), nil
	}
	return utf8.AppendRune(buf, unit), nil
}

// lowSurrogateEscape reports the low surrogate escaped at p.pos, if any.
func (p *parser) lowSurrogateEscape() (rune, bool) {
	if p.pos+1 >= len(p.s) || p.s[p.pos] != '\\' || p.s[p.pos+1] != 'u' {
		return 0, false
	}
	unit, ok := hex4(p.s, p.pos+2)
	return unit, ok && isLowSurrogate(unit)
}

// hex4 decodes the four hexadecimal digits at s[i:i+4].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | d
	}
	return r, true
}

func hexDigit(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}
