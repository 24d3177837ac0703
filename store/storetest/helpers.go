package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

// t0 is the fixed origin of the suite's times: whole milliseconds in UTC,
// so expected values need no truncation unless a case is about truncation.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// day returns t0 plus n days.
func day(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }

// errBoom is returned by update callbacks that must abort the update.
var errBoom = errors.New("storetest: boom")

// newUser returns an ACTIVE user named name with an email derived from it and
// keys set the way the services set them (FoldKey). Tags, Roles and the
// metadata are left nil on purpose: reads must still return them non-nil.
func newUser(name string) *store.User {
	return prepUser(&store.User{Username: name, Email: name + "@example.com"})
}

// prepUser fills what a caller of CreateUser sets: the id, the keys (from
// Username, Email and Phone), a status and the times, where unset.
func prepUser(u *store.User) *store.User {
	if u.ID == "" {
		u.ID = store.NewID()
	}
	u.UsernameKey = store.FoldKey(u.Username)
	u.EmailKey = store.FoldKey(u.Email)
	u.PhoneKey = store.FoldKey(u.Phone)
	if u.Status == "" {
		u.Status = store.StatusActive
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = store.Now()
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	return u
}

func mustCreateUsers(t *testing.T, s store.Store, users ...*store.User) {
	t.Helper()
	for _, u := range users {
		if err := s.CreateUser(t.Context(), u); err != nil {
			t.Fatalf("CreateUser(%q): %v", u.Username, err)
		}
	}
}

func mustGetUser(t *testing.T, s store.Store, id string) *store.User {
	t.Helper()
	u, err := s.GetUser(t.Context(), id)
	if err != nil {
		t.Fatalf("GetUser(%s): %v", id, err)
	}
	return u
}

func mustCreateSession(t *testing.T, s store.Store, sessions ...*store.Session) {
	t.Helper()
	for _, ss := range sessions {
		if err := s.CreateSession(t.Context(), ss); err != nil {
			t.Fatalf("CreateSession(%s): %v", ss.ID, err)
		}
	}
}

// newSession returns a live session of userID created at created.
func newSession(userID string, created time.Time) *store.Session {
	return &store.Session{
		ID:         store.NewID(),
		UserID:     userID,
		Kind:       store.SessionUser,
		CreatedAt:  created,
		LastSeenAt: created,
		ExpiresAt:  created.Add(30 * 24 * time.Hour),
	}
}

// wantErrIs fails unless errors.Is(err, target).
func wantErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// wantConflict fails unless err is ErrAlreadyExists naming field.
func wantConflict(t *testing.T, what string, err error, field string) {
	t.Helper()
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("%s: got error %v, want ErrAlreadyExists", what, err)
		return
	}
	if got := store.ConflictField(err); got != field {
		t.Errorf("%s: ConflictField got %q, want %q", what, got, field)
	}
}

// sameTime reports whether got is what the store must give back for want:
// exactly store.Trunc(want), in UTC (zero stays zero).
func sameTime(got, want time.Time) bool {
	want = store.Trunc(want)
	if want.IsZero() {
		return got.IsZero()
	}
	return got.Equal(want) && got.Location() == time.UTC
}

// checkTime reports a field whose time is not what the store must return.
func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !sameTime(got, want) {
		t.Errorf("%s: got %v (%v), want %v in UTC", what, got, got.Location(), store.Trunc(want))
	}
}

// decodeJSON decodes raw into plain Go values (numbers as float64, so 1 and
// 1.0 are equal: the store may re-encode documents).
func decodeJSON(raw json.RawMessage) (any, error) {
	var v any
	err := json.Unmarshal(raw, &v)
	return v, err
}

// checkJSON compares documents semantically. A nil want means the empty
// object the store keeps for nil; got must always be a valid document.
func checkJSON(t *testing.T, what string, got, want json.RawMessage) {
	t.Helper()
	if len(want) == 0 {
		want = json.RawMessage(`{}`)
	}
	g, err := decodeJSON(got)
	if err != nil {
		t.Errorf("%s: got %q, not a JSON document: %v", what, got, err)
		return
	}
	w, err := decodeJSON(want)
	if err != nil {
		t.Fatalf("%s: bad expected JSON %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got %s, want %s", what, got, want)
	}
}

// orEmpty is the slice the store must give back for s (never nil).
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// checkUser compares every field of a user read back with the one written.
// Version is the store's: callers compare it where a case is about it.
func checkUser(t *testing.T, what string, got, want *store.User) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil user", what)
	}
	strs := []struct {
		field     string
		got, want string
	}{
		{"ID", got.ID, want.ID},
		{"Username", got.Username, want.Username},
		{"Email", got.Email, want.Email},
		{"Phone", got.Phone, want.Phone},
		{"UsernameKey", got.UsernameKey, want.UsernameKey},
		{"EmailKey", got.EmailKey, want.EmailKey},
		{"PhoneKey", got.PhoneKey, want.PhoneKey},
		{"FirstName", got.FirstName, want.FirstName},
		{"LastName", got.LastName, want.LastName},
		{"FullName", got.FullName, want.FullName},
		{"Website", got.Website, want.Website},
		{"AvatarURL", got.AvatarURL, want.AvatarURL},
		{"Address", got.Address, want.Address},
		{"AdditionalInfo", got.AdditionalInfo, want.AdditionalInfo},
		{"Status", string(got.Status), string(want.Status)},
		{"PasswordHash", got.PasswordHash, want.PasswordHash},
		{"PendingEmail", got.PendingEmail, want.PendingEmail},
		{"EmailVerification.Status", string(got.EmailVerification.Status), string(want.EmailVerification.Status)},
		{"EmailVerification.MessageID", got.EmailVerification.MessageID, want.EmailVerification.MessageID},
	}
	for _, f := range strs {
		if f.got != f.want {
			t.Errorf("%s: %s got %q, want %q", what, f.field, f.got, f.want)
		}
	}
	if got.EmailVerified != want.EmailVerified {
		t.Errorf("%s: EmailVerified got %v, want %v", what, got.EmailVerified, want.EmailVerified)
	}
	if got.IsGuest != want.IsGuest {
		t.Errorf("%s: IsGuest got %v, want %v", what, got.IsGuest, want.IsGuest)
	}
	if got.Tags == nil || !slices.Equal(got.Tags, orEmpty(want.Tags)) {
		t.Errorf("%s: Tags got %#v, want %#v", what, got.Tags, orEmpty(want.Tags))
	}
	if got.Roles == nil || !slices.Equal(got.Roles, orEmpty(want.Roles)) {
		t.Errorf("%s: Roles got %#v, want %#v", what, got.Roles, orEmpty(want.Roles))
	}
	checkJSON(t, what+": Metadata", got.Metadata, want.Metadata)
	checkJSON(t, what+": AppMetadata", got.AppMetadata, want.AppMetadata)
	checkTime(t, what+": DeletedAt", got.DeletedAt, want.DeletedAt)
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+": UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	checkTime(t, what+": LastLoginAt", got.LastLoginAt, want.LastLoginAt)
	checkTime(t, what+": LastRequestAt", got.LastRequestAt, want.LastRequestAt)
	checkLockout(t, what+": Lockout", got.Lockout, want.Lockout)
	checkTime(t, what+": EmailVerification.At", got.EmailVerification.At, want.EmailVerification.At)
}

// checkLockout compares lockout states as the store must give them back.
func checkLockout(t *testing.T, what string, got, want store.Lockout) {
	t.Helper()
	if got.Failures != want.Failures {
		t.Errorf("%s: Failures got %d, want %d", what, got.Failures, want.Failures)
	}
	checkTime(t, what+": LastFailure", got.LastFailure, want.LastFailure)
	checkTime(t, what+": LockedUntil", got.LockedUntil, want.LockedUntil)
}

// set returns the sorted copy of names, for order-insensitive comparison.
func set(names []string) []string {
	out := slices.Clone(orEmpty(names))
	slices.Sort(out)
	return out
}

// sameSet reports whether a and b hold the same names (ignoring order).
func sameSet(a, b []string) bool { return slices.Equal(set(a), set(b)) }

// ids returns the ids of users, in order.
func ids(users []*store.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// labeler names seeded users by a readable label, so a failing case prints
// "ann, bob" rather than ids.
type labeler map[string]string // id → label

func (l labeler) labels(users []*store.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		if name, ok := l[u.ID]; ok {
			out[i] = name
		} else {
			out[i] = "?" + u.ID
		}
	}
	return out
}

// show prints a list of labels for messages.
func show(labels []string) string { return "[" + strings.Join(labels, " ") + "]" }

// raw is shorthand for a JSON literal.
func raw(s string) json.RawMessage { return json.RawMessage(s) }

// listAll returns every user matching f in the default order (one page).
func listAll(t *testing.T, s store.Store, f *store.UserFilter) []*store.User {
	t.Helper()
	page, err := s.ListUsers(t.Context(), store.UserQuery{Filter: f, Limit: 10000})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if page.HasNext {
		t.Fatalf("ListUsers with Limit 10000: HasNext true")
	}
	return page.Users
}

// mustCount is CountUsers that fails the test on error.
func mustCount(t *testing.T, s store.Store, f *store.UserFilter) int {
	t.Helper()
	n, err := s.CountUsers(t.Context(), f)
	if err != nil {
		t.Fatalf("CountUsers: %v", err)
	}
	return n
}

// fmtErrs joins the errors collected from goroutines, which may not call
// t.Fatal themselves.
func fmtErrs(errs []error) string {
	var b strings.Builder
	for _, err := range errs {
		fmt.Fprintf(&b, "\n\t%v", err)
	}
	return b.String()
}
