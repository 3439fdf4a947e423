package jsjson_test

import (
	"math"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

func TestStringifyNumbers(t *testing.T) {
	tests := []struct {
		name string
		num  float64
		want string
	}{
		{"zero", 0, "0"},
		{"negative zero", math.Copysign(0, -1), "0"},
		{"integer", 25, "25"},
		{"negative", -1.5, "-1.5"},
		{"shortest digits", 0.1, "0.1"},
		{"seventeen digits", 0.30000000000000004, "0.30000000000000004"},
		{"trailing zeros", 100, "100"},
		{"2^53 plus 2", 9007199254740994, "9007199254740994"},
		{"digits padded with zeros", 123456789012345678901, "123456789012345680000"},
		{"largest plain integer", 1e20, "100000000000000000000"},
		{"exponent from 1e21", 1e21, "1e+21"},
		{"exponent with fraction", 1.5e300, "1.5e+300"},
		{"largest double", math.MaxFloat64, "1.7976931348623157e+308"},
		{"plain fraction", 123.456, "123.456"},
		{"six leading zeros", 0.000001, "0.000001"},
		{"digits after six zeros", 0.0000012345, "0.0000012345"},
		{"exponent from 1e-7", 1e-7, "1e-7"},
		{"negative exponent with fraction", 1.234e-7, "1.234e-7"},
		{"smallest subnormal", 5e-324, "5e-324"},
		{"smallest normal", 2.2250738585072014e-308, "2.2250738585072014e-308"},
		{"negative large", -4.2e25, "-4.2e+25"},
		{"Infinity", math.Inf(1), "null"},
		{"-Infinity", math.Inf(-1), "null"},
		{"NaN", math.NaN(), "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := jsjson.Value{Kind: jsjson.Number, Num: tt.num, Literal: "ignored"}
			if got := string(jsjson.Stringify(v)); got != tt.want {
				t.Errorf("Stringify(%v) = %s, want %s", tt.num, got, tt.want)
			}
		})
	}
}

func TestStringifyStrings(t *testing.T) {
	tests := []struct {
		name string
		str  string
		want string
	}{
		{"empty", "", `""`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"short escapes", "\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"other controls lower-case hex", "\x00\x01\x0b\x1f", `"\u0000\u0001\u000b\u001f"`},
		{"DEL raw", "\x7f", "\"\x7f\""},
		{"slash raw", "a/b", `"a/b"`},
		{"HTML characters raw", "<>&'", `"<>&'"`},
		{"non-ASCII raw", "é€😀", `"é€😀"`},
		{"line and paragraph separators raw", "\u2028\u2029", "\"\u2028\u2029\""},
		{"lone high surrogate", "\xed\xa0\xbd", `"\ud83d"`},
		{"lone low surrogate", "x\xed\xb8\x80y", `"x\ude00y"`},
		{"reversed surrogates", "\xed\xb8\x80\xed\xa0\xbd", `"\ude00\ud83d"`},
		{"WTF-8 surrogate pair", "\xed\xa0\xbd\xed\xb8\x80", `"😀"`},
		{"invalid byte", "a\xffb", "\"a\ufffdb\""},
		{"truncated sequence", "\xe2\x82", "\"\ufffd\ufffd\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := jsjson.Value{Kind: jsjson.String, Str: tt.str}
			if got := string(jsjson.Stringify(v)); got != tt.want {
				t.Errorf("Stringify(%q) = %s, want %s", tt.str, got, tt.want)
			}
		})
	}
}

func TestStringifyValues(t *testing.T) {
	tests := []struct {
		name  string
		value jsjson.Value
		want  string
	}{
		{"null", jsjson.Value{}, "null"},
		{"true", jsjson.Value{Kind: jsjson.Bool, Bool: true}, "true"},
		{"false", jsjson.Value{Kind: jsjson.Bool}, "false"},
		{"unknown kind", jsjson.Value{Kind: 99}, "null"},
		{"empty array", jsjson.Value{Kind: jsjson.Array}, "[]"},
		{"empty object", jsjson.Value{Kind: jsjson.Object}, "{}"},
		{"array", jsjson.Value{Kind: jsjson.Array, Items: []jsjson.Value{
			number(1, "1.0"), {Kind: jsjson.String, Str: "a"}, {Kind: jsjson.Null},
		}}, `[1,"a",null]`},
		{"object in member order", jsjson.Value{Kind: jsjson.Object, Members: []jsjson.Member{
			{Key: "b", Value: number(2, "2")},
			{Key: "a\n", Value: jsjson.Value{Kind: jsjson.Array}},
		}}, `{"b":2,"a\n":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(jsjson.Stringify(tt.value)); got != tt.want {
				t.Errorf("Stringify = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"whitespace removed", "{ \"a\" :\t[ 1 ,\r\n2 ] }", `{"a":[1,2]}`},
		{"array-index keys first", `{"b":1,"2":2,"a":3,"1":4}`, `{"1":4,"2":2,"b":1,"a":3}`},
		{"nested objects reordered", `{"x":{"1":1,"0":0}}`, `{"x":{"0":0,"1":1}}`},
		{"duplicate key", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{"zero fraction", `{"n":1.0}`, `{"n":1}`},
		{"exponent", "[1E3,1e21,1e-7,1e-6]", "[1000,1e+21,1e-7,0.000001]"},
		{"negative zero", "-0.0", "0"},
		{"overflow", "[1e400,-1e400]", "[null,null]"},
		{"above 2^53", "123456789012345678901", "123456789012345680000"},
		{"escaped slash", `"a\/b"`, `"a/b"`},
		{"unicode escapes", `"\u00e9\u2028\u003c"`, "\"é\u2028<\""},
		{"control escape lower-cased", `"\u001F"`, `"\u001f"`},
		{"surrogate pair escape", `"\uD83D\uDE00"`, `"😀"`},
		{"lone surrogate lower-cased", `"\uD83D"`, `"\ud83d"`},
		{"invalid UTF-8", "\"\xe2\x82A\"", "\"\ufffdA\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsjson.Canonical([]byte(tt.input))
			if err != nil {
				t.Fatalf("Canonical(%q): %v", tt.input, err)
			}
			if string(got) != tt.want {
				t.Errorf("Canonical(%q) = %s, want %s", tt.input, got, tt.want)
			}
		})
	}
}

func TestCanonicalRejectsInvalidJSON(t *testing.T) {
	got, err := jsjson.Canonical([]byte(`{"a":1,}`))
	if err == nil {
		t.Fatalf("Canonical = %s, want an error", got)
	}
	if got != nil {
		t.Errorf("Canonical returned %q with an error", got)
	}
}
