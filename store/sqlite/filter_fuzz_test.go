package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/usergraph/usergraph/store"
)

// FuzzCompileFilter compiles filters (JSON, decoded into store.UserFilter
// as the resolvers' input would be; field names match case-insensitively,
// so the seeds read like GraphQL filters) and runs the valid ones on a real
// SQLite file. It holds that:
//   - a filter ValidateFilter refuses compiles to nothing and is ErrInvalid;
//   - a valid one compiles to SQL that SQLite accepts and runs (no
//     expression too deep, no variable past 32,766);
//   - the SQL and its arguments grow at most linearly with the input.
//
// The committed corpus (testdata/fuzz/FuzzCompileFilter) holds the attack
// inputs: a 1000-branch or, filters one past each limit, deep nots.
func FuzzCompileFilter(f *testing.F) {
	f.Add([]byte(`{"or":[{"ids":["a"]},{"tags":{"all":["x","y"]}}],"not":{"search":"Ann"}}`))
	db, err := Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	if err := db.CreateUsers(context.Background(), fuzzUsers()); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var uf store.UserFilter
		if json.Unmarshal(data, &uf) != nil {
			return
		}
		sql, args, err := compileFilter(&uf)
		if verr := store.ValidateFilter(&uf); verr != nil {
			if !errors.Is(err, store.ErrInvalid) || sql != "" || args != nil {
				t.Fatalf("invalid filter (%v) compiled: %q, %v", verr, sql, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid filter does not compile: %v", err)
		}
		if len(args) > store.HardFilterLimits.Terms {
			t.Errorf("%d SQL arguments, more than the %d terms a filter may have", len(args), store.HardFilterLimits.Terms)
		}
		if max := sqlPerInputByte*len(data) + 64; len(sql) > max {
			t.Errorf("%d bytes of SQL from %d bytes of filter, want at most %d", len(sql), len(data), max)
		}
		if _, err := db.CountUsers(context.Background(), &uf); err != nil {
			t.Fatalf("SQLite refuses a valid filter: %v\nSQL: %.2000s", err, sql)
		}
	})
}

// sqlPerInputByte bounds the SQL a filter compiles to per byte of its JSON.
// The largest expansion is a short name in tags.all ("a", 4 bytes), which
// becomes an EXISTS over json_each of some 60 bytes.
const sqlPerInputByte = 24

// fuzzUsers are a few users whose JSON the fuzzed predicates walk.
func fuzzUsers() []*store.User {
	docs := []string{`{}`, `{"a":1,"b":{"c":"x","d":[1,"x",true,null]},"e":"text"}`, `{"a":[{"b":1}],"b":"c"}`}
	var users []*store.User
	for i, doc := range docs {
		name := string(rune('a' + i))
		users = append(users, &store.User{ID: store.NewID(), Username: name, UsernameKey: name, Status: store.StatusActive,
			Tags: []string{"x"}, Roles: []string{"user"}, Metadata: json.RawMessage(doc), AppMetadata: json.RawMessage(doc),
			CreatedAt: store.Now(), UpdatedAt: store.Now()})
	}
	return users
}
