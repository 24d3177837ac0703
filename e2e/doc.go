// Package e2e is usergraph's end-to-end suite. Each test starts the real
// server (app.Main) on 127.0.0.1:0 with a temporary SQLite file, or on
// MongoDB when USERGRAPH_TEST_MONGODB_URI is set, and talks to it over
// HTTP as clients do; a few run the built binary. harness_test.go starts
// servers, client_test.go sends requests and checks answers, api_test.go
// calls the API's operations; the other files are one area each (auth,
// sessions, profile, admin, roles, queries, http, the binary).
//
// The package has no code of its own: go test ./e2e runs it.
package e2e
