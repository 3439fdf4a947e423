package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var builds struct {
	mu    sync.Mutex
	dir   string
	paths map[string]string
	errs  map[string]error
}

// Binary builds the main package pkg (a go build package argument, such as
// "../../functions/ingest") once per test process and returns the path of
// the binary. Call RemoveBinaries from TestMain to delete them.
func Binary(t testing.TB, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if path, ok := builds.paths[pkg]; ok {
		return path
	}
	if err := builds.errs[pkg]; err != nil {
		t.Fatal(err)
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "cobalt-test-bin")
		if err != nil {
			t.Fatalf("create folder for test binaries: %v", err)
		}
		builds.dir, builds.paths, builds.errs = dir, map[string]string{}, map[string]error{}
	}
	path := filepath.Join(builds.dir, fmt.Sprintf("bin%d-%s", len(builds.paths), filepath.Base(pkg)))
	if out, err := exec.Command("go", "build", "-o", path, pkg).CombinedOutput(); err != nil {
		builds.errs[pkg] = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		t.Fatal(builds.errs[pkg])
	}
	builds.paths[pkg] = path
	return path
}

// RemoveBinaries deletes the binaries Binary built.
func RemoveBinaries() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
}
