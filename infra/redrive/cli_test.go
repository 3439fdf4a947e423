package main_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/clinicops/cobalt-receiver/infra/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveBinaries()
	os.Exit(code)
}

// runResult is the outcome of one run of the redrive command.
type runResult struct {
	code   int
	stdout string
	stderr string
}

// runRedrive runs the redrive command with args and the environment env
// added to this process's, and returns its exit status and output.
func runRedrive(t *testing.T, env []string, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t, "."), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := runResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run redrive: %v", err)
	}
	return res
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no mode", []string{"-id", "evt-1"}, "give -table NAME"},
		{"both modes", []string{"-table", "t", "-local", "http://127.0.0.1:1", "-id", "evt-1"}, "not both"},
		{"no selector", []string{"-table", "t"}, "no selector set"},
		{"empty id", []string{"-table", "t", "-id", ""}, "-id is empty"},
		{"positional id", []string{"-table", "t", "evt-1"}, "give event ids with -id"},
		{"bad from", []string{"-table", "t", "-from", "2026-03-01"}, "-from \"2026-03-01\" is not an RFC 3339 time"},
		{"bad to", []string{"-table", "t", "-to", "noon"}, "-to \"noon\" is not an RFC 3339 time"},
		{"from after to", []string{"-table", "t", "-from", "2026-03-02T00:00:00Z", "-to", "2026-03-01T00:00:00Z"},
			"is not before"},
		{"success type", []string{"-table", "t", "-type", "task.created"}, "does not alert"},
		{"unknown category", []string{"-table", "t", "-category", "billing"}, "unknown category"},
		{"local without scheme", []string{"-local", "127.0.0.1:8080", "-id", "evt-1"},
			"not a URL such as http://127.0.0.1:8080"},
		{"local of another scheme", []string{"-local", "ftp://127.0.0.1:8080", "-id", "evt-1"},
			"must start with http://"},
		{"local with path", []string{"-local", "http://127.0.0.1:8080/admin/redrive", "-id", "evt-1"},
			"without a path"},
		{"publish now in local mode", []string{"-local", "http://127.0.0.1:8080", "-id", "evt-1", "-publish-now",
			"-topics-from-env"}, "apply to -table only"},
		{"publish now without topics", []string{"-table", "t", "-id", "evt-1", "-publish-now"},
			"-publish-now needs -topics-from-env"},
		{"topics without publish now", []string{"-table", "t", "-id", "evt-1", "-topics-from-env"},
			"used only with -publish-now"},
		{"publish now in a dry run", []string{"-table", "t", "-id", "evt-1", "-dry-run", "-publish-now",
			"-topics-from-env"}, "no effect with -dry-run"},
		{"unknown flag", []string{"-table", "t", "-ids", "evt-1"}, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runRedrive(t, nil, c.args...)
			if res.code != 2 {
				t.Errorf("exit status %d, want 2; stderr:\n%s", res.code, res.stderr)
			}
			if !strings.Contains(res.stderr, c.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", c.wantErr, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("stdout not empty:\n%s", res.stdout)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	res := runRedrive(t, nil, "-h")
	if res.code != 0 {
		t.Errorf("exit status %d, want 0", res.code)
	}
	for _, flag := range []string{"-table", "-local", "-dry-run", "-yes", "-publish-now"} {
		if !strings.Contains(res.stderr, flag) {
			t.Errorf("help lacks %s:\n%s", flag, res.stderr)
		}
	}
}
