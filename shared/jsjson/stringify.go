package jsjson

import "unicode/utf8"

// Stringify serializes v exactly as JavaScript's JSON.stringify would, with
// no whitespace. Members are written in the order of v.Members, which Parse
// has already put in JavaScript's enumeration order. Numbers are written from
// Num (Literal is ignored), with NaN and ±Inf as null. A Kind outside the
// declared constants is written as null. In strings, a lone surrogate in
// WTF-8 is escaped as \udxxx, a WTF-8 surrogate pair is written as the code
// point it encodes, and any other invalid UTF-8 byte is written as U+FFFD.
func Stringify(v Value) []byte {
	return appendValue(make([]byte, 0, 64), v)
}

// Append appends Stringify(v) to dst and returns the extended slice.
func Append(dst []byte, v Value) []byte {
	return appendValue(dst, v)
}

// Canonical returns Stringify(Parse(b)): the bytes JavaScript's
// JSON.stringify(JSON.parse(text)) produces for the UTF-8 text b.
func Canonical(b []byte) ([]byte, error) {
	v, err := Parse(b)
	if err != nil {
		return nil, err
	}
	// The canonical form is rarely longer than the input.
	return appendValue(make([]byte, 0, len(b)), v), nil
}

func appendValue(dst []byte, v Value) []byte {
	switch v.Kind {
	case Bool:
		if v.Bool {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return appendNumber(dst, v.Num)
	case String:
		return appendString(dst, v.Str)
	case Array:
		return appendArray(dst, v.Items)
	case Object:
		return appendObject(dst, v.Members)
	}
	return append(dst, "null"...)
}

func appendArray(dst []byte, items []Value) []byte {
	dst = append(dst, '[')
	for i, item := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendValue(dst, item)
	}
	return append(dst, ']')
}

func appendObject(dst []byte, members []Member) []byte {
	dst = append(dst, '{')
	for i, m := range members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, m.Key)
		dst = append(dst, ':')
		dst = appendValue(dst, m.Value)
	}
	return append(dst, '}')
}

// appendString writes s as a JSON string the way JSON.stringify quotes it
// (ECMAScript QuoteJSONString): only '"', '\\', control characters and lone
// surrogates are escaped, everything else is written raw.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			if size, ok := validRuneLen(s, i); ok {
				i += size
				continue
			}
		}
		dst = append(dst, s[start:i]...)
		var size int
		dst, size = appendSpecial(dst, s, i)
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// validRuneLen returns the length of the well-formed UTF-8 sequence at s[i].
func validRuneLen(s string, i int) (int, bool) {
	r, size := utf8.DecodeRuneInString(s[i:])
	return size, r != utf8.RuneError || size > 1
}

// appendSpecial writes the character at s[i] that cannot be copied as it is
// and returns how many bytes of s it consumed.
func appendSpecial(dst []byte, s string, i int) ([]byte, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return appendASCIIEscape(dst, c), 1
	}
	unit, ok := wtf8SurrogateAt(s, i)
	if !ok {
		return append(dst, replacement...), 1
	}
	if low, ok := wtf8SurrogateAt(s, i+3); ok && isHighSurrogate(unit) && isLowSurrogate(low) {
		return utf8.AppendRune(dst, combineSurrogates(unit, low)), 6
	}
	return appendUnicodeEscape(dst, unit), 3
}

func appendASCIIEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return appendUnicodeEscape(dst, rune(c))
}

// appendUnicodeEscape writes \uxxxx with lower-case hexadecimal digits.
func appendUnicodeEscape(dst []byte, unit rune) []byte {
	const hexDigits = "0123456789abcdef"
	return append(dst, '\\', 'u',
		hexDigits[unit>>12&0xF], hexDigits[unit>>8&0xF],
		hexDigits[unit>>4&0xF], hexDigits[unit&0xF])
}
