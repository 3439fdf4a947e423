package jsjson

import (
	"slices"
	"strings"
)

// StringifySorted serializes v as Stringify does, except that the members of
// every object are written sorted by key, comparing the keys' bytes as
// strings.Compare does. Parse leaves no duplicate key, so the order is
// total. Neither whitespace nor member order changes the output, which makes
// it a content form for hashing. It copies no member.
func StringifySorted(v Value) []byte {
	return AppendSorted(make([]byte, 0, 64), v)
}

// AppendSorted appends StringifySorted(v) to dst and returns the extended
// buffer. A dst with room for the output, such as the length of the body v
// was parsed from, saves growing the buffer as the output is written.
func AppendSorted(dst []byte, v Value) []byte {
	switch v.Kind {
	case Array:
		dst = append(dst, '[')
		for i, item := range v.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendSorted(dst, item)
		}
		return append(dst, ']')
	case Object:
		return appendSortedObject(dst, v.Members)
	}
	return appendValue(dst, v)
}

// smallObject is the member count up to which appendSortedObject keeps its
// order on the stack.
const smallObject = 32

// appendSortedObject writes members in key order. It sorts a list of member
// indices rather than the members, and skips the sort when the members
// already are in order.
func appendSortedObject(dst []byte, members []Member) []byte {
	var stack [smallObject]int
	order := stack[:0]
	if len(members) > smallObject {
		order = make([]int, 0, len(members))
	}
	for i := range members {
		order = append(order, i)
	}
	sorted := slices.IsSortedFunc(members, func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
	if !sorted {
		slices.SortFunc(order, func(i, j int) int { return strings.Compare(members[i].Key, members[j].Key) })
	}

	dst = append(dst, '{')
	for n, i := range order {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, members[i].Key)
		dst = append(dst, ':')
		dst = AppendSorted(dst, members[i].Value)
	}
	return append(dst, '}')
}
