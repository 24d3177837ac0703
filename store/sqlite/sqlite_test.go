package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
	"github.com/usergraph/usergraph/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
