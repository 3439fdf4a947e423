package jsjson

import (
	"cmp"
	"slices"
)

// indexThreshold is the member count above which an object being parsed
// looks keys up in a map rather than by scanning.
const indexThreshold = 16

// openObject is an object being parsed. Its members so far are
// p.members[start:], where a repeated key keeps the position of its first
// occurrence and takes the value of its last, as in JSON.parse.
type openObject struct {
	start int
	index map[string]int // offsets from start, once the object is large
}

// setMember adds key and v to the open object o, or replaces the value of
// an earlier member with the same key.
func (p *parser) setMember(o *openObject, key string, v Value) {
	members := p.members[o.start:]
	if i, ok := o.find(members, key); ok {
		members[i].Value = v
		p.altered = true
		return
	}
	p.members = append(p.members, Member{Key: key, Value: v})
	members = p.members[o.start:]
	switch {
	case o.index != nil:
		o.index[key] = len(members) - 1
	case len(members) > indexThreshold:
		o.index = make(map[string]int, 2*len(members))
		for i, m := range members {
			o.index[m.Key] = i
		}
	}
}

func (o *openObject) find(members []Member, key string) (int, bool) {
	if o.index != nil {
		i, ok := o.index[key]
		return i, ok
	}
	for i := range members {
		if members[i].Key == key {
			return i, true
		}
	}
	return 0, false
}

// closeObject removes the open object's members from the scratch stack and
// returns them in a new slice, in JavaScript's enumeration order.
func (p *parser) closeObject(o *openObject) []Member {
	parsed := p.members[o.start:]
	members := enumerationOrder(parsed)
	for i := 0; i < len(members) && !p.altered; i++ {
		p.altered = members[i].Key != parsed[i].Key
	}
	clear(p.members[o.start:])
	p.members = p.members[:o.start]
	return members
}

// enumerationOrder returns a copy of members in JavaScript's property
// enumeration order (ECMAScript OrdinaryOwnPropertyKeys): array-index keys
// in ascending numeric order, then the other keys in insertion order.
func enumerationOrder(members []Member) []Member {
	out := make([]Member, 0, len(members))
	for _, m := range members {
		if isArrayIndex(m.Key) {
			out = append(out, m)
		}
	}
	indices := len(out)
	if indices == 0 {
		return append(out, members...)
	}
	slices.SortFunc(out, func(a, b Member) int {
		x, _ := arrayIndex(a.Key)
		y, _ := arrayIndex(b.Key)
		return cmp.Compare(x, y)
	})
	for _, m := range members {
		if !isArrayIndex(m.Key) {
			out = append(out, m)
		}
	}
	return out
}

// maxArrayIndex is 2^32-2, the largest array index in ECMAScript.
const maxArrayIndex = 1<<32 - 2

func isArrayIndex(key string) bool {
	_, ok := arrayIndex(key)
	return ok
}

// arrayIndex reports whether key is an array index: the canonical decimal
// form of an integer from 0 to 2^32-2, without sign or leading zeros.
func arrayIndex(key string) (uint32, bool) {
	if key == "" || len(key) > 10 || (key[0] == '0' && len(key) > 1) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(key); i++ {
		if !isDigit(key[i]) {
			return 0, false
		}
		n = n*10 + uint64(key[i]-'0')
	}
	if n > maxArrayIndex {
		return 0, false
	}
	return uint32(n), true
}
