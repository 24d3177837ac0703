// Package storetest is the conformance suite every store.Store backend runs,
// after Dex's storage/conformance: one table of named subtests, each on a
// fresh store, so a backend's own test file is a few lines long:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The expectations follow the interface documentation in package store and
// docs/FILTERS.md; where a test depends on a detail of either, its comment
// says which.
package storetest

import (
	"testing"

	"github.com/usergraph/usergraph/store"
)

// subTest is one named case of the suite. run gets a store nobody else has
// touched, so cases never depend on one another's data or order.
type subTest struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// Run runs every subtest on a fresh store from open. open registers its own
// cleanup (t.Cleanup) and fails t if the store cannot be opened.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tables := [][]subTest{
		userTests,
		usernameKeyTests,
		activityTests,
		lockoutTests,
		sessionTests,
		tokenTests,
		purgeTests,
		roleTests,
		keyTests,
		settingTests,
		patchTests,
		filterTests,
		limitTests,
		orderTests,
		concurrencyTests,
		outboxTests,
		recoveryTests,
	}
	for _, table := range tables {
		for _, tc := range table {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				if s == nil {
					t.Fatal("open returned a nil store")
				}
				tc.run(t, s)
			})
		}
	}
}
