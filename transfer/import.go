package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// Accounts is what an import asks of the account service
// (account.Service.StartImport): the rules of a valid user, and the
// replacement of an existing one.
type Accounts interface {
	Build(ctx context.Context, in account.Imported) (*store.User, error)
	Replace(ctx context.Context, id string, u *store.User) (*store.User, error)
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
	// Identities are the identities linked to the users created or updated.
	Identities atomic.Int64
}

// Importer imports users from one file.
type Importer struct {
	store    store.TransferStore
	accounts Accounts
	opts     Options
	rejects  *json.Encoder
	rejectMu sync.Mutex // the insert in flight rejects beside the rows being read
	Counts   Counts

	// writing is the bulk insert in flight, at most one: the next batch is
	// read, checked and looked up while it runs. Its error is written to
	// written before writing closes.
	writing chan struct{}
	written error

	seen    map[string]int // keys and ids of this run's rows → the row that had them
	pending []pendingUser  // checked rows waiting for the next batch
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
			return errors.Join(im.flush(ctx), im.wait())
		}
		if err != nil {
			return errors.Join(err, im.wait())
		}
		im.Counts.Read.Add(1)
		if err := im.one(ctx, row); err != nil {
			return errors.Join(err, im.wait())
		}
	}
}

// one checks a row and queues it for the next batch, or rejects it.
func (im *Importer) one(ctx context.Context, row Row) error {
	if row.Err != nil {
		return im.reject(row, row.Err)
	}
	u, err := im.accounts.Build(ctx, row.Rec.imported())
	if err != nil {
		return im.reject(row, err)
	}
	if err := checkIdentities(row.Rec.Identities); err != nil {
		return im.reject(row, err)
	}
	if dup := im.duplicate(row, u); dup != nil {
		return im.reject(row, dup)
	}
	im.pending = append(im.pending, pendingUser{row, u})
	if len(im.pending) < im.opts.BatchSize {
		return nil
	}
	return im.flush(ctx)
}

// duplicate refuses a row whose id or keys an earlier row of this run
// had: a file that names one person twice is a mistake to show, not a
// user to skip as existing.
func (im *Importer) duplicate(row Row, u *store.User) error {
	keys := userKeys(u, row.Rec.ID != "")
	for _, id := range row.Rec.Identities { // two users cannot have one provider account either
		keys = append(keys, userKey{"identities", id.Provider + " " + id.Subject, "identity\x00" + id.Provider + "\x00" + id.Subject})
	}
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
	value string
	seen  string // field + value: the key of Importer.seen and of a batch's stored users
}

// userKeys are the unique keys of u: the id when the file gave it (a new
// one is nobody's), then the normalized username, email and phone.
func userKeys(u *store.User, givenID bool) []userKey {
	var keys []userKey
	add := func(field, v string) {
		if v != "" {
			keys = append(keys, userKey{field, v, field + "\x00" + v})
		}
	}
	if givenID {
		add(store.FieldID, u.ID)
	}
	add(store.FieldUsername, u.UsernameKey)
	add(store.FieldEmail, u.EmailKey)
	add(store.FieldPhone, u.PhoneKey)
	return keys
}

// flush sorts the queued users into new and existing ones with one store
// query per lookupChunk of them, updates or skips the existing ones, and
// starts the bulk insert of the new ones once the one before has ended.
func (im *Importer) flush(ctx context.Context) error {
	batch := im.pending
	im.pending = im.pending[:0:0]
	if len(batch) == 0 {
		return nil
	}
	stored, err := im.lookup(ctx, batch)
	if err != nil {
		return err
	}
	var fresh []pendingUser
	for _, p := range batch {
		existing, err := match(p, stored)
		if err == nil && (existing == nil || im.opts.Update) {
			err = im.identitiesFree(ctx, p, existing)
		}
		switch {
		case isRowError(err):
			err = im.reject(p.row, err)
		case err != nil:
			return err
		case existing == nil:
			fresh = append(fresh, p)
		default:
			err = im.replace(ctx, p, existing)
		}
		if err != nil {
			return err
		}
	}
	if err := im.wait(); err != nil {
		return err
	}
	im.writing = make(chan struct{})
	go func() {
		defer close(im.writing)
		im.written = im.create(ctx, fresh)
	}()
	return nil
}

// wait waits for the bulk insert in flight, if any, and returns its error.
// Lookups of a batch need not wait for the insert before it: a key of
// both would be a duplicate within the file, rejected already.
func (im *Importer) wait() error {
	if im.writing == nil {
		return nil
	}
	<-im.writing
	im.writing = nil
	return im.written
}

// lookupChunk is how many rows' keys one lookup query carries: four lists
// of at most this many, well within the store's filter limits.
const lookupChunk = 250

// lookup finds the stored users that hold any id or key of the batch,
// indexed by userKey.seen.
func (im *Importer) lookup(ctx context.Context, batch []pendingUser) (map[string]*store.User, error) {
	stored := map[string]*store.User{}
	for start := 0; start < len(batch); start += lookupChunk {
		f := keysFilter(batch[start:min(start+lookupChunk, len(batch))])
		q := store.UserQuery{Filter: f, Limit: exportPage}
		for {
			page, err := im.store.ListUsers(ctx, q)
			if err != nil {
				return nil, fmt.Errorf("looking up existing users: %w", err)
			}
			for _, u := range page.Users {
				for _, k := range userKeys(u, true) {
					stored[k.seen] = u
				}
			}
			if !page.HasNext {
				break
			}
			q.After = store.CursorOf(page.Users[len(page.Users)-1], nil)
		}
	}
	return stored, nil
}

// keysFilter matches the users holding any id or key of the rows.
func keysFilter(rows []pendingUser) *store.UserFilter {
	var ids, usernames, emails, phones []string
	for _, p := range rows {
		for _, k := range userKeys(p.u, p.row.Rec.ID != "") {
			switch k.field {
			case store.FieldID:
				ids = append(ids, k.value)
			case store.FieldUsername:
				usernames = append(usernames, k.value)
			case store.FieldEmail:
				emails = append(emails, k.value)
			case store.FieldPhone:
				phones = append(phones, k.value)
			}
		}
	}
	or := []store.UserFilter{}
	for _, f := range []store.UserFilter{{IDs: ids}, {Usernames: usernames}, {Emails: emails}, {Phones: phones}} {
		if f.IDs != nil || f.Usernames != nil || f.Emails != nil || f.Phones != nil {
			or = append(or, f)
		}
	}
	return &store.UserFilter{Or: or}
}

// match is the stored user the row is, by its id or any key (nil: none).
// Keys of two different users are a *twoUsers error.
func match(p pendingUser, stored map[string]*store.User) (*store.User, error) {
	var found *store.User
	for _, k := range userKeys(p.u, p.row.Rec.ID != "") {
		got := stored[k.seen]
		switch {
		case got == nil:
		case found != nil && found.ID != got.ID:
			return nil, &twoUsers{field: k.field, first: found.ID, second: got.ID}
		default:
			found = got
		}
	}
	return found, nil
}

// twoUsers is a row whose keys belong to two stored users: neither can
// be updated into it, and it cannot be created.
type twoUsers struct{ field, first, second string }

func (e *twoUsers) Error() string {
	return fmt.Sprintf("its %s is user %s's, but another of its keys is user %s's", e.field, e.second, e.first)
}

// isRowError tells a row's fault (two users' keys, an identity another
// user has) from the store's.
func isRowError(err error) bool {
	var two *twoUsers
	var taken *identityTaken
	return errors.As(err, &two) || errors.As(err, &taken)
}

// identityTaken is a row's identity that another user has.
type identityTaken struct{ provider, subject, user string }

func (e *identityTaken) Error() string {
	return fmt.Sprintf("identities: the %s account %s is linked to user %s", e.provider, e.subject, e.user)
}

// identitiesFree checks, before anything of the row is written, that no
// other user has its identities: a user stored without the identity its
// row named would be half an import.
func (im *Importer) identitiesFree(ctx context.Context, p pendingUser, existing *store.User) error {
	for _, id := range p.row.Rec.Identities {
		got, err := im.store.GetIdentity(ctx, id.Provider, id.Subject)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("looking up identities: %w", err)
		case existing == nil || got.UserID != existing.ID:
			return &identityTaken{id.Provider, id.Subject, got.UserID}
		}
	}
	return nil
}

// link links the row's identities to the user stored for it. An identity
// taken meanwhile (identitiesFree found it free) is written to the rejects
// file, saying the user itself was stored; one the user has already is
// left as it is.
func (im *Importer) link(ctx context.Context, p pendingUser, userID string) error {
	for _, id := range p.row.Rec.Identities {
		err := im.store.CreateIdentity(ctx, &store.Identity{UserID: userID, Provider: id.Provider,
			Subject: id.Subject, Email: id.Email, LinkedAt: linkedAt(id, p.u)})
		switch {
		case err == nil:
			im.Counts.Identities.Add(1)
		case errors.Is(err, store.ErrAlreadyExists):
			if got, gerr := im.store.GetIdentity(ctx, id.Provider, id.Subject); gerr == nil && got.UserID == userID {
				continue // linked by an earlier run
			}
			if err := im.reject(p.row, fmt.Errorf("the user was stored, but not its %s identity: %s already taken", id.Provider, store.ConflictField(err))); err != nil {
				return err
			}
		default:
			return fmt.Errorf("row %d: linking its %s identity: %w", p.row.N, id.Provider, err)
		}
	}
	return nil
}

// linkedAt is when the identity was linked: as the file says, else when
// the user was created.
func linkedAt(id Identity, u *store.User) time.Time {
	if !id.LinkedAt.IsZero() {
		return id.LinkedAt
	}
	return u.CreatedAt
}

// replace updates an existing user with -update, else skips it.
func (im *Importer) replace(ctx context.Context, p pendingUser, existing *store.User) error {
	switch {
	case !im.opts.Update:
		im.Counts.Skipped.Add(1)
		return nil
	case im.opts.DryRun:
		im.Counts.Updated.Add(1)
		im.Counts.Identities.Add(int64(len(p.row.Rec.Identities))) // at most: some may be linked already
		return nil
	}
	if _, err := im.accounts.Replace(ctx, existing.ID, p.u); err != nil {
		return im.rejectOrFail(p.row, err)
	}
	im.Counts.Updated.Add(1)
	return im.link(ctx, p, existing.ID)
}

// create inserts new users in one bulk write. If one of them conflicts (a
// user stored meanwhile by someone else), they are inserted one by one,
// so that only that one is rejected.
func (im *Importer) create(ctx context.Context, fresh []pendingUser) error {
	if len(fresh) == 0 {
		return nil
	}
	if im.opts.DryRun {
		im.Counts.Created.Add(int64(len(fresh)))
		for _, p := range fresh {
			im.Counts.Identities.Add(int64(len(p.row.Rec.Identities)))
		}
		return nil
	}
	users := make([]*store.User, len(fresh))
	for i, p := range fresh {
		users[i] = p.u
	}
	err := im.store.CreateUsers(ctx, users)
	switch {
	case err == nil:
		im.Counts.Created.Add(int64(len(fresh)))
		for _, p := range fresh {
			if err := im.link(ctx, p, p.u.ID); err != nil {
				return err
			}
		}
		return nil
	case !errors.Is(err, store.ErrAlreadyExists):
		return fmt.Errorf("storing users: %w", err)
	}
	for _, p := range fresh {
		if err := im.createOne(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// createOne inserts one user of a bulk write that conflicted. Its id
// taken means the bulk write stored it before the conflict (MongoDB keeps
// the users before the failing one; lookup found nobody with the id).
func (im *Importer) createOne(ctx context.Context, p pendingUser) error {
	err := im.store.CreateUser(ctx, p.u)
	if errors.Is(err, store.ErrAlreadyExists) && store.ConflictField(err) == store.FieldID {
		err = nil
	}
	if err != nil {
		return im.rejectOrFail(p.row, err)
	}
	im.Counts.Created.Add(1)
	return im.link(ctx, p, p.u.ID)
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
	im.rejectMu.Lock()
	defer im.rejectMu.Unlock()
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

// providerName is what social sign-in names a provider (social/config.go).
var providerName = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// checkIdentities refuses identities without a provider name social
// sign-in could have, or without a subject, and two of one provider (a
// user has one identity per provider).
func checkIdentities(ids []Identity) error {
	seen := map[string]bool{}
	for i, id := range ids {
		switch {
		case !providerName.MatchString(id.Provider):
			return apperr.Input("identities", "identity %d: provider %q is not a provider name (a-z, 0-9, _ and -, at most 32)", i+1, id.Provider)
		case id.Subject == "" || len(id.Subject) > 255:
			return apperr.Input("identities", "identity %d needs a subject of at most 255 bytes", i+1)
		case seen[id.Provider]:
			return apperr.Input("identities", "two identities of provider %q", id.Provider)
		}
		seen[id.Provider] = true
	}
	return nil
}
