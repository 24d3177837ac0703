package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// Accounts is what an import asks of the account service: the rules of a
// valid user, and the replacement of an existing one.
type Accounts interface {
	BuildImported(ctx context.Context, in account.Imported) (*store.User, error)
	ReplaceImported(ctx context.Context, id string, u *store.User) (*store.User, error)
}

// Options choose how an import treats the users it finds.
type Options struct {
	Update    bool // replace users that exist (else they are skipped)
	DryRun    bool // check every row and count, write nothing
	BatchSize int  // users per bulk insert (0: DefaultBatch)
}

// DefaultBatch is how many new users go to the store in one bulk insert:
// SQLite commits each in one transaction, MongoDB sends it in one
// insertMany.
const DefaultBatch = 1000

// Counts are an import's running totals. Read them with Load while the
// import runs (the progress display does).
type Counts struct {
	Read, Created, Updated, Skipped, Rejected atomic.Int64
	// Identities are linked identities read and checked; this build has no
	// social sign-in to store them in (docs/IMPORT.md).
	Identities atomic.Int64
}

// Importer imports users from one file.
type Importer struct {
	store    store.TransferStore
	accounts Accounts
	opts     Options
	rejects  *json.Encoder
	Counts   Counts

	seen    map[string]int // keys and ids of this run's rows → the row that had them
	pending []pendingUser  // new users waiting for the next bulk insert
}

type pendingUser struct {
	row Row
	u   *store.User
}

// Reject is one line of the rejects file: the row, where it was, and why.
type Reject struct {
	Row    int    `json:"row"`
	Reason string `json:"reason"`
	Field  string `json:"field,omitempty"`
	Raw    string `json:"raw"`
}

// NewImporter returns an importer writing to s through accounts' rules,
// and each rejected row to rejects as a JSON line (Reject).
func NewImporter(s store.TransferStore, accounts Accounts, rejects io.Writer, opts Options) *Importer {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatch
	}
	return &Importer{store: s, accounts: accounts, opts: opts, rejects: json.NewEncoder(rejects), seen: map[string]int{}}
}

// Run imports every row of r. A row that cannot be imported is written to
// the rejects file and the import goes on; Run returns an error only when
// it cannot go on (the file unreadable, the store failing, ctx ended),
// and then the users of the batch in hand may or may not be stored:
// running the import again skips those that are.
func (im *Importer) Run(ctx context.Context, r Reader) error {
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return im.flush(ctx)
		}
		if err != nil {
			return err
		}
		im.Counts.Read.Add(1)
		if err := im.one(ctx, row); err != nil {
			return err
		}
	}
}

// one imports a row: rejected, skipped, updated or queued for the next
// bulk insert.
func (im *Importer) one(ctx context.Context, row Row) error {
	if row.Err != nil {
		return im.reject(row, row.Err)
	}
	u, err := im.accounts.BuildImported(ctx, row.Rec.imported())
	if err != nil {
		return im.reject(row, err)
	}
	if err := checkIdentities(row.Rec.Identities); err != nil {
		return im.reject(row, err)
	}
	if dup := im.duplicate(row, u); dup != nil {
		return im.reject(row, dup)
	}
	existing, err := im.existing(ctx, row, u)
	var two *twoUsers
	switch {
	case errors.As(err, &two):
		return im.reject(row, err)
	case err != nil:
		return err
	}
	im.Counts.Identities.Add(int64(len(row.Rec.Identities)))
	switch {
	case existing == nil:
		return im.queue(ctx, row, u)
	case !im.opts.Update:
		im.Counts.Skipped.Add(1)
		return nil
	case im.opts.DryRun:
		im.Counts.Updated.Add(1)
		return nil
	}
	if _, err := im.accounts.ReplaceImported(ctx, existing.ID, u); err != nil {
		return im.rejectOrFail(row, err)
	}
	im.Counts.Updated.Add(1)
	return nil
}

// duplicate refuses a row whose id or keys an earlier row of this run
// had: a file that names one person twice is a mistake to show, not a
// user to skip as existing.
func (im *Importer) duplicate(row Row, u *store.User) error {
	keys := userKeys(u)
	for _, k := range keys {
		if n, ok := im.seen[k.seen]; ok {
			return apperr.Input(k.field, "the %s of row %d", k.field, n)
		}
	}
	for _, k := range keys {
		im.seen[k.seen] = row.N
	}
	return nil
}

type userKey struct {
	field string // id, username, email, phone
	kind  store.KeyField
	value string
	seen  string // field + value, the key of Importer.seen
}

// userKeys are the unique keys of u: the id the file gave, then the
// normalized username, email and phone.
func userKeys(u *store.User) []userKey {
	var keys []userKey
	add := func(field string, kind store.KeyField, v string) {
		if v != "" {
			keys = append(keys, userKey{field, kind, v, field + "\x00" + v})
		}
	}
	add(store.FieldID, "", u.ID)
	add(store.FieldUsername, store.KeyUsername, u.UsernameKey)
	add(store.FieldEmail, store.KeyEmail, u.EmailKey)
	add(store.FieldPhone, store.KeyPhone, u.PhoneKey)
	return keys
}

// existing finds the stored user the row is, by its id or any unique key
// (nil: none). Keys of two different users are a *twoUsers error.
func (im *Importer) existing(ctx context.Context, row Row, u *store.User) (*store.User, error) {
	var found *store.User
	for _, k := range userKeys(u) {
		var got *store.User
		var err error
		if k.field == store.FieldID {
			if row.Rec.ID == "" {
				continue // a new id, taken by nobody
			}
			got, err = im.store.GetUser(ctx, k.value)
		} else {
			got, err = im.store.GetUserByKey(ctx, k.kind, k.value)
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, err
		case found != nil && found.ID != got.ID:
			return nil, &twoUsers{field: k.field, first: found.ID, second: got.ID}
		}
		found = got
	}
	return found, nil
}

// twoUsers is a row whose keys belong to two stored users: neither can
// be updated into it, and it cannot be created.
type twoUsers struct{ field, first, second string }

func (e *twoUsers) Error() string {
	return fmt.Sprintf("its %s is user %s's, but another of its keys is user %s's", e.field, e.second, e.first)
}

// queue adds a new user to the next bulk insert.
func (im *Importer) queue(ctx context.Context, row Row, u *store.User) error {
	im.pending = append(im.pending, pendingUser{row, u})
	if len(im.pending) < im.opts.BatchSize {
		return nil
	}
	return im.flush(ctx)
}

// flush inserts the queued users in one bulk write. If one of them
// conflicts (a user stored meanwhile by someone else), the batch is
// retried user by user, so that only that one is rejected.
func (im *Importer) flush(ctx context.Context) error {
	batch := im.pending
	im.pending = im.pending[:0:0]
	if len(batch) == 0 {
		return nil
	}
	if im.opts.DryRun {
		im.Counts.Created.Add(int64(len(batch)))
		return nil
	}
	users := make([]*store.User, len(batch))
	for i, p := range batch {
		users[i] = p.u
	}
	err := im.store.CreateUsers(ctx, users)
	switch {
	case err == nil:
		im.Counts.Created.Add(int64(len(batch)))
		return nil
	case !errors.Is(err, store.ErrAlreadyExists):
		return fmt.Errorf("storing users: %w", err)
	}
	for _, p := range batch {
		if err := im.createOne(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// createOne inserts one user of a batch that conflicted. Its id taken
// means the batch stored it before the conflict (MongoDB keeps the users
// before the failing one; existing checked that nobody else had the id).
func (im *Importer) createOne(ctx context.Context, p pendingUser) error {
	err := im.store.CreateUser(ctx, p.u)
	if errors.Is(err, store.ErrAlreadyExists) && store.ConflictField(err) == store.FieldID {
		err = nil
	}
	if err != nil {
		return im.rejectOrFail(p.row, err)
	}
	im.Counts.Created.Add(1)
	return nil
}

// rejectOrFail rejects the row for an error about it (a key taken, input
// the store refused) and returns any other error, which stops the import.
func (im *Importer) rejectOrFail(row Row, err error) error {
	var ae *apperr.Error
	if errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrInvalid) || errors.As(err, &ae) {
		return im.reject(row, err)
	}
	return fmt.Errorf("row %d: %w", row.N, err)
}

// reject writes the row and the reason to the rejects file.
func (im *Importer) reject(row Row, why error) error {
	im.Counts.Rejected.Add(1)
	rej := Reject{Row: row.N, Reason: reason(why), Raw: row.Raw}
	var ae *apperr.Error
	if errors.As(why, &ae) {
		rej.Field = ae.Field
	}
	if err := im.rejects.Encode(rej); err != nil {
		return fmt.Errorf("writing the rejects file: %w", err)
	}
	return nil
}

// reason is the text a person reads: an account rule's message, or the
// error (a taken key reads "email already taken").
func reason(err error) string {
	var ae *apperr.Error
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return store.ConflictField(err) + " already taken"
	case errors.As(err, &ae):
		if ae.Field == "" {
			return ae.Message
		}
		return ae.Field + ": " + ae.Message
	}
	return err.Error()
}

// checkIdentities refuses identities without a provider or subject.
func checkIdentities(ids []Identity) error {
	for i, id := range ids {
		if id.Provider == "" || id.Subject == "" || len(id.Provider) > 64 || len(id.Subject) > 255 {
			return apperr.Input("identities", "identity %d needs a provider (at most 64 bytes) and a subject (at most 255)", i+1)
		}
	}
	return nil
}
