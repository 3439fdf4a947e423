package jsjson_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// generator builds random JSON texts that exercise every rule of JSON.parse
// and JSON.stringify: array-index keys, duplicate keys, escapes, lone
// surrogates, invalid UTF-8, number edge cases and insignificant whitespace.
type generator struct {
	r *rand.Rand
}

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *generator) pick(options []string) string {
	return options[g.r.IntN(len(options))]
}

// space returns JSON whitespace, empty most of the time.
func (g *generator) space() string {
	if g.r.IntN(3) != 0 {
		return ""
	}
	var b strings.Builder
	for range 1 + g.r.IntN(3) {
		b.WriteByte(" \t\n\r"[g.r.IntN(4)])
	}
	return b.String()
}

// document returns a whole JSON text with optional surrounding whitespace.
func (g *generator) document() string {
	return g.space() + g.value(0) + g.space()
}

func (g *generator) value(depth int) string {
	choice := g.r.IntN(10)
	if depth >= 4 {
		choice = 4 + g.r.IntN(6)
	}
	switch choice {
	case 0, 1:
		return g.object(depth + 1)
	case 2, 3:
		return g.array(depth + 1)
	case 4, 5:
		return g.str()
	case 6, 7:
		return g.number()
	}
	return g.pick([]string{"true", "false", "null"})
}

func (g *generator) object(depth int) string {
	var b strings.Builder
	b.WriteString("{" + g.space())
	for i := range g.r.IntN(7) {
		if i > 0 {
			b.WriteString(g.space() + "," + g.space())
		}
		b.WriteString(g.key() + g.space() + ":" + g.space() + g.value(depth))
	}
	b.WriteString(g.space() + "}")
	return b.String()
}

func (g *generator) array(depth int) string {
	var b strings.Builder
	b.WriteString("[" + g.space())
	for i := range g.r.IntN(7) {
		if i > 0 {
			b.WriteString(g.space() + "," + g.space())
		}
		b.WriteString(g.value(depth))
	}
	b.WriteString(g.space() + "]")
	return b.String()
}

// generatedKeys is a small pool of object keys, so that keys often repeat
// within one object. It includes array indices, near-indices and the keys
// around 2^32-2.
var generatedKeys = []string{
	`"0"`, `"1"`, `"2"`, `"9"`, `"10"`, `"01"`, `"00"`, `"-1"`, `"1.5"`, `"1e3"`,
	`"+1"`, `" 1"`, `"4294967294"`, `"4294967295"`, `"4294967296"`,
	`"99999999999"`, `"a"`, `"b"`, `"id"`, `"type"`, `"data"`, `"__proto__"`,
	`"constructor"`, `""`, `"\u0031"`, `"\ud800"`, `"é"`,
}

func (g *generator) key() string {
	if g.r.IntN(4) == 0 {
		return g.str()
	}
	return g.pick(generatedKeys)
}

// stringPieces are fragments of string literal text, escaped or raw.
var stringPieces = []string{
	"a", "id", "Hello world", " ", `\"`, `\\`, `\/`, `/`, `\b`, `\f`, `\n`, `\r`,
	`\t`, `\u0000`, `\u001f`, `\u001F`, `\u007f`, "\x7f", `\u0041`, `\u00e9`,
	`\u00E9`, "é", "€", "😀", "\u2028", "\u2029", `\u2028`, `\u2029`,
	`\ud83d\ude00`, `\uD83D\uDE00`, `\ud83d`, `\ude00`, `\udbff\udfff`,
	`\ud800\ud800`, `\udc00\ud800`, "<>&'", `\u003c`, "\u200b", "\ufeff",
	`\ufeff`, "\ufffd", "\xff", "\xe2\x82", "\xed\xa0\x80", "\xf0\x9f\x98",
	"\xc0\xaf", "\xf4\x90\x80\x80", "\x80", "\xe0\x80\x80",
}

func (g *generator) str() string {
	var b strings.Builder
	b.WriteByte('"')
	for range g.r.IntN(6) {
		b.WriteString(g.pick(stringPieces))
	}
	b.WriteByte('"')
	return b.String()
}

// numberLiterals are hand-picked number edge cases.
var numberLiterals = []string{
	"0", "-0", "-0.0", "0e0", "0.0e-0", "1", "25", "25.0", "1.0", "-1.5e+0",
	"1e21", "1e20", "999999999999999999999", "1e-6", "1e-7", "0.000001",
	"0.0000001", "123e-9", "1.5e300", "1e400", "-1e400", "1E400", "1e-400",
	"5e-324", "2e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
	"1.7976931348623158e308", "1.7976931348623159e308", "9007199254740993",
	"123456789012345678901", "0.1", "0.30000000000000004", "100", "1e2",
	"12345678901234567890.5", "4.35", "1.005",
}

func (g *generator) number() string {
	switch g.r.IntN(4) {
	case 0:
		return g.pick(numberLiterals)
	case 1:
		return g.floatLiteral()
	case 2:
		return strconv.FormatInt(g.r.Int64()>>g.r.IntN(63), 10)
	}
	return g.digitLiteral()
}

// floatLiteral formats a random finite double in one of several notations.
func (g *generator) floatLiteral() string {
	f := math.Float64frombits(g.r.Uint64())
	for math.IsNaN(f) || math.IsInf(f, 0) {
		f = math.Float64frombits(g.r.Uint64())
	}
	switch g.r.IntN(3) {
	case 0:
		return strconv.FormatFloat(f, 'g', -1, 64)
	case 1:
		return strconv.FormatFloat(f, 'e', 16+g.r.IntN(6), 64)
	}
	return strconv.FormatFloat(f, 'e', g.r.IntN(5), 64)
}

// digitLiteral writes random digits with an optional fraction and exponent.
func (g *generator) digitLiteral() string {
	var b strings.Builder
	if g.r.IntN(2) == 0 {
		b.WriteByte('-')
	}
	b.WriteString(g.digits(1 + g.r.IntN(30)))
	if g.r.IntN(2) == 0 {
		b.WriteString("." + g.digits(1+g.r.IntN(30)))
	}
	if g.r.IntN(2) == 0 {
		b.WriteString(g.pick([]string{"e", "E", "e+", "e-", "E-"}))
		b.WriteString(strconv.Itoa(g.r.IntN(340)))
	}
	return b.String()
}

// digits returns n random digits without a leading zero unless n is 1.
func (g *generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	if n > 1 && b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

// mutationBytes are the bytes mutate inserts or substitutes.
var mutationBytes = []byte{',', ':', '{', '}', '[', ']', '"', '\\', '0', '-', '.',
	'e', ' ', '\v', 0x00, 0x1f, 0xff, 0xc3}

// mutate applies one random edit to doc, which often makes it invalid.
func (g *generator) mutate(doc string) string {
	if doc == "" {
		return g.pick([]string{"{", "[", `"`})
	}
	i := g.r.IntN(len(doc))
	c := string(mutationBytes[g.r.IntN(len(mutationBytes))])
	switch g.r.IntN(4) {
	case 0:
		return doc[:i] + doc[i+1:]
	case 1:
		return doc[:i] + c + doc[i:]
	case 2:
		return doc[:i] + c + doc[i+1:]
	}
	return doc[:i]
}
