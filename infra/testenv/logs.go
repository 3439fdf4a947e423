package testenv

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// EnvLogDir names the folder where tests keep the log output of the code
// under test, so the test command can check that no secret, signature or PHI
// value ever reached a log line. Unset, logs are discarded.
const EnvLogDir = "COBALT_TEST_LOG_DIR"

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// LogWriter returns a file in the log folder named after the test and name,
// closed at cleanup, or io.Discard when the folder is not set. Use it for the
// output of processes a test starts.
func LogWriter(t testing.TB, name string) io.Writer {
	t.Helper()
	dir := os.Getenv(EnvLogDir)
	if dir == "" {
		return io.Discard
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatalf("create log folder %s: %v", dir, err)
	}
	base := unsafeName.ReplaceAllString(t.Name()+"-"+name, "_")
	f, err := os.CreateTemp(dir, base+"-*.log")
	if err != nil {
		t.Fatalf("create log file in %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// Logger returns a JSON logger, in the format the functions use, that writes
// to LogWriter(t, "slog").
func Logger(t testing.TB) *slog.Logger {
	t.Helper()
	w := LogWriter(t, "slog")
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       slog.LevelDebug,
		ReplaceAttr: lambdacontext.ReplaceAttr,
	}))
}

// LogFolder returns the log folder, or "" when logs are discarded.
func LogFolder() string {
	dir := os.Getenv(EnvLogDir)
	if dir == "" {
		return ""
	}
	return filepath.Clean(dir)
}
