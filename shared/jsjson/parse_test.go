package jsjson_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/jsjson"
)

func TestParseRejectsInvalidJSON(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{"empty input", ""},
		{"only whitespace", " \t\r\n"},
		{"byte order mark", "\ufeff{}"},
		{"no-break space", "\u00a01"},
		{"vertical tab", "\v1"},
		{"form feed", "\f1"},
		{"trailing comma in array", "[1,]"},
		{"trailing comma in object", `{"a":1,}`},
		{"leading comma", "[,1]"},
		{"missing comma", "[1 2]"},
		{"missing colon", `{"a" 1}`},
		{"missing value", `{"a":}`},
		{"unquoted key", "{a:1}"},
		{"single quotes", "'a'"},
		{"line comment", "// c\n1"},
		{"block comment", "/* c */1"},
		{"unclosed array", "[1"},
		{"unclosed object", `{"a":1`},
		{"two top-level values", "1 2"},
		{"garbage after value", "[1]x"},
		{"NaN", "NaN"},
		{"Infinity", "Infinity"},
		{"upper-case literal", "True"},
		{"truncated literal", "nul"},
		{"leading zero", "01"},
		{"negative leading zero", "-01"},
		{"plus sign", "+1"},
		{"bare minus", "-"},
		{"trailing point", "1."},
		{"leading point", ".5"},
		{"empty exponent", "1e"},
		{"signed empty exponent", "1e+"},
		{"hexadecimal", "0x10"},
		{"digit separator", "1_000"},
		{"unterminated string", `"abc`},
		{"backslash at end", `"\`},
		{"raw tab in string", "\"\t\""},
		{"raw newline in string", "\"\n\""},
		{"raw NUL in string", "\"\x00\""},
		{"unknown escape", `"\a"`},
		{"escaped single quote", `"\'"`},
		{"hex escape", `"\x41"`},
		{"short unicode escape", `"\u12"`},
		{"non-hex unicode escape", `"\u12G4"`},
		{"upper-case U escape", `"\U0041"`},
		{"invalid UTF-8 outside string", "[\xff]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := jsjson.Parse([]byte(tt.input))
			var syntaxErr *jsjson.SyntaxError
			if !errors.As(err, &syntaxErr) {
				t.Fatalf("Parse(%q) = %+v, %v; want a *SyntaxError", tt.input, v, err)
			}
		})
	}
}

func TestParseSyntaxErrorOffset(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		offset int
	}{
		{"trailing comma", "[1,]", 3},
		{"garbage after value", `{"a":1} x`, 8},
		{"end of input", `{"a":`, 5},
		{"control character", "[\"ab\x01\"]", 4},
		{"offset after replaced byte", "\"\xff\x01\"", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jsjson.Parse([]byte(tt.input))
			var syntaxErr *jsjson.SyntaxError
			if !errors.As(err, &syntaxErr) {
				t.Fatalf("Parse(%q) error = %v, want a *SyntaxError", tt.input, err)
			}
			if syntaxErr.Offset != tt.offset {
				t.Errorf("Offset = %d, want %d (%v)", syntaxErr.Offset, tt.offset, err)
			}
		})
	}
}

func TestSyntaxErrorOmitsInput(t *testing.T) {
	input := `{"mrn":"MRN-483920","name":"Jane Roe" "dob":"1980-01-02"}`
	_, err := jsjson.Parse([]byte(input))
	if err == nil {
		t.Fatal("Parse succeeded on a missing comma")
	}
	for _, secret := range []string{"MRN-483920", "Jane", "1980"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q quotes the input value %q", err, secret)
		}
	}
}

func TestParseScalars(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  jsjson.Value
	}{
		{"null", "null", jsjson.Value{Kind: jsjson.Null}},
		{"true", "true", jsjson.Value{Kind: jsjson.Bool, Bool: true}},
		{"false", " false ", jsjson.Value{Kind: jsjson.Bool}},
		{"JSON whitespace around value", "\t\r\n 1\t\r\n ", number(1, "1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.input)
			if got.Kind != tt.want.Kind || got.Bool != tt.want.Bool || got.Num != tt.want.Num {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.input, got, tt.want)
			}
		})
	}
}

func TestParseNumbers(t *testing.T) {
	tests := []struct {
		name    string
		literal string
		want    float64
	}{
		{"integer", "25", 25},
		{"integer with zero fraction", "1.0", 1},
		{"negative zero", "-0", math.Copysign(0, -1)},
		{"upper-case exponent", "1E5", 1e5},
		{"exponent with plus and zeros", "1e+05", 1e5},
		{"negative exponent", "-1.5e-7", -1.5e-7},
		{"above 2^53 rounds to even", "9007199254740993", 9007199254740992},
		{"long literal rounds", "123456789012345678901", 123456789012345678901},
		{"largest double", "1.7976931348623157e308", math.MaxFloat64},
		{"rounds down to largest double", "1.7976931348623158e308", math.MaxFloat64},
		{"overflow is Infinity", "1e400", math.Inf(1)},
		{"negative overflow is -Infinity", "-1e400", math.Inf(-1)},
		{"smallest subnormal", "5e-324", 5e-324},
		{"underflow is zero", "1e-400", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.literal)
			if got.Kind != jsjson.Number {
				t.Fatalf("Kind = %v, want Number", got.Kind)
			}
			if got.Num != tt.want || math.Signbit(got.Num) != math.Signbit(tt.want) {
				t.Errorf("Num = %v, want %v", got.Num, tt.want)
			}
			if got.Literal != tt.literal {
				t.Errorf("Literal = %q, want %q", got.Literal, tt.literal)
			}
		})
	}
}

func TestParseStrings(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"plain", `"abc"`, "abc"},
		{"simple escapes", `"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t"},
		{"unicode escape lower-case hex", `"\u00e9"`, "é"},
		{"unicode escape upper-case hex", `"\u00E9"`, "é"},
		{"escaped NUL", `"\u0000"`, "\x00"},
		{"escaped surrogate pair", `"\ud83d\ude00"`, "😀"},
		{"upper-case surrogate pair", `"\uD83D\uDE00"`, "😀"},
		{"lone high surrogate", `"\ud83d"`, "\xed\xa0\xbd"},
		{"lone low surrogate", `"\ude00"`, "\xed\xb8\x80"},
		{"high surrogate before text", `"\ud83dx"`, "\xed\xa0\xbdx"},
		{"two high surrogates then low", `"\ud83d\ud83d\ude00"`, "\xed\xa0\xbd😀"},
		{"low before high", `"\ude00\ud83d"`, "\xed\xb8\x80\xed\xa0\xbd"},
		{"raw non-ASCII", `"é€😀"`, "é€😀"},
		{"raw line separator", "\"\u2028\"", "\u2028"},
		{"raw DEL", "\"\x7f\"", "\x7f"},
		{"byte order mark inside string", "\"\ufeff\"", "\ufeff"},
		{"invalid byte", "\"\xff\"", "\ufffd"},
		{"truncated sequence is one U+FFFD", "\"\xe2\x82A\"", "\ufffdA"},
		{"truncated sequence at end", "\"\xf0\x9f\x98\"", "\ufffd"},
		{"encoded surrogate is three U+FFFD", "\"\xed\xa0\x80\"", "\ufffd\ufffd\ufffd"},
		{"overlong is two U+FFFD", "\"\xc0\xaf\"", "\ufffd\ufffd"},
		{"above U+10FFFF", "\"\xf4\x90\x80\x80\"", "\ufffd\ufffd\ufffd\ufffd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.input)
			if got.Kind != jsjson.String {
				t.Fatalf("Kind = %v, want String", got.Kind)
			}
			if got.Str != tt.want {
				t.Errorf("Str = %q, want %q", got.Str, tt.want)
			}
		})
	}
}

func TestParseObjectKeyOrder(t *testing.T) {
	tests := []struct {
		name  string
		input string
		keys  []string
	}{
		{"insertion order", `{"b":1,"a":2,"c":3}`, []string{"b", "a", "c"}},
		{"array indices first ascending", `{"b":1,"10":2,"a":3,"2":4,"0":5}`,
			[]string{"0", "2", "10", "b", "a"}},
		{"largest array index", `{"x":1,"4294967295":2,"4294967294":3}`,
			[]string{"4294967294", "x", "4294967295"}},
		{"non-canonical numbers are names", `{"01":1,"-1":2,"1.0":3,"+1":4," 1":5,"1e0":6,"1":7}`,
			[]string{"1", "01", "-1", "1.0", "+1", " 1", "1e0"}},
		{"escaped index key", `{"a":1,"\u0031":2}`, []string{"1", "a"}},
		{"duplicate keeps first position", `{"a":1,"b":2,"a":3}`, []string{"a", "b"}},
		{"empty key", `{"":1,"a":2}`, []string{"", "a"}},
		{"proto key is a member", `{"__proto__":1,"a":2}`, []string{"__proto__", "a"}},
		{"many members with duplicates", manyMembers(40), manyMemberKeys(40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.input)
			if keys := memberKeys(got); !slices.Equal(keys, tt.keys) {
				t.Errorf("keys = %q, want %q", keys, tt.keys)
			}
		})
	}
}

func TestParseDuplicateKeyTakesLastValue(t *testing.T) {
	v := mustParse(t, `{"a":1,"b":2,"a":{"c":3},"b":false}`)
	a, ok := v.Get("a")
	if !ok || a.Kind != jsjson.Object {
		t.Fatalf(`Get("a") = %+v, %v; want the object`, a, ok)
	}
	b, ok := v.Get("b")
	if !ok || b.Kind != jsjson.Bool || b.Bool {
		t.Errorf(`Get("b") = %+v, %v; want false`, b, ok)
	}
	if len(v.Members) != 2 {
		t.Errorf("len(Members) = %d, want 2", len(v.Members))
	}
}

func TestParseDuplicateKeyInLargeObject(t *testing.T) {
	v := mustParse(t, manyMembers(40))
	for _, m := range v.Members {
		if m.Value.Num != 1 {
			t.Errorf("member %q = %v, want the last value 1", m.Key, m.Value.Num)
		}
	}
}

func TestParseArray(t *testing.T) {
	v := mustParse(t, `[ 1 , "a" , [ ] , { } , null ]`)
	kinds := make([]jsjson.Kind, 0, len(v.Items))
	for _, item := range v.Items {
		kinds = append(kinds, item.Kind)
	}
	want := []jsjson.Kind{jsjson.Number, jsjson.String, jsjson.Array, jsjson.Object, jsjson.Null}
	if !slices.Equal(kinds, want) {
		t.Errorf("item kinds = %v, want %v", kinds, want)
	}
}

func TestParseDepthLimit(t *testing.T) {
	if _, err := jsjson.Parse(nested(jsjson.MaxDepth, "[", "]")); err != nil {
		t.Errorf("Parse at MaxDepth: %v", err)
	}
	if _, err := jsjson.Parse(nested(jsjson.MaxDepth, `{"a":`, "}")); err != nil {
		t.Errorf("Parse of objects at MaxDepth: %v", err)
	}
	if _, err := jsjson.Parse(nested(jsjson.MaxDepth+1, "[", "]")); err == nil {
		t.Error("Parse accepted nesting beyond MaxDepth")
	}
	deep := []byte(strings.Repeat("[", 1<<20))
	if _, err := jsjson.Parse(deep); err == nil {
		t.Error("Parse accepted a million unclosed arrays")
	}
}

func TestGet(t *testing.T) {
	v := mustParse(t, `{"id":"evt_1","data":{}}`)
	if got, ok := v.Get("id"); !ok || got.Str != "evt_1" {
		t.Errorf(`Get("id") = %+v, %v; want "evt_1"`, got, ok)
	}
	if _, ok := v.Get("missing"); ok {
		t.Error(`Get("missing") reported a member`)
	}
}

func mustParse(t *testing.T, input string) jsjson.Value {
	t.Helper()
	v, err := jsjson.Parse([]byte(input))
	if err != nil {
		t.Fatalf("Parse(%q): %v", input, err)
	}
	return v
}

func number(f float64, literal string) jsjson.Value {
	return jsjson.Value{Kind: jsjson.Number, Num: f, Literal: literal}
}

func memberKeys(v jsjson.Value) []string {
	keys := make([]string, 0, len(v.Members))
	for _, m := range v.Members {
		keys = append(keys, m.Key)
	}
	return keys
}

// manyMembers returns an object whose n distinct keys appear twice, first
// with the value 0 and then 1: enough members for the parser to switch from
// scanning to a map when it looks for duplicates.
func manyMembers(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for round := range 2 {
		for i := range n {
			if round+i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"k` + strings.Repeat("x", i) + `":` + string(rune('0'+round)))
		}
	}
	b.WriteString("}")
	return b.String()
}

func manyMemberKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "k" + strings.Repeat("x", i)
	}
	return keys
}

func TestKindString(t *testing.T) {
	tests := []struct {
		kind jsjson.Kind
		want string
	}{
		{jsjson.Null, "null"},
		{jsjson.Bool, "boolean"},
		{jsjson.Number, "number"},
		{jsjson.String, "string"},
		{jsjson.Array, "array"},
		{jsjson.Object, "object"},
		{jsjson.Kind(42), "Kind(42)"},
	}
	for _, tt := range tests {
		if got := tt.kind.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tt.kind), got, tt.want)
		}
	}
}
