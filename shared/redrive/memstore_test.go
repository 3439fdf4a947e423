package redrive_test

import (
	"testing"

	"github.com/clinicops/cobalt-receiver/shared/store"
	"github.com/clinicops/cobalt-receiver/shared/store/memstore"
)

func TestMemStore(t *testing.T) {
	runSuite(t, func(t *testing.T) store.Store { return memstore.New() })
}
