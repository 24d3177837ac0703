package mongo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/usergraph/usergraph/store"
)

func writeErr(code int, msg string) error {
	return mongo.WriteException{WriteErrors: mongo.WriteErrors{{Code: code, Message: msg}}}
}

func TestDupIndex(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		index string
		dup   bool
	}{
		{"MongoDB names the index",
			writeErr(11000, `E11000 duplicate key error collection: app.users index: unique_email dup key: { unique.email: "a@b.c" }`),
			indexEmail, true},
		{"FerretDB does not", writeErr(11000, `E11000 duplicate key error collection: app.users`), "", true},
		{"not a duplicate", writeErr(2, `index: unique_email`), "", false},
		{"no server error", errors.New("E11000 index: x "), "", false},
	}
	for _, c := range cases {
		index, dup := dupIndex(c.err)
		if index != c.index || dup != c.dup {
			t.Errorf("%s: got %q, %v; want %q, %v", c.name, index, dup, c.index, c.dup)
		}
	}
	err := idConflict("insert setting", writeErr(11000, "E11000 duplicate key error"), store.FieldName)
	if !errors.Is(err, store.ErrAlreadyExists) || store.ConflictField(err) != store.FieldName {
		t.Errorf("idConflict: got %v, want ErrAlreadyExists naming %q", err, store.FieldName)
	}
}

// A fault names the operation and the kind of failure, never the
// driver's text (which may quote documents); errors.Is still sees through.
func TestWrap(t *testing.T) {
	if err := wrap("find user", mongo.ErrNoDocuments); err != store.ErrNotFound {
		t.Errorf("no documents: got %v, want ErrNotFound", err)
	}
	if err := wrap("x", nil); err != nil {
		t.Errorf("nil: got %v", err)
	}
	conflict := store.AlreadyExists(store.FieldEmail)
	if err := wrap("x", conflict); err != conflict {
		t.Errorf("store errors pass: got %v", err)
	}
	secret := mongo.CommandError{Code: 1, Name: "InternalError", Message: `UNIQUE constraint failed: {"password":"hunter2"}`}
	err := wrap("update user", secret)
	if got, want := err.Error(), "mongodb: update user failed (InternalError)"; got != want {
		t.Errorf("fault message: got %q, want %q", got, want)
	}
	var ce mongo.CommandError
	if !errors.As(err, &ce) {
		t.Errorf("fault does not unwrap to the driver error")
	}
	if !strings.Contains(fmt.Sprint(err.(*fault).LogValue()), "hunter2") {
		t.Errorf("LogValue lacks the driver's message")
	}
	canceled := wrap("find user", fmt.Errorf("op: %w", context.Canceled))
	if !errors.Is(canceled, context.Canceled) || canceled.Error() != "mongodb: find user failed (canceled)" {
		t.Errorf("canceled: got %q", canceled)
	}
}

func TestNotImplemented(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{mongo.CommandError{Code: 238, Name: "NotImplemented"}, true},
		{mongo.CommandError{Code: 115, Name: "CommandNotSupported"}, true},
		{mongo.CommandError{Code: 2, Message: "TTL indexes are not supported"}, true},
		{mongo.CommandError{Code: 85, Name: "IndexOptionsConflict"}, false},
		{context.DeadlineExceeded, false},
	} {
		if got := notImplemented(c.err); got != c.want {
			t.Errorf("notImplemented(%v): got %v, want %v", c.err, got, c.want)
		}
	}
}

func TestURIHostAndDatabase(t *testing.T) {
	for _, c := range []struct{ uri, host, db string }{
		{"mongodb://127.0.0.1:27017/", "127.0.0.1:27017", ""},
		{"mongodb://u:p%40ss@a:1,b:2/app?replicaSet=rs0", "a:1,b:2", "app"},
		{"mongodb+srv://user:pw@cluster0.example.net/usergraph?retryWrites=true", "cluster0.example.net", "usergraph"},
		{"mongodb://host", "host", ""},
	} {
		host, db := uriHostAndDatabase(c.uri)
		if host != c.host || db != c.db {
			t.Errorf("uriHostAndDatabase(%q): got %q, %q; want %q, %q", c.uri, host, db, c.host, c.db)
		}
	}
	if got := databaseName("", ""); got != "usergraph" {
		t.Errorf("default database: got %q", got)
	}
	if got := databaseName("opt", "uri"); got != "opt" {
		t.Errorf("option wins: got %q", got)
	}
}
