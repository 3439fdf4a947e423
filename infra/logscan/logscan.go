// Package logscan finds values that must never reach a log in the files that
// tests write to testenv's log folder (COBALT_TEST_LOG_DIR). Those values are
// the webhook secrets the tests use, the signatures of the sample events under
// each of those secrets, and the PHI values of the samples. infra/test.sh runs
// its tests after every other test and fuzz target, so they scan the output
// of the whole suite.
//
// Values match as whole words: an edge of a value that is a letter, digit
// or underscore must not continue a longer word in the log, so the first
// name "Sam" does not match inside "Sampleperson". Matching is case
// sensitive, except that signatures are also searched in upper case.
package logscan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Kind is the class of a forbidden value.
type Kind string

// Kinds of forbidden values.
const (
	KindSecret    Kind = "webhook secret"
	KindSignature Kind = "signature"
	KindPHI       Kind = "PHI"
)

// Value is one text that must not appear in a log.
type Value struct {
	Text string
	Kind Kind
	// Source names where the value comes from without repeating it, such
	// as "patient.created.json: data.first_name".
	Source string
}

// Finding is one line of a log file that contains a forbidden value.
type Finding struct {
	File   string
	Line   int
	Kind   Kind
	Source string
	// Length is the length of the value in bytes.
	Length int
}

// String describes f without the value itself, so that a report of a leak
// does not leak it again.
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s of %d bytes from %s", f.File, f.Line, f.Kind, f.Length, f.Source)
}

// ErrNoLogs is returned by ScanDir for a folder with no log output, since a
// scan of nothing proves nothing.
var ErrNoLogs = errors.New("no log output to scan")

// entry is a value indexed by its first word.
type entry struct {
	value Value
	text  []byte
	// prefix is the number of bytes before the value's first word.
	prefix int
	// wordEnd is set when the value ends in a word byte, which must not be
	// followed by another.
	wordEnd bool
}

// Matcher finds forbidden values in lines of text. Each word of a line is
// looked up once in a map, so the work grows with the line, not with the
// number of values.
type Matcher struct {
	// byWord maps the first word of each value to the values that start
	// with it.
	byWord map[string][]entry
}

// NewMatcher returns a Matcher for values. Values without any word byte
// (letter, digit, underscore or non-ASCII byte) are left out, since they
// cannot be matched as words.
func NewMatcher(values []Value) *Matcher {
	m := &Matcher{byWord: map[string][]entry{}}
	seen := map[string]bool{}
	for _, v := range values {
		if v.Text == "" || seen[v.Text] {
			continue
		}
		seen[v.Text] = true
		text := []byte(v.Text)
		start, end, ok := firstWord(text)
		if !ok {
			continue
		}
		word := string(text[start:end])
		m.byWord[word] = append(m.byWord[word], entry{
			value:   v,
			text:    text,
			prefix:  start,
			wordEnd: isWordByte(text[len(text)-1]),
		})
	}
	return m
}

// Match returns the values that occur in line as whole words, each once.
func (m *Matcher) Match(line []byte) []Value {
	var found []Value
	var seen map[string]bool
	for start := 0; start < len(line); {
		if !isWordByte(line[start]) {
			start++
			continue
		}
		end := start
		for end < len(line) && isWordByte(line[end]) {
			end++
		}
		for _, e := range m.byWord[string(line[start:end])] {
			if !e.occursAt(line, start-e.prefix) || seen[e.value.Text] {
				continue
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[e.value.Text] = true
			found = append(found, e.value)
		}
		start = end
	}
	return found
}

// occursAt reports whether e's text starts at line[at] and does not run
// into a longer word at its end. Its start needs no check: the word that
// led to e begins a maximal run of word bytes.
func (e entry) occursAt(line []byte, at int) bool {
	if at < 0 || !bytes.HasPrefix(line[at:], e.text) {
		return false
	}
	end := at + len(e.text)
	return !e.wordEnd || end == len(line) || !isWordByte(line[end])
}

// firstWord returns the bounds of the first run of word bytes in text.
func firstWord(text []byte) (start, end int, ok bool) {
	for start < len(text) && !isWordByte(text[start]) {
		start++
	}
	if start == len(text) {
		return 0, 0, false
	}
	end = start
	for end < len(text) && isWordByte(text[end]) {
		end++
	}
	return start, end, true
}

// isWordByte reports whether b is part of a word: an ASCII letter, digit or
// underscore, or any byte of a non-ASCII character.
func isWordByte(b byte) bool {
	return b == '_' || b >= 0x80 || ('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

// ScanDir scans every regular file under dir, at any depth, and returns
// the findings in file and line order. It returns an error wrapping
// fs.ErrNotExist when dir is missing, and ErrNoLogs when its files hold no
// bytes at all.
func ScanDir(dir string, m *Matcher) ([]Finding, error) {
	var findings []Finding
	var scanned int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		found, n, err := ScanFile(path, m)
		if err != nil {
			return err
		}
		scanned += n
		findings = append(findings, found...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan log folder %s: %w", dir, err)
	}
	if scanned == 0 {
		return nil, fmt.Errorf("scan log folder %s: %w", dir, ErrNoLogs)
	}
	return findings, nil
}

// ScanFile returns the findings in the file at path and the number of
// bytes it read.
func ScanFile(path string, m *Matcher) ([]Finding, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()

	var findings []Finding
	var scanned int64
	r := bufio.NewReaderSize(f, 64*1024)
	for number := 1; ; number++ {
		line, err := r.ReadBytes('\n')
		scanned += int64(len(line))
		for _, v := range m.Match(line) {
			findings = append(findings, Finding{File: path, Line: number, Kind: v.Kind, Source: v.Source, Length: len(v.Text)})
		}
		if errors.Is(err, io.EOF) {
			return findings, scanned, nil
		}
		if err != nil {
			return nil, scanned, fmt.Errorf("read %s: %w", path, err)
		}
	}
}
