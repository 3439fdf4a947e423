// Package jsjson parses JSON with the semantics of JavaScript's JSON.parse and
// serializes it exactly as JSON.stringify does, so that a signature computed
// by a Node.js sender over JSON.stringify(parsedBody) can be recomputed here.
package jsjson

import "strconv"

// Kind is the JSON type of a Value.
type Kind int

// The JSON types.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

// String returns the JSON name of the type, such as "object".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Value is one parsed JSON value. Object members are kept in the order in
// which JavaScript enumerates them. Array-index keys (canonical decimal
// integers from 0 to 2^32-2) come first in ascending numeric order, then the
// other keys in order of first appearance. A duplicate key keeps its first
// position and its last value.
type Value struct {
	Kind Kind
	// Bool is set for Kind Bool.
	Bool bool
	// Num is the IEEE 754 double JavaScript would hold for Kind Number
	// (±Inf for literals out of range, which stringify as null).
	Num float64
	// Literal is the number exactly as written in the input, for Kind Number.
	Literal string
	// Str is the decoded string for Kind String. Lone UTF-16 surrogates from
	// \uD800-style escapes are kept as their 3-byte WTF-8 encoding so that
	// Stringify can escape them again; Str is otherwise valid UTF-8.
	Str string
	// Items are the elements for Kind Array.
	Items []Value
	// Members are the members for Kind Object, in enumeration order.
	Members []Member
}

// Member is one key and value of a JSON object.
type Member struct {
	Key   string
	Value Value
}

// Get returns the value of key in an object and whether it is present.
func (v Value) Get(key string) (Value, bool) {
	for _, m := range v.Members {
		if m.Key == key {
			return m.Value, true
		}
	}
	return Value{}, false
}
