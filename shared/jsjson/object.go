package jsjson

import (
	"cmp"
	"slices"
)

// indexThreshold is the member count above which memberSet looks keys up
// in a map rather than by scanning.
const indexThreshold = 16

// memberSet collects the members of one object as JSON.parse defines them:
// a repeated key keeps the position of its first occurrence and takes the
// value of its last.
type memberSet struct {
	members []Member
	index   map[string]int
}

func (m *memberSet) set(key string, v Value) {
	if i, ok := m.find(key); ok {
		m.members[i].Value = v
		return
	}
	m.members = append(m.members, Member{Key: key, Value: v})
	switch {
	case m.index != nil:
		m.index[key] = len(m.members) - 1
	case len(m.members) > indexThreshold:
		m.index = make(map[string]int, 2*len(m.members))
		for i, mem := range m.members {
			m.index[mem.Key] = i
		}
	}
}

func (m *memberSet) find(key string) (int, bool) {
	if m.index != nil {
		i, ok := m.index[key]
		return i, ok
	}
	for i := range m.members {
		if m.members[i].Key == key {
			return i, true
		}
	}
	return 0, false
}

// ordered returns the members in JavaScript's property enumeration order:
// array-index keys in ascending numeric order, then the other keys in
// insertion order.
func (m *memberSet) ordered() []Member {
	if !slices.ContainsFunc(m.members, hasIndexKey) {
		return m.members
	}
	type indexed struct {
		n      uint32
		member Member
	}
	var indices []indexed
	var others []Member
	for _, mem := range m.members {
		if n, ok := arrayIndex(mem.Key); ok {
			indices = append(indices, indexed{n, mem})
		} else {
			others = append(others, mem)
		}
	}
	slices.SortFunc(indices, func(a, b indexed) int { return cmp.Compare(a.n, b.n) })

	out := make([]Member, 0, len(m.members))
	for _, ix := range indices {
		out = append(out, ix.member)
	}
	return append(out, others...)
}

func hasIndexKey(m Member) bool {
	_, ok := arrayIndex(m.Key)
	return ok
}

// maxArrayIndex is 2^32-2, the largest array index in ECMAScript.
const maxArrayIndex = 1<<32 - 2

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
