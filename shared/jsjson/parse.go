package jsjson

import "errors"

// Parse decodes b with the semantics of JavaScript's JSON.parse applied to
// the body decoded as UTF-8 (invalid bytes become U+FFFD). It returns an
// error for anything JSON.parse would reject.
func Parse(b []byte) (Value, error) {
	return Value{}, errors.New("not implemented")
}
