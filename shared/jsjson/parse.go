package jsjson

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// MaxDepth is the deepest nesting of arrays and objects Parse accepts. Parse
// returns a *SyntaxError beyond it rather than grow the stack without bound.
const MaxDepth = 10000

// SyntaxError describes why Parse rejected its input. Its message never
// quotes the input.
type SyntaxError struct {
	// Offset is the byte offset of the error in the input after invalid
	// UTF-8 has been replaced by U+FFFD, which equals the offset in the
	// input when the input is valid UTF-8.
	Offset int
	// Msg describes the problem at Offset.
	Msg string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsjson: %s at offset %d", e.Msg, e.Offset)
}

// Parse decodes b with the semantics of JavaScript's JSON.parse applied to
// the body decoded as UTF-8 (invalid bytes become U+FFFD). It returns a
// *SyntaxError for anything JSON.parse would reject, including a leading
// byte order mark, and for nesting deeper than MaxDepth.
func Parse(b []byte) (Value, error) {
	v, _, err := ParseCanonical(b)
	return v, err
}

// ParseCanonical parses b as Parse does, and also reports whether b is in
// canonical form: byte for byte what Stringify returns for the parsed value.
// A caller can then use b itself where it needs that form. It never reports
// true for a text that differs from Stringify's output, but reports false
// for some canonical texts, such as those with a \u escape.
func ParseCanonical(b []byte) (Value, bool, error) {
	sc := scratchPool.Get().(*scratch)
	s, replaced := decodeUTF8(b)
	p := parser{s: s, items: sc.items, members: sc.members, altered: replaced}
	defer p.release(sc)
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return Value{}, false, err
	}
	p.skipSpace()
	if p.pos < len(p.s) {
		return Value{}, false, p.fail("unexpected data after the top-level value")
	}
	return v, !p.altered, nil
}

// parser is a recursive-descent parser over well-formed UTF-8 text.
type parser struct {
	s     string
	pos   int
	depth int

	// Scratch stacks holding the elements and members of the arrays and
	// objects being parsed, so that each finished container is copied once
	// into a slice of its exact size.
	items   []Value
	members []Member

	// altered is set once the text is known to differ from what Stringify
	// writes for the value: whitespace, an escape Stringify would not write,
	// a number in another spelling, a repeated key, members that JavaScript
	// enumerates in another order, or invalid UTF-8.
	altered bool
}

// scratch holds a parser's scratch stacks between parses.
type scratch struct {
	items   []Value
	members []Member
}

// scratchPool reuses scratch stacks, so that a parse does not grow new ones
// from empty. That growth took about a tenth of the time of parsing a 1 KB
// event.
var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledEntries bounds the scratch stacks kept in scratchPool, so that one
// unusually wide document does not keep a large buffer alive.
const maxPooledEntries = 4096

// release empties the scratch stacks, dropping their references to parsed
// values, and returns them to scratchPool. A parse that failed can leave
// entries on the stacks. Entries past the length were cleared when the
// stacks were truncated.
func (p *parser) release(sc *scratch) {
	clear(p.items)
	clear(p.members)
	if cap(p.items) > maxPooledEntries || cap(p.members) > maxPooledEntries {
		return
	}
	sc.items, sc.members = p.items[:0], p.members[:0]
	scratchPool.Put(sc)
}

func (p *parser) fail(msg string) *SyntaxError {
	return &SyntaxError{Offset: p.pos, Msg: msg}
}

// failHere reports an unexpected byte, or the end of input, at p.pos.
func (p *parser) failHere(context string) *SyntaxError {
	if p.pos >= len(p.s) {
		return p.fail("unexpected end of input " + context)
	}
	return p.fail("unexpected character " + context)
}

// skipSpace skips the four whitespace characters JSON allows.
func (p *parser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
			p.altered = true
		default:
			return
		}
	}
}

func (p *parser) value() (Value, error) {
	if p.pos >= len(p.s) {
		return Value{}, p.failHere("where a value was expected")
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		return Value{Kind: String, Str: s}, err
	case c == '-' || isDigit(c):
		return p.number()
	case c == 't':
		return p.keyword("true", Value{Kind: Bool, Bool: true})
	case c == 'f':
		return p.keyword("false", Value{Kind: Bool})
	case c == 'n':
		return p.keyword("null", Value{Kind: Null})
	}
	return Value{}, p.failHere("where a value was expected")
}

func (p *parser) keyword(word string, v Value) (Value, error) {
	if !strings.HasPrefix(p.s[p.pos:], word) {
		return Value{}, p.fail("invalid literal, expected " + word)
	}
	p.pos += len(word)
	return v, nil
}

// enter opens an array or object at p.pos, checking the nesting depth.
func (p *parser) enter() error {
	if p.depth >= MaxDepth {
		return p.fail(fmt.Sprintf("nesting deeper than %d levels", MaxDepth))
	}
	p.depth++
	p.pos++
	p.skipSpace()
	return nil
}

// leave consumes the closing byte of an array or object.
func (p *parser) leave() {
	p.depth--
	p.pos++
}

func (p *parser) array() (Value, error) {
	if err := p.enter(); err != nil {
		return Value{}, err
	}
	if p.peek(']') {
		p.leave()
		return Value{Kind: Array}, nil
	}
	start := len(p.items)
	defer p.truncateItems(start)
	for {
		item, err := p.value()
		if err != nil {
			return Value{}, err
		}
		p.items = append(p.items, item)
		more, err := p.next(']', "in array, expected ',' or ']'")
		if err != nil {
			return Value{}, err
		}
		if !more {
			return Value{Kind: Array, Items: slices.Clone(p.items[start:])}, nil
		}
	}
}

// truncateItems removes the elements of a finished array from the scratch
// stack.
func (p *parser) truncateItems(start int) {
	clear(p.items[start:])
	p.items = p.items[:start]
}

func (p *parser) object() (Value, error) {
	if err := p.enter(); err != nil {
		return Value{}, err
	}
	if p.peek('}') {
		p.leave()
		return Value{Kind: Object}, nil
	}
	o := openObject{start: len(p.members)}
	for {
		key, val, err := p.member()
		if err != nil {
			return Value{}, err
		}
		p.setMember(&o, key, val)
		more, err := p.next('}', "in object, expected ',' or '}'")
		if err != nil {
			return Value{}, err
		}
		if !more {
			return Value{Kind: Object, Members: p.closeObject(&o)}, nil
		}
	}
}

// member parses `"key" : value` starting at the key's opening quote.
func (p *parser) member() (string, Value, error) {
	if !p.peek('"') {
		return "", Value{}, p.failHere("where an object key was expected")
	}
	key, err := p.str()
	if err != nil {
		return "", Value{}, err
	}
	p.skipSpace()
	if !p.peek(':') {
		return "", Value{}, p.failHere("after object key, expected ':'")
	}
	p.pos++
	p.skipSpace()
	val, err := p.value()
	return key, val, err
}

// next consumes the separator after an element or member. It returns true
// after a comma, and false after the closing byte end.
func (p *parser) next(end byte, msg string) (bool, error) {
	p.skipSpace()
	switch {
	case p.peek(','):
		p.pos++
		p.skipSpace()
		return true, nil
	case p.peek(end):
		p.leave()
		return false, nil
	}
	return false, p.failHere(msg)
}

func (p *parser) peek(c byte) bool {
	return p.pos < len(p.s) && p.s[p.pos] == c
}

// number parses -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (p *parser) number() (Value, error) {
	start := p.pos
	if p.peek('-') {
		p.pos++
	}
	if p.peek('0') {
		p.pos++
	} else if !p.digits() {
		return Value{}, p.failHere("in number, expected a digit")
	}
	if p.peek('.') {
		p.pos++
		if !p.digits() {
			return Value{}, p.failHere("in number, expected a digit after '.'")
		}
	}
	if p.peek('e') || p.peek('E') {
		p.pos++
		if p.peek('+') || p.peek('-') {
			p.pos++
		}
		if !p.digits() {
			return Value{}, p.failHere("in number, expected a digit in the exponent")
		}
	}
	return p.numberValue(p.s[start:p.pos])
}

// numberValue rounds lit to the nearest double, giving ±Inf beyond the
// double range as JavaScript does.
func (p *parser) numberValue(lit string) (Value, error) {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !isRangeError(err) {
		return Value{}, p.fail("invalid number")
	}
	if !p.altered && !isCanonicalNumber(lit, f) {
		p.altered = true
	}
	return Value{Kind: Number, Num: f, Literal: lit}, nil
}

// isCanonicalNumber reports whether lit is how Stringify writes f. An
// integer of at most 15 digits without a sign of zero is written as it is,
// since every such integer is exact in a double; other literals are
// compared with Stringify's text.
func isCanonicalNumber(lit string, f float64) bool {
	digits := strings.TrimPrefix(lit, "-")
	if len(digits) <= 15 && digits != "" && (digits[0] != '0' || lit == "0") &&
		strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		return true
	}
	var buf [32]byte
	return string(appendNumber(buf[:0], f)) == lit
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// digits consumes [0-9]* and reports whether it consumed any.
func (p *parser) digits() bool {
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	return p.pos > start
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
