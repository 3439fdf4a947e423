package jsjson

// Stringify serializes v exactly as JavaScript's JSON.stringify would.
func Stringify(v Value) []byte { return nil }

// Canonical returns Stringify(Parse(b)).
func Canonical(b []byte) ([]byte, error) {
	v, err := Parse(b)
	if err != nil {
		return nil, err
	}
	return Stringify(v), nil
}
