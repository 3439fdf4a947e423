package alert

import (
	"strconv"
	"unicode/utf8"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Unlike encoding/json it
// leaves '<', '>' and '&' as they are, so e-mail text and documents stay
// readable. It escapes control characters, U+2028 and U+2029, and writes
// invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendJSONStrings appends values as a JSON array of strings.
func appendJSONStrings(b []byte, values []string) []byte {
	b = append(b, '[')
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// compactJSON returns v as compact JSON text, stopping once the text
// reaches limit bytes, and whether it stopped early. It is used for data
// values such as an error object, which appear in alerts as text.
func compactJSON(v jsjson.Value, limit int) (string, bool) {
	w := &limitedJSON{limit: limit}
	w.value(v)
	return string(w.b), w.full
}

type limitedJSON struct {
	b     []byte
	limit int
	full  bool
}

func (w *limitedJSON) value(v jsjson.Value) {
	// Each nesting level writes at least one byte before descending, so the
	// limit also bounds the recursion depth.
	if len(w.b) >= w.limit {
		w.full = true
		return
	}
	switch v.Kind {
	case jsjson.Null:
		w.b = append(w.b, "null"...)
	case jsjson.Bool, jsjson.Number:
		w.b = append(w.b, scalarText(v)...)
	case jsjson.String:
		w.b = appendJSONString(w.b, v.Str)
	case jsjson.Array:
		w.b = append(w.b, '[')
		for i, item := range v.Items {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			if w.value(item); w.full {
				return
			}
		}
		w.b = append(w.b, ']')
	case jsjson.Object:
		w.b = append(w.b, '{')
		for i, m := range v.Members {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendJSONString(w.b, m.Key)
			w.b = append(w.b, ':')
			if w.value(m.Value); w.full {
				return
			}
		}
		w.b = append(w.b, '}')
	}
}

// formatNumber formats a number that has no literal text, as for a Value
// built in code rather than parsed.
func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}
