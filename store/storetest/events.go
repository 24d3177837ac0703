package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var eventTests = []subTest{
	{"EventsWithUserWrites", testEventsWithUserWrites},
	{"EventsNotStoredWithoutTheirChange", testEventsNotStoredWithoutChange},
	{"EventsWithOtherWrites", testEventsWithOtherWrites},
	{"EventsWithIdentityWrites", testEventsWithIdentityWrites},
	{"EventsBulkPerUser", testEventsBulkPerUser},
	{"EventsBulkOnlyChanged", testEventsBulkOnlyChanged},
	{"EventsRecordIdempotent", testEventsRecordIdempotent},
	{"EventsNothingLeftToRelay", testEventsNothingLeftToRelay},
	{"AuditPagingNewestFirst", testAuditPaging},
	{"AuditFilters", testAuditFilters},
	{"AuditPurge", testAuditPurge},
	{"EventsFanOutToWebhooks", testEventsFanOut},
	{"ConcurrentClaimEventsOnePerSubject", testConcurrentClaimEvents},
}

// newEvent returns an event of type typ about subject at at.
func newEvent(typ, subject string, at time.Time) *store.Event {
	return &store.Event{ID: store.NewID(), Type: typ, At: at, SubjectID: subject, ActorID: "actor-1",
		ActorKind: "user", IP: "192.0.2.1", UserAgent: "storetest", Data: raw(`{"reason":"test"}`)}
}

// wantStored fails unless each event is in the trail as written.
func wantStored(t *testing.T, s store.Store, evs ...*store.Event) {
	t.Helper()
	for _, want := range evs {
		got, err := s.GetEvent(t.Context(), want.ID)
		if err != nil {
			t.Fatalf("GetEvent(%s %s): %v", want.Type, want.ID, err)
		}
		if got.Type != want.Type || got.SubjectID != want.SubjectID || got.ActorID != want.ActorID ||
			got.ActorKind != want.ActorKind || got.IP != want.IP || got.UserAgent != want.UserAgent {
			t.Errorf("GetEvent(%s) = %+v, want %+v", want.ID, got, want)
		}
		checkTime(t, "event At", got.At, store.Trunc(want.At))
		checkJSON(t, "event Data", got.Data, want.Data)
	}
}

// subscribed creates an active webhook for every event type, created
// before t0, and returns its id.
func subscribed(t *testing.T, s store.Store) string {
	t.Helper()
	w := newWebhook("https://receiver.example/hook", t0.Add(-time.Hour))
	w.Events = []string{"*"}
	if err := s.CreateWebhook(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	return w.ID
}

// wantDelivery fails unless the outbox holds e's delivery to the webhook.
func wantDelivery(t *testing.T, s store.Store, e *store.Event, webhookID string) {
	t.Helper()
	m, err := s.GetOutbox(t.Context(), e.ID+webhookID)
	if err != nil {
		t.Fatalf("GetOutbox(delivery of %s): %v", e.Type, err)
	}
	want := store.WebhookMessage(e, webhookID)
	if m.Kind != store.WebhookKind || m.OrderKey != want.OrderKey || m.Ref != webhookID {
		t.Errorf("delivery of %s: kind %q order key %q ref %q, want %q %q %q", e.Type, m.Kind, m.OrderKey, m.Ref,
			store.WebhookKind, want.OrderKey, webhookID)
	}
}

// wantNotStored fails if any of the events, or a delivery of it to the
// webhook, is stored.
func wantNotStored(t *testing.T, s store.Store, webhookID string, evs ...*store.Event) {
	t.Helper()
	for _, e := range evs {
		if _, err := s.GetEvent(t.Context(), e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetEvent(%s) of a change not made: err %v, want ErrNotFound", e.Type, err)
		}
		if _, err := s.GetOutbox(t.Context(), e.ID+webhookID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetOutbox(%s) of a change not made: err %v, want ErrNotFound", e.Type, err)
		}
	}
}

func testEventsWithUserWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	hook := subscribed(t, s)
	u := newUser("ann")
	signedUp := newEvent("user.signed_up", u.ID, t0)
	if err := s.CreateUser(store.WithEvents(ctx, signedUp), u); err != nil {
		t.Fatal(err)
	}
	updated := newEvent("user.updated", u.ID, t0.Add(time.Second))
	if _, err := s.UpdateUser(store.WithEvents(ctx, updated), u.ID, func(u *store.User) error {
		u.FirstName = "Ann"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	failed := newEvent("login.failed", u.ID, t0.Add(2*time.Second))
	if _, err := s.RecordLoginFailure(store.WithEvents(ctx, failed), u.ID, func(l store.Lockout) store.Lockout {
		l.Failures++
		return l
	}); err != nil {
		t.Fatal(err)
	}
	unlocked := newEvent("account.unlocked", u.ID, t0.Add(3*time.Second))
	if err := s.ClearLockout(store.WithEvents(ctx, unlocked), u.ID); err != nil {
		t.Fatal(err)
	}
	wantStored(t, s, signedUp, updated, failed, unlocked)
	for _, e := range []*store.Event{signedUp, updated, failed, unlocked} {
		wantDelivery(t, s, e, hook)
	}
	if got := mustGetUser(t, s, u.ID).FirstName; got != "Ann" {
		t.Errorf("FirstName = %q, want Ann: the change went with its event", got)
	}
}

func testEventsNotStoredWithoutChange(t *testing.T, s store.Store) {
	ctx := t.Context()
	hook := subscribed(t, s)
	u := newUser("ann")
	mustCreateUsers(t, s, u)
	refused := newEvent("user.updated", u.ID, t0)
	if _, err := s.UpdateUser(store.WithEvents(ctx, refused), u.ID, func(*store.User) error { return errBoom }); !errors.Is(err, errBoom) {
		t.Fatalf("UpdateUser: err %v, want errBoom", err)
	}
	dup := newUser("ann")
	taken := newEvent("user.signed_up", dup.ID, t0)
	if err := s.CreateUser(store.WithEvents(ctx, taken), dup); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("CreateUser(taken name): err %v, want ErrAlreadyExists", err)
	}
	missing := newEvent("session.revoked", "no-such-session", t0)
	if err := s.RevokeSession(store.WithEvents(ctx, missing), "no-such-session", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RevokeSession(missing): err %v, want ErrNotFound", err)
	}
	gone := newEvent("role.deleted", "no-such-role", t0)
	if err := s.DeleteRole(store.WithEvents(ctx, gone), "no-such-role"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteRole(missing): err %v, want ErrNotFound", err)
	}
	wantNotStored(t, s, hook, refused, taken, missing, gone)
}

func testEventsWithOtherWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	hook := subscribed(t, s)
	u := newUser("ann")
	mustCreateUsers(t, s, u)
	sess := newSession(u.ID, t0)
	mustCreateSession(t, s, sess)
	revoked := newEvent("session.revoked", u.ID, t0)
	if err := s.RevokeSession(store.WithEvents(ctx, revoked), sess.ID, t0); err != nil {
		t.Fatal(err)
	}
	// Ending the sessions of a user who has none changes nothing, and the
	// act's event is stored all the same.
	none := newEvent("session.revoked", u.ID, t0)
	if _, err := s.RevokeSessions(store.WithEvents(ctx, none), store.SessionRevocation{UserIDs: []string{u.ID}, At: t0}); err != nil {
		t.Fatal(err)
	}
	created := newEvent("role.created", "editors", t0)
	if err := s.CreateRole(store.WithEvents(ctx, created), newRole("editors")); err != nil {
		t.Fatal(err)
	}
	deleted := newEvent("user.deleted", u.ID, t0)
	if err := s.DeleteUser(store.WithEvents(ctx, deleted), u.ID); err != nil {
		t.Fatal(err)
	}
	standalone := newEvent("login.failed", "", t0)
	if err := s.RecordEvents(ctx, standalone); err != nil {
		t.Fatal(err)
	}
	wantStored(t, s, revoked, none, created, deleted, standalone)
	for _, e := range []*store.Event{revoked, none, created, deleted, standalone} {
		wantDelivery(t, s, e, hook)
	}
}

// A link and an unlink store the events of their context with the
// identity's write; an unlink the check refuses stores none.
func testEventsWithIdentityWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	hook := subscribed(t, s)
	u := newUser("ann")
	mustCreateUsers(t, s, u)
	id := &store.Identity{UserID: u.ID, Provider: "github", Subject: "gh-1", LinkedAt: t0}
	signedUp, linked := newEvent("user.signed_up", u.ID, t0), newEvent("identity.linked", u.ID, t0)
	if err := s.CreateIdentity(store.WithEvents(ctx, signedUp, linked), id); err != nil {
		t.Fatal(err)
	}
	refused := newEvent("identity.unlinked", u.ID, t0.Add(time.Second))
	err := s.DeleteIdentity(store.WithEvents(ctx, refused), u.ID, "github", func(*store.User, []*store.Identity) error { return errBoom })
	if !errors.Is(err, errBoom) {
		t.Fatalf("DeleteIdentity(refused): err %v, want errBoom", err)
	}
	wantNotStored(t, s, hook, refused)
	unlinked := newEvent("identity.unlinked", u.ID, t0.Add(2*time.Second))
	if err := s.DeleteIdentity(store.WithEvents(ctx, unlinked), u.ID, "github", func(*store.User, []*store.Identity) error { return nil }); err != nil {
		t.Fatal(err)
	}
	wantStored(t, s, signedUp, linked, unlinked)
	for _, e := range []*store.Event{signedUp, linked, unlinked} {
		wantDelivery(t, s, e, hook)
	}
}

// A bulk change carries one event per user; each user's goes with that
// user's change.
func testEventsBulkPerUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	hook := subscribed(t, s)
	a, b, c := newUser("ann"), newUser("bob"), newUser("cid")
	mustCreateUsers(t, s, a, b, c)
	suspended := store.StatusSuspended
	evA, evB := newEvent("user.status_changed", a.ID, t0), newEvent("user.status_changed", b.ID, t0)
	n, err := s.PatchUsers(store.WithEvents(ctx, evA, evB), &store.UserFilter{IDs: []string{a.ID, b.ID}},
		store.UserPatch{Status: &suspended, UpdatedAt: t0})
	if err != nil || n != 2 {
		t.Fatalf("PatchUsers = %d, %v; want 2", n, err)
	}
	wantStored(t, s, evA, evB)
	wantDelivery(t, s, evA, hook)
	wantDelivery(t, s, evB, hook)
	delA, delC := newEvent("user.deleted", a.ID, t0), newEvent("user.deleted", c.ID, t0)
	if n, err := s.DeleteUsers(store.WithEvents(ctx, delA, delC), &store.UserFilter{IDs: []string{a.ID, c.ID}}); err != nil || n != 2 {
		t.Fatalf("DeleteUsers = %d, %v; want 2", n, err)
	}
	wantStored(t, s, delA, delC)
	wantDelivery(t, s, delC, hook)
}

// A bulk patch stores the events of the users it changes, and not those
// of users it selects but leaves as they were.
func testEventsBulkOnlyChanged(t *testing.T, s store.Store) {
	ctx := t.Context()
	hook := subscribed(t, s)
	a, b := newUser("ann"), newUser("bob")
	b.Status = store.StatusSuspended
	mustCreateUsers(t, s, a, b)
	suspended := store.StatusSuspended
	evA, evB := newEvent("user.status_changed", a.ID, t0), newEvent("user.status_changed", b.ID, t0)
	n, err := s.PatchUsers(store.WithEvents(ctx, evA, evB), &store.UserFilter{IDs: []string{a.ID, b.ID}},
		store.UserPatch{Status: &suspended, UpdatedAt: t0})
	if err != nil || n != 2 {
		t.Fatalf("PatchUsers = %d, %v; want 2 selected", n, err)
	}
	wantStored(t, s, evA)
	wantDelivery(t, s, evA, hook)
	wantNotStored(t, s, hook, evB)
}

func testEventsRecordIdempotent(t *testing.T, s store.Store) {
	ctx := t.Context()
	e := newEvent("password.reset_requested", "u1", t0)
	for range 2 {
		if err := s.RecordEvents(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := s.ListEvents(ctx, store.EventQuery{First: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Errorf("ListEvents after recording one event twice: %d events, want 1", len(got))
	}
	if err := s.RecordEvents(ctx, &store.Event{ID: store.NewID()}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("RecordEvents(no type): err %v, want ErrInvalid", err)
	}
}

// Once every write returned, no event waits to be relayed.
func testEventsNothingLeftToRelay(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser("ann")
	if err := s.CreateUser(store.WithEvents(ctx, newEvent("user.signed_up", u.ID, t0)), u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateUser(store.WithEvents(ctx, newEvent("user.updated", u.ID, t0)), u.ID, func(*store.User) error { return nil }); err != nil {
		t.Fatal(err)
	}
	n, err := s.RelayEvents(ctx, 100)
	if err != nil || n != 0 {
		t.Errorf("RelayEvents = %d, %v; want 0: the writes relayed their own events", n, err)
	}
}

// seedTrail records n events, one a minute from t0, cycling through three
// types, two actors, three subjects and two IPs, and returns them oldest
// first.
func seedTrail(t *testing.T, s store.Store, n int) []*store.Event {
	t.Helper()
	types := []string{"login.succeeded", "login.failed", "role.granted"}
	evs := make([]*store.Event, n)
	for i := range evs {
		e := newEvent(types[i%3], fmt.Sprintf("subject-%d", i%3), t0.Add(time.Duration(i)*time.Minute))
		e.ActorID = fmt.Sprintf("actor-%d", i%2)
		e.IP = fmt.Sprintf("192.0.2.%d", i%2)
		evs[i] = e
		if err := s.RecordEvents(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	return evs
}

func eventIDs(evs []*store.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// newestFirst returns the ids of the events keep selects, newest first.
func newestFirst(evs []*store.Event, keep func(*store.Event) bool) []string {
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		if keep(evs[i]) {
			out = append(out, evs[i].ID)
		}
	}
	return out
}

// listPages pages through q's events size at a time and returns their ids.
func listPages(t *testing.T, s store.Store, q store.EventQuery) []string {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("ListEvents keeps saying more follow")
		}
		page, more, err := s.ListEvents(t.Context(), q)
		if err != nil {
			t.Fatalf("ListEvents(%+v): %v", q, err)
		}
		if len(page) > q.First {
			t.Fatalf("ListEvents returned %d events, asked for %d", len(page), q.First)
		}
		got = append(got, eventIDs(page)...)
		if !more {
			return got
		}
		if len(page) == 0 {
			t.Fatal("ListEvents: an empty page that says more follow")
		}
		q.After = page[len(page)-1].ID
	}
}

func testAuditPaging(t *testing.T, s store.Store) {
	evs := seedTrail(t, s, 25)
	got := listPages(t, s, store.EventQuery{First: 10})
	want := newestFirst(evs, func(*store.Event) bool { return true })
	if !slices.Equal(got, want) {
		t.Errorf("pages of 10: got %v, want %v", got, want)
	}
	if _, _, err := s.ListEvents(t.Context(), store.EventQuery{First: 0}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ListEvents(first 0): err %v, want ErrInvalid", err)
	}
}

func testAuditFilters(t *testing.T, s store.Store) {
	evs := seedTrail(t, s, 20)
	cases := []struct {
		name string
		f    store.AuditFilter
		keep func(*store.Event) bool
	}{
		{"types", store.AuditFilter{Types: []string{"login.failed", "role.granted"}},
			func(e *store.Event) bool { return e.Type != "login.succeeded" }},
		{"actor", store.AuditFilter{ActorID: "actor-1"}, func(e *store.Event) bool { return e.ActorID == "actor-1" }},
		{"subject", store.AuditFilter{SubjectID: "subject-2"}, func(e *store.Event) bool { return e.SubjectID == "subject-2" }},
		{"ip", store.AuditFilter{IP: "192.0.2.0"}, func(e *store.Event) bool { return e.IP == "192.0.2.0" }},
		{"time range", store.AuditFilter{At: store.TimeRange{Gte: t0.Add(5 * time.Minute), Lt: t0.Add(12 * time.Minute)}},
			func(e *store.Event) bool {
				return !e.At.Before(t0.Add(5*time.Minute)) && e.At.Before(t0.Add(12*time.Minute))
			}},
		{"subject and type", store.AuditFilter{SubjectID: "subject-0", Types: []string{"login.succeeded"}},
			func(e *store.Event) bool { return e.SubjectID == "subject-0" && e.Type == "login.succeeded" }},
		{"nothing matches", store.AuditFilter{ActorID: "nobody"}, func(*store.Event) bool { return false }},
	}
	for _, c := range cases {
		got := listPages(t, s, store.EventQuery{Filter: c.f, First: 3})
		if want := newestFirst(evs, c.keep); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", c.name, got, want)
		}
	}
}

func testAuditPurge(t *testing.T, s store.Store) {
	evs := seedTrail(t, s, 10)
	cut := t0.Add(6 * time.Minute) // events 0..5 are older
	n, err := s.PurgeEvents(t.Context(), cut, 4)
	if err != nil || n != 4 {
		t.Fatalf("PurgeEvents(limit 4) = %d, %v; want 4", n, err)
	}
	if n, err = s.PurgeEvents(t.Context(), cut, 100); err != nil || n != 2 {
		t.Fatalf("PurgeEvents(rest) = %d, %v; want 2", n, err)
	}
	got := listPages(t, s, store.EventQuery{First: 100})
	if want := newestFirst(evs, func(e *store.Event) bool { return !e.At.Before(cut) }); !slices.Equal(got, want) {
		t.Errorf("after the purge: got %v, want %v", got, want)
	}
}

// Two workers claiming deliveries at once never hold two events of one
// subject for one webhook together, and every event is claimed exactly
// once per webhook: a webhook gets a subject's events one at a time, in
// order, and each event once.
func testConcurrentClaimEvents(t *testing.T, s store.Store) {
	hookA, hookB := subscribed(t, s), subscribed(t, s)
	var evs []*store.Event
	for i := range 12 {
		evs = append(evs, newEvent("user.updated", fmt.Sprintf("subject-%d", i%3), t0.Add(time.Duration(i)*time.Second)))
	}
	if err := s.RecordEvents(t.Context(), evs...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			owner := fmt.Sprintf("worker-%d", w)
			for range 80 {
				got, err := s.ClaimOutbox(t.Context(), store.OutboxClaim{Kind: store.WebhookKind, Owner: owner, Limit: 4, Now: day(1), Lease: time.Hour})
				if err != nil {
					t.Error(err)
					return
				}
				subjects := map[string]bool{}
				for _, m := range got {
					if subjects[m.OrderKey] {
						t.Errorf("%s holds two events of %s at once", owner, m.OrderKey)
					}
					subjects[m.OrderKey] = true
					mu.Lock()
					seen[m.ID]++
					mu.Unlock()
				}
				for _, m := range got {
					if err := s.CompleteOutbox(t.Context(), m.ID, m.Lease, day(1)); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, e := range evs {
		for _, hook := range []string{hookA, hookB} {
			if n := seen[e.ID+hook]; n != 1 {
				t.Errorf("event %s claimed %d times for webhook %s, want 1", e.ID, n, hook)
			}
		}
	}
}

// An event goes to the active webhooks that want its type and were there
// when it happened, and to no other.
func testEventsFanOut(t *testing.T, s store.Store) {
	ctx := t.Context()
	all, failed, inactive, later := newWebhook("https://a.example", day(-1)), newWebhook("https://b.example", day(-1)),
		newWebhook("https://c.example", day(-1)), newWebhook("https://d.example", day(1))
	all.Events, failed.Events, inactive.Active, later.Events = []string{"*"}, []string{"login.failed"}, false, []string{"*"}
	for _, w := range []*store.Webhook{all, failed, inactive, later} {
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	fail, ok := newEvent("login.failed", "u1", t0), newEvent("login.succeeded", "u1", t0)
	if err := s.RecordEvents(ctx, fail, ok); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		e    *store.Event
		w    *store.Webhook
		want bool
	}{{fail, all, true}, {ok, all, true}, {fail, failed, true}, {ok, failed, false},
		{fail, inactive, false}, {fail, later, false}} {
		_, err := s.GetOutbox(ctx, c.e.ID+c.w.ID)
		if got := err == nil; got != c.want {
			t.Errorf("delivery of %s to %s: stored %v (err %v), want %v", c.e.Type, c.w.URL, got, err, c.want)
		}
	}
}
