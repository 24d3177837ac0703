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
// says which. A server that cannot pass a case (a missing feature, not a
// backend bug) is run through RunWith with that case's name and the reason
// in Options.Skip; the suite itself stays the same for every backend.
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

// Options adapt a run to one backend's server.
type Options struct {
	// Skip names the cases a server cannot pass, each with the reason the
	// skip message gives. A backend passes it only for a server that cannot
	// do what the case checks (the MongoDB tests, for FerretDB); every
	// other case still runs. A name that is not a case fails the run, so a
	// renamed case cannot turn a skip into silence.
	Skip map[string]string
}

// Run runs every subtest on a fresh store from open. open registers its own
// cleanup (t.Cleanup) and fails t if the store cannot be opened.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	RunWith(t, open, Options{})
}

// RunWith is Run with the backend's options.
func RunWith(t *testing.T, open func(t *testing.T) store.Store, opts Options) {
	t.Helper()
	tables := [][]subTest{
		userTests,
		usernameKeyTests,
		activityTests,
		lockoutTests,
		sessionTests,
		deviceTests,
		avatarTests,
		applicationTests,
		guestTests,
		discoveryTests,
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
		eventTests,
		webhookTests,
		identityTests,
		oauthStateTests,
	}
	checkSkips(t, tables, opts.Skip)
	for _, table := range tables {
		for _, tc := range table {
			t.Run(tc.name, func(t *testing.T) {
				if reason, ok := opts.Skip[tc.name]; ok {
					t.Skip(reason)
				}
				s := open(t)
				if s == nil {
					t.Fatal("open returned a nil store")
				}
				tc.run(t, s)
			})
		}
	}
}

// checkSkips fails t for a skip that names no case or gives no reason.
func checkSkips(t *testing.T, tables [][]subTest, skip map[string]string) {
	t.Helper()
	cases := map[string]bool{}
	for _, table := range tables {
		for _, tc := range table {
			cases[tc.name] = true
		}
	}
	for name, reason := range skip {
		if !cases[name] {
			t.Errorf("Options.Skip names %q, which is no case of the suite", name)
		}
		if reason == "" {
			t.Errorf("Options.Skip gives no reason for %q", name)
		}
	}
}
