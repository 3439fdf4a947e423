// Package alertlog publishes alerts to a local JSON Lines file, for running
// without AWS. Each alert is one line, on disk before Publish returns.
package alertlog

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/clinicops/cobalt-receiver/shared/alert"
)

// Log appends alerts to a file. It is safe for concurrent use and
// implements alert.Publisher.
type Log struct {
	mu   sync.Mutex
	file *os.File
	path string
	now  func() time.Time
}

var _ alert.Publisher = (*Log)(nil)

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("alertlog: log is closed")

// Open opens the log at path for appending, creating the file (mode 0600)
// and its directory (mode 0700) when they do not exist. The file may hold
// PHI when alerts include it, hence the modes.
func Open(path string) (*Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("alertlog: create directory of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("alertlog: open %s: %w", path, err)
	}
	return &Log{file: f, path: path, now: time.Now}, nil
}

// Close closes the file. Publish fails with ErrClosed afterwards.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	l.file = nil
	if err != nil {
		return fmt.Errorf("alertlog: close %s: %w", l.path, err)
	}
	return nil
}

// line is one alert in the log.
type line struct {
	Topic     string `json:"topic"`
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	Subject   string `json:"subject"`
	// Attributes maps each attribute name to its value: a string, or an
	// array of strings for a String.Array.
	Attributes map[string]any `json:"attributes"`
	// Message is the alert's JSON document, embedded as an object.
	Message     json.RawMessage `json:"message"`
	Text        string          `json:"text"`
	PublishedAt string          `json:"published_at"`
	MessageID   string          `json:"message_id"`
}

// Publish appends a as one JSON line, syncs the file to disk and returns a
// new random message id. A line that could not be written whole is removed
// again, so the file keeps only whole lines.
func (l *Log) Publish(ctx context.Context, a *alert.Alert) (string, error) {
	if a == nil {
		return "", errors.New("alertlog: alert is nil")
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("alertlog: publish alert for event %q: %w", a.EventID, err)
	}
	id, err := newMessageID()
	if err != nil {
		return "", fmt.Errorf("alertlog: publish alert for event %q: %w", a.EventID, err)
	}
	data, err := encode(a, id, l.now())
	if err != nil {
		return "", fmt.Errorf("alertlog: publish alert for event %q: %w", a.EventID, err)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return "", ErrClosed
	}
	if err := l.append(data); err != nil {
		return "", fmt.Errorf("alertlog: publish alert for event %q to %s: %w", a.EventID, l.path, err)
	}
	return id, nil
}

// append writes data at the end of the file and syncs it. On a failed write
// it truncates the file back to its previous size.
func (l *Log) append(data []byte) error {
	info, err := l.file.Stat()
	if err != nil {
		return err
	}
	if _, err := l.file.Write(data); err != nil {
		if terr := l.file.Truncate(info.Size()); terr != nil {
			return errors.Join(err, fmt.Errorf("remove partial line: %w", terr))
		}
		return err
	}
	return l.file.Sync()
}

func encode(a *alert.Alert, id string, now time.Time) ([]byte, error) {
	if !json.Valid(a.Document) {
		return nil, errors.New("alert document is not valid JSON")
	}
	attrs := make(map[string]any, len(a.Attributes))
	for _, at := range a.Attributes {
		if at.Type == alert.TypeStringArray {
			attrs[at.Name] = append([]string{}, at.Values...)
		} else {
			attrs[at.Name] = at.Value()
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(line{
		Topic:       a.Topic,
		EventID:     a.EventID,
		EventType:   a.EventType,
		Subject:     a.Subject,
		Attributes:  attrs,
		Message:     a.Document,
		Text:        a.Text,
		PublishedAt: now.UTC().Format(time.RFC3339Nano),
		MessageID:   id,
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newMessageID returns a random version 4 UUID.
func newMessageID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate message id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
