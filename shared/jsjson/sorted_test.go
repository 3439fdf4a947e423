package jsjson_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

// sortedCopy returns a copy of v with the members of every object sorted by
// key: the reference that StringifySorted must match.
func sortedCopy(v jsjson.Value) jsjson.Value {
	switch v.Kind {
	case jsjson.Array:
		items := make([]jsjson.Value, len(v.Items))
		for i, item := range v.Items {
			items[i] = sortedCopy(item)
		}
		v.Items = items
	case jsjson.Object:
		members := make([]jsjson.Member, len(v.Members))
		for i, m := range v.Members {
			members[i] = jsjson.Member{Key: m.Key, Value: sortedCopy(m.Value)}
		}
		slices.SortFunc(members, func(a, b jsjson.Member) int { return strings.Compare(a.Key, b.Key) })
		v.Members = members
	}
	return v
}

func TestStringifySorted(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"scalar", `  12.50 `, `12.5`},
		{"sorted object", `{"a":1,"b":2}`, `{"a":1,"b":2}`},
		{"reversed object", `{"b":2,"a":1}`, `{"a":1,"b":2}`},
		{"nested objects and arrays", `{"z":[{"y":1,"x":[{"d":0,"c":0}]}],"a":{"n":null,"m":true}}`,
			`{"a":{"m":true,"n":null},"z":[{"x":[{"c":0,"d":0}],"y":1}]}`},
		{"array-index keys sort as text", `{"b":0,"10":1,"9":2,"a":3}`, `{"10":1,"9":2,"a":3,"b":0}`},
		{"duplicate key keeps its last value", `{"b":1,"a":2,"b":3}`, `{"a":2,"b":3}`},
		{"non-ASCII keys in byte order", `{"é":1,"z":2,"É":3}`, `{"z":2,"É":3,"é":1}`},
		{"escapes written as JSON.stringify does", `{"b":"\u00e9\n","a":"\/"}`, `{"a":"/","b":"é\n"}`},
		{"empty containers", `{"b":{},"a":[]}`, `{"a":[],"b":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := jsjson.Parse([]byte(tt.input))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := string(jsjson.StringifySorted(v)); got != tt.want {
				t.Errorf("StringifySorted = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestStringifySortedLargeObject(t *testing.T) {
	var b strings.Builder
	b.WriteByte('{')
	for i := 99; i >= 0; i-- {
		if i < 99 {
			b.WriteByte(',')
		}
		b.WriteString(`"k`)
		b.WriteByte(byte('a' + i%26))
		b.WriteString(strings.Repeat("x", i/26))
		b.WriteString(`":`)
		b.WriteString(`{"z":1,"y":2}`)
	}
	b.WriteByte('}')
	v, err := jsjson.Parse([]byte(b.String()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got := jsjson.StringifySorted(v)
	want := jsjson.Stringify(sortedCopy(v))
	if string(got) != string(want) {
		t.Errorf("StringifySorted of a 100-member object differs from the sorted copy:\ngot  %s\nwant %s", got, want)
	}
}

// TestStringifySortedGenerated compares StringifySorted with Stringify of a
// sorted copy on random documents that use every JSON feature.
func TestStringifySortedGenerated(t *testing.T) {
	g := newGenerator(11)
	reordered := 0
	for i := range 2000 {
		doc := g.document()
		v, err := jsjson.Parse([]byte(doc))
		if err != nil {
			continue
		}
		got := jsjson.StringifySorted(v)
		want := jsjson.Stringify(sortedCopy(v))
		if string(got) != string(want) {
			t.Fatalf("document %d %q:\nStringifySorted %q\nsorted copy     %q", i, doc, got, want)
		}
		if string(got) != string(jsjson.Stringify(v)) {
			reordered++
		}
	}
	// Documents whose key order changes are the ones that test the sorting.
	if reordered < 100 {
		t.Errorf("only %d of 2000 documents had members out of order, want at least 100", reordered)
	}
}

func TestAppendSortedKeepsPrefix(t *testing.T) {
	v, err := jsjson.Parse([]byte(`{"b":[1,{"d":2,"c":3}],"a":"x"}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	prefix := []byte("prefix:")
	got := jsjson.AppendSorted(prefix, v)
	if want := `prefix:{"a":"x","b":[1,{"c":3,"d":2}]}`; string(got) != want {
		t.Errorf("AppendSorted = %s, want %s", got, want)
	}
}
