package logscan_test

import (
	"os"
	"testing"

	"github.com/clinicops/cobalt-receiver/infra/logscan"
	"github.com/clinicops/cobalt-receiver/infra/testenv"
)

// TestLogFolder scans the log folder that the rest of the suite wrote to.
// infra/test.sh runs it after every other test, because it reads what the
// other packages have written. Without a folder it is skipped, unless
// stand-ins are required: then it fails, so that the test command cannot
// pass by scanning nothing.
func TestLogFolder(t *testing.T) {
	dir := testenv.LogFolder()
	if dir == "" {
		if os.Getenv(testenv.EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: run infra/test.sh, which sets it", testenv.EnvLogDir, testenv.EnvRequire)
		}
		t.Skipf("%s is not set; infra/test.sh sets it and runs this test last", testenv.EnvLogDir)
	}

	findings, err := logscan.ScanDir(dir, logscan.NewMatcher(forbidden(t)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("forbidden value in a log: %s", f)
	}
}
