package redrive_test

import (
	"path/filepath"
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/embedded"
)

func TestEmbeddedStore(t *testing.T) {
	runSuite(t, func(t *testing.T) store.Store {
		st, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"))
		if err != nil {
			t.Fatalf("open embedded store: %v", err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	})
}
