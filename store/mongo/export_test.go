package mongo

import "testing"

// Hooks for the package's external tests (package mongo_test).

// ServerURI is testURI: the server's URI, or tb skipped.
func ServerURI(tb testing.TB) string {
	tb.Helper()
	return testURI(tb)
}

// IsFerretDB reports whether the test server is FerretDB (asked once).
func IsFerretDB() (bool, error) { return isFerretDB() }
