package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
	"github.com/usergraph/usergraph/transfer"
)

// rows is a Reader over rows in hand.
type rows struct{ list []transfer.Row }

func (r *rows) Next() (transfer.Row, error) {
	if len(r.list) == 0 {
		return transfer.Row{}, io.EOF
	}
	row := r.list[0]
	r.list = r.list[1:]
	return row, nil
}

func row(n int, rec transfer.Record) transfer.Row {
	raw, _ := json.Marshal(rec)
	return transfer.Row{N: n, Raw: string(raw), Rec: &rec}
}

// racing is the real store with another writer that stores a user just
// before the importer's bulk insert, after the importer looked the batch's
// keys up: the interleaving a concurrent sign-up can produce.
type racing struct {
	*sqlite.DB
	other *store.User
}

func (r *racing) CreateUsers(ctx context.Context, users []*store.User) error {
	if r.other != nil {
		if err := r.DB.CreateUser(ctx, r.other); err != nil {
			return err
		}
		r.other = nil
	}
	return r.DB.CreateUsers(ctx, users)
}

// TestImportConflictMidBatch: a user stored by someone else after the
// importer looked up a batch, and before the batch is written, costs one
// row only: the batch is retried user by user, the others are stored, and
// the row is in the rejects file with the key it lost.
func TestImportConflictMidBatch(t *testing.T) {
	e := newEnv(t)
	src := &rows{list: []transfer.Row{
		row(1, transfer.Record{Username: "ann", Email: "ann@example.com"}),
		row(2, transfer.Record{Username: "bob"}),
		row(3, transfer.Record{Username: "cy"}),
	}}
	db := &racing{DB: e.db, other: &store.User{ID: store.NewID(), Username: "other", UsernameKey: "other",
		Email: "ann@example.com", EmailKey: "ann@example.com", Status: store.StatusActive, CreatedAt: store.Now()}}
	var rejects bytes.Buffer
	im := transfer.NewImporter(db, e.accounts.StartImport(), &rejects, transfer.Options{BatchSize: 3})
	if err := im.Run(t.Context(), src); err != nil {
		t.Fatal(err)
	}
	if got, want := [2]int64{im.Counts.Created.Load(), im.Counts.Rejected.Load()}, [2]int64{2, 1}; got != want {
		t.Errorf("created, rejected = %v, want %v", got, want)
	}
	var rej transfer.Reject
	if err := json.Unmarshal(rejects.Bytes(), &rej); err != nil || rej.Row != 1 || rej.Reason != "email already taken" {
		t.Errorf("rejects file = %s (%v), want row 1, email already taken", rejects.String(), err)
	}
	for _, name := range []string{"bob", "cy"} {
		if _, err := e.db.GetUserByKey(t.Context(), store.KeyUsername, name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := e.db.GetUserByKey(t.Context(), store.KeyUsername, "ann"); err == nil {
		t.Error("ann was stored with an email someone else has")
	}
}

// TestImportKeysOfTwoUsers: a row whose username is one user's and email
// another's can be neither created nor updated into one of them.
func TestImportKeysOfTwoUsers(t *testing.T) {
	e := newEnv(t)
	first := &rows{list: []transfer.Row{
		row(1, transfer.Record{Username: "ann"}),
		row(2, transfer.Record{Username: "bob", Email: "bob@example.com"}),
	}}
	im := transfer.NewImporter(e.db, e.accounts.StartImport(), io.Discard, transfer.Options{})
	if err := im.Run(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	var rejects bytes.Buffer
	im = transfer.NewImporter(e.db, e.accounts.StartImport(), &rejects, transfer.Options{Update: true})
	if err := im.Run(t.Context(), &rows{list: []transfer.Row{row(1, transfer.Record{Username: "ann", Email: "bob@example.com"})}}); err != nil {
		t.Fatal(err)
	}
	if im.Counts.Rejected.Load() != 1 || !strings.Contains(rejects.String(), "another of its keys") {
		t.Errorf("rejected %d: %s; want the row rejected for naming two users", im.Counts.Rejected.Load(), rejects.String())
	}
	ann, _ := e.db.GetUserByKey(t.Context(), store.KeyUsername, "ann")
	if ann.Email != "" {
		t.Errorf("ann's email became %q", ann.Email)
	}
}

// TestReadCSV: quoted cells, lists as JSON or commas, objects, an empty
// roles cell (no roles) beside a missing one (the default), and a row of
// the wrong width, which is that row's error only.
func TestReadCSV(t *testing.T) {
	in := "\ufeffusername,email,tags,roles,metadata,createdAt,emailVerified\n" +
		`ann,ann@example.com,"a, b",,"{""k"":1}",2020-01-02T03:04:05Z,true` + "\n" +
		`bob,,"[""x""]","user,admin",,,` + "\n" +
		`short,row` + "\n" +
		`cy,,,user,,,false` + "\n"
	r, err := transfer.NewCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []transfer.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	if len(got) != 4 {
		t.Fatalf("%d rows, want 4", len(got))
	}
	ann, bob := got[0].Rec, got[1].Rec
	if fmt.Sprint(ann.Tags) != "[a b]" || ann.Roles == nil || len(ann.Roles) != 0 || string(ann.Metadata) != `{"k":1}` ||
		!ann.EmailVerified || ann.CreatedAt.Year() != 2020 || got[0].N != 2 {
		t.Errorf("ann = %+v (row %d)", ann, got[0].N)
	}
	if fmt.Sprint(bob.Tags) != "[x]" || fmt.Sprint(bob.Roles) != "[user admin]" {
		t.Errorf("bob = %+v", bob)
	}
	if got[2].Err == nil || got[2].N != 4 {
		t.Errorf("the short row: %+v, want an error on line 4", got[2])
	}
	if got[3].Err != nil || got[3].Rec.Username != "cy" {
		t.Errorf("the row after the short one: %+v", got[3])
	}
	if _, err := transfer.NewCSV(strings.NewReader("username,nickname\n")); err == nil {
		t.Error("a CSV with an unknown column was accepted")
	}
}

// TestReadJSONLinesTooLong: a line over the bound is that row's error,
// and the next line is read.
func TestReadJSONLinesTooLong(t *testing.T) {
	in := `{"username": "` + strings.Repeat("a", 2<<20) + `"}` + "\n" + `{"username": "next"}` + "\n"
	r := transfer.NewJSONLines(strings.NewReader(in))
	first, err := r.Next()
	if err != nil || first.Err == nil || len(first.Raw) > 1000 {
		t.Fatalf("the long line: %v, row error %v, raw of %d bytes; want a row error and a short raw", err, first.Err, len(first.Raw))
	}
	next, err := r.Next()
	if err != nil || next.Err != nil || next.Rec.Username != "next" || next.N != 2 {
		t.Fatalf("the next line: %+v, %v", next, err)
	}
}

// TestReadFirebaseEntryTooLong: a Firebase export's users are decoded one
// whole entry at a time, so an entry over the bound stops the read with an
// error rather than being held in memory; the entries before it are read.
func TestReadFirebaseEntryTooLong(t *testing.T) {
	in := `{"users": [{"localId": "u1", "email": "a@example.com"}, {"localId": "u2", "displayName": "` +
		strings.Repeat("a", 3<<20) + `"}]}`
	r := transfer.NewFirebase(strings.NewReader(in), password.FirebaseParams{})
	if first, err := r.Next(); err != nil || first.Err != nil {
		t.Fatalf("the first user: %+v, %v", first, err)
	}
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("the 3 MiB entry: %v, want an error naming the bound", err)
	}
}

// TestImportIdentities: a row's identities are linked to its user; one
// another user has rejects the row before anything of it is stored; and a
// second run, with -update, finds them linked and changes nothing.
func TestImportIdentities(t *testing.T) {
	e := newEnv(t)
	owner := &store.User{ID: store.NewID(), Username: "owner", UsernameKey: "owner", Status: store.StatusActive, CreatedAt: store.Now()}
	must(t, e.db.CreateUser(t.Context(), owner))
	must(t, e.db.CreateIdentity(t.Context(), &store.Identity{UserID: owner.ID, Provider: "github", Subject: "42", LinkedAt: store.Now()}))
	file := func() *rows {
		return &rows{list: []transfer.Row{
			row(1, transfer.Record{Username: "ann", Identities: []transfer.Identity{{Provider: "google", Subject: "g-ann", Email: "ann@gmail.example"}}}),
			row(2, transfer.Record{Username: "bob", Identities: []transfer.Identity{{Provider: "github", Subject: "42"}}}),
			row(3, transfer.Record{Username: "cy", Identities: []transfer.Identity{{Provider: "Google!", Subject: "x"}}}),
		}}
	}
	var rejects bytes.Buffer
	im := transfer.NewImporter(e.db, e.accounts.StartImport(), &rejects, transfer.Options{})
	must(t, im.Run(t.Context(), file()))
	if got, want := [3]int64{im.Counts.Created.Load(), im.Counts.Rejected.Load(), im.Counts.Identities.Load()}, [3]int64{1, 2, 1}; got != want {
		t.Errorf("created, rejected, identities linked = %v, want %v; rejects:\n%s", got, want, rejects.String())
	}
	if !strings.Contains(rejects.String(), "is linked to user "+owner.ID) || !strings.Contains(rejects.String(), "not a provider name") {
		t.Errorf("rejects:\n%s", rejects.String())
	}
	if _, err := e.db.GetUserByKey(t.Context(), store.KeyUsername, "bob"); err == nil {
		t.Error("bob was stored without the identity his row named")
	}
	id, err := e.db.GetIdentity(t.Context(), "google", "g-ann")
	ann, _ := e.db.GetUserByKey(t.Context(), store.KeyUsername, "ann")
	if err != nil || ann == nil || id.UserID != ann.ID || id.Email != "ann@gmail.example" || !id.LinkedAt.Equal(ann.CreatedAt) {
		t.Fatalf("ann's identity = %+v, %v", id, err)
	}

	rejects.Reset()
	im = transfer.NewImporter(e.db, e.accounts.StartImport(), &rejects, transfer.Options{Update: true})
	must(t, im.Run(t.Context(), file()))
	if got, want := [2]int64{im.Counts.Updated.Load(), im.Counts.Identities.Load()}, [2]int64{1, 0}; got != want {
		t.Errorf("second run: updated, identities linked = %v, want %v; rejects:\n%s", got, want, rejects.String())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
