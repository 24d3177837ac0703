package transfer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/usergraph/usergraph/transfer"
)

// benchRows is the size of the import docs/PERFORMANCE.md records.
const benchRows = 100_000

// BenchmarkImport100k imports 100,000 users from JSON lines (username,
// email, profile, metadata, roles, a bcrypt hash each) into a fresh
// SQLite file, through the account rules and the bulk path, as `usergraph
// import` does. Run it once per figure:
//
//	go test -run '^$' -bench Import100k -benchtime 1x ./transfer
func BenchmarkImport100k(b *testing.B) {
	file := benchFile(b)
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		b.StartTimer()
		im := transfer.NewImporter(e.db, e.accounts.StartImport(), io.Discard, transfer.Options{})
		if err := im.Run(b.Context(), transfer.NewJSONLines(bytes.NewReader(file))); err != nil {
			b.Fatal(err)
		}
		if got := im.Counts.Created.Load(); got != benchRows {
			b.Fatalf("created %d users, want %d", got, benchRows)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// benchFile is the JSON lines of benchRows users.
func benchFile(b *testing.B) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range benchRows {
		name := fmt.Sprintf("user%06d", i)
		enc.Encode(map[string]any{
			"username": name, "email": name + "@example.com", "emailVerified": true,
			"firstName": "First", "lastName": "Last", "tags": []string{"imported"},
			"metadata": map[string]any{"n": i, "team": "blue"}, "roles": []string{"user"},
			"createdAt":    "2020-01-02T03:04:05Z",
			"passwordHash": "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		})
	}
	b.SetBytes(int64(buf.Len()))
	return buf.Bytes()
}
