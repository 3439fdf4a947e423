package hostile_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/clinicops/cobalt-receiver/events"
	"github.com/clinicops/cobalt-receiver/infra/testenv"
	"github.com/clinicops/cobalt-receiver/shared/alert"
	"github.com/clinicops/cobalt-receiver/shared/envelope"
	"github.com/clinicops/cobalt-receiver/shared/ingest"
	"github.com/clinicops/cobalt-receiver/shared/jsjson"
	"github.com/clinicops/cobalt-receiver/shared/localserver"
	"github.com/clinicops/cobalt-receiver/shared/metrics"
	"github.com/clinicops/cobalt-receiver/shared/secrets"
	"github.com/clinicops/cobalt-receiver/shared/signature"
	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/memstore"
)

// countingStore counts Create calls, written or not, so a test can tell
// that a request tried to store nothing.
type countingStore struct {
	store.Store
	creates atomic.Int64
}

func (s *countingStore) Create(ctx context.Context, rec *store.Record) (*store.Record, error) {
	s.creates.Add(1)
	return s.Store.Create(ctx, rec)
}

// Signing modes of a fuzzed request, taken from the mode byte modulo 4.
const (
	signNone        = iota // no signature header
	signRaw                // HMAC of the body with the current secret
	signCanonical          // HMAC of the JSON.stringify form, when the body is JSON
	signWrongSecret        // HMAC of the body with a secret the receiver lacks
)

// fuzzMethods are the methods a mode byte with its high bit set picks from.
var fuzzMethods = []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodHead,
	http.MethodOptions, http.MethodPatch, "post", "BREW"}

// fuzzLogger writes the handler's log to the test log folder: every line
// when running the seed corpus, errors only while fuzzing, when millions of
// requests would otherwise fill the disk.
func fuzzLogger(f *testing.F) *slog.Logger {
	level := slog.LevelDebug
	if fuzz := flag.Lookup("test.fuzz"); fuzz != nil && fuzz.Value.String() != "" {
		level = slog.LevelError
	}
	return slog.New(slog.NewJSONHandler(testenv.LogWriter(f, "slog"), &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: lambdacontext.ReplaceAttr,
	}))
}

// FuzzHandler sends random bodies, with a random extra header, signed in
// one of four ways or with a random method, through local mode's routes,
// and checks that the handler never panics, always responds with JSON with a
// status, stores nothing unless the request is authentic, and always keeps
// an authentic body it accepts.
func FuzzHandler(f *testing.F) {
	samples, err := events.Samples()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range samples {
		f.Add(s.Body, uint8(signRaw), "webhook-attempt", "1")
		f.Add(s.Body, uint8(signCanonical), "webhook-id", "evt")
	}
	for _, c := range hostileCases(f) {
		if len(c.send.body) <= 4096 {
			f.Add(c.send.body, uint8(signRaw), "Cobalt-Verification", "0")
		}
	}
	f.Add([]byte(`{"id":"evt_fuzz","type":"task.failed","data":{}}`), uint8(signWrongSecret), "", "")
	f.Add([]byte{}, uint8(signNone), "content-type", "text/plain")
	f.Add([]byte(`{"id":1e400,"type":"x","data":{}}`), uint8(0x80|signRaw), "webhook-attempt", "2")

	// The in-memory store and publisher keep the fuzzer fast: the embedded
	// store and the alert log sync every write to disk.
	st := memstore.New()
	counted := &countingStore{Store: st}
	published := &checkingPublisher{}
	logger := fuzzLogger(f)
	h := &ingest.Handler{
		Store:      counted,
		Publisher:  published,
		Secrets:    secrets.Static{currentSecret, previousSecret},
		Alerts:     alert.Options{},
		AlertLease: 30 * time.Second,
		// Deadlines are tested in infra/faults; here a loaded machine must
		// not turn a 50,000-key body into a 503.
		AnswerBudget: func(string) time.Duration { return time.Minute },
		Logger:       logger,
		Metrics:      metrics.Discard{},
		Now:          time.Now,
	}
	mux := localserver.NewMux(h, counted, nil, logger)

	f.Fuzz(func(t *testing.T, body []byte, mode uint8, name, value string) {
		method := http.MethodPost
		if mode&0x80 != 0 {
			method = fuzzMethods[int(mode&0x7f)%len(fuzzMethods)]
		}
		req := httptest.NewRequest(method, localserver.WebhookPath, bytes.NewReader(body))
		authentic := sign(req, body, int(mode%4))
		if name != "" {
			req.Header.Add(name, value)
		}
		authentic = authentic && method == http.MethodPost && len(body) <= ingest.MaxBodyBytes

		createsBefore := counted.creates.Load()
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		creates := counted.creates.Load() - createsBefore

		a := checkFuzzAnswer(t, w)
		switch {
		case !authentic && !slices.Contains([]int{http.StatusUnauthorized, http.StatusMethodNotAllowed,
			http.StatusRequestEntityTooLarge}, w.Code):
			t.Fatalf("unauthenticated request got %d %q", w.Code, a.Status)
		case !authentic && creates > 0:
			t.Fatalf("unauthenticated request tried %d store writes", creates)
		case authentic && slices.Contains([]int{http.StatusUnauthorized, http.StatusMethodNotAllowed}, w.Code):
			t.Fatalf("authentic request got %d %q", w.Code, a.Status)
		case w.Code == http.StatusUnauthorized && creates > 0:
			t.Fatalf("401 response after %d store writes", creates)
		}
		checkKept(t, st, body, w.Code, a)
		if err := published.err(); err != nil {
			t.Fatal(err)
		}
	})
}

// checkingPublisher accepts every alert and keeps the first reason SNS
// would have rejected one.
type checkingPublisher struct {
	mu      sync.Mutex
	invalid error
}

func (p *checkingPublisher) Publish(_ context.Context, a *alert.Alert) (string, error) {
	err := validAlert(a)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil && p.invalid == nil {
		p.invalid = fmt.Errorf("alert for event %.80q: %w", a.EventID, err)
	}
	return "fuzz-message", nil
}

func (p *checkingPublisher) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.invalid
}

// validAlert returns why SNS would reject a: an invalid subject or
// attribute, a document that is not JSON, or a message over 256 KiB.
func validAlert(a *alert.Alert) error {
	if err := validSubject(a.Subject); err != nil {
		return fmt.Errorf("subject %q: %w", a.Subject, err)
	}
	for _, attr := range a.Attributes {
		var value any = attr.Value()
		if attr.Type == alert.TypeStringArray {
			items := make([]any, len(attr.Values))
			for i, v := range attr.Values {
				items[i] = v
			}
			value = items
		}
		if err := validAttribute(value); err != nil {
			return fmt.Errorf("attribute %s: %w", attr.Name, err)
		}
	}
	if !json.Valid(a.Document) {
		return errors.New("document is not JSON")
	}
	if a.Size() > alert.SizeLimit {
		return fmt.Errorf("message of %d bytes is over the limit of %d", a.Size(), alert.SizeLimit)
	}
	return nil
}

// sign adds the signature header of mode to req and reports whether the
// request is then authentic.
func sign(req *http.Request, body []byte, mode int) bool {
	switch mode {
	case signRaw:
		req.Header.Set(signature.HeaderName, signature.Sign(body, currentSecret))
		return true
	case signCanonical:
		canonical, err := jsjson.Canonical(body)
		if err != nil {
			return false
		}
		req.Header.Set(signature.HeaderName, signature.Sign(canonical, currentSecret))
		return true
	case signWrongSecret:
		req.Header.Set(signature.HeaderName, signature.Sign(body, strangerSecret))
	}
	return false
}

// fuzzAnswer is the JSON body of a response.
type fuzzAnswer struct {
	Status     string   `json:"status"`
	ID         string   `json:"id"`
	ConflictID string   `json:"conflict_id"`
	Errors     []string `json:"errors"`
}

// checkFuzzAnswer checks that the response body is JSON with a status that
// fits the status code, and returns it.
func checkFuzzAnswer(t *testing.T, w *httptest.ResponseRecorder) fuzzAnswer {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("response %d has Content-Type %q", w.Code, ct)
	}
	var a fuzzAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("response %d %.200q is not JSON: %v", w.Code, w.Body.Bytes(), err)
	}
	statuses := map[int][]string{
		http.StatusOK:                    {"stored", "duplicate"},
		http.StatusBadRequest:            {"quarantined"},
		http.StatusUnauthorized:          {"unauthorized"},
		http.StatusMethodNotAllowed:      {"method_not_allowed"},
		http.StatusConflict:              {"conflict"},
		http.StatusRequestEntityTooLarge: {"too_large"},
		http.StatusServiceUnavailable:    {"unavailable"},
	}
	if !slices.Contains(statuses[w.Code], a.Status) {
		t.Fatalf("response %d has status %q, want one of %q", w.Code, a.Status, statuses[w.Code])
	}
	return a
}

// checkKept checks that a 200, 400 or 409 response left a record of body: one
// whose raw bytes equal it, or for a repeat of stored content, one whose
// content hash equals its own.
func checkKept(t *testing.T, st store.Store, body []byte, code int, a fuzzAnswer) {
	t.Helper()
	var id string
	switch code {
	case http.StatusOK:
		id = a.ID
	case http.StatusBadRequest:
		sum := sha256.Sum256(body)
		id = store.QuarantinePrefix + hex.EncodeToString(sum[:])
		if a.ID != id {
			t.Fatalf("quarantine id = %q, want %q", a.ID, id)
		}
	case http.StatusConflict:
		id = a.ConflictID
	default:
		return
	}

	rec, err := st.Get(context.Background(), id)
	if errors.Is(err, store.ErrNotFound) {
		t.Fatalf("response %d %q, but no record %.80q", code, a.Status, id)
	}
	if err != nil {
		t.Fatalf("get record %.80q: %v", id, err)
	}

	if bytes.Equal(rec.Raw, body) {
		return
	}
	if a.Status == "stored" || a.Status == "quarantined" {
		t.Fatalf("record %.80q has a raw body of %d bytes, want the %d bytes sent", id, len(rec.Raw), len(body))
	}

	env, err := envelope.Parse(body)
	if err != nil {
		t.Fatalf("response %q for a body that does not parse: %v", a.Status, err)
	}
	if rec.ContentHash != env.ContentHash {
		t.Fatalf("response %q, but record %.80q has other content", a.Status, id)
	}
}
