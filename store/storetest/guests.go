package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var guestTests = []subTest{
	{"PurgeGuests", testPurgeGuests},
	{"PurgeGuestsInBatches", testPurgeGuestsBatches},
	{"PurgeGuestsEvents", testPurgeGuestsEvents},
}

// guest returns a guest created at created whose last request was at
// last (zero: never).
func guest(name string, created, last time.Time) *store.User {
	return prepUser(&store.User{Username: name, IsGuest: true, CreatedAt: created, LastRequestAt: last})
}

// Idle means neither a request nor the creation since the cutoff: a guest
// who never made a request counts from its creation. Only guests go, with
// their sessions, refresh tokens and devices; everybody else stays.
func testPurgeGuests(t *testing.T, s store.Store) {
	ctx := t.Context()
	cutoff := day(50)
	idle := guest("idle", day(1), day(40))
	never := guest("never", day(2), time.Time{})
	edge := guest("edge", day(3), cutoff.Add(-time.Millisecond))
	recent := guest("recent", day(4), day(60))
	atCutoff := guest("atcutoff", day(5), cutoff) // not before it
	young := guest("young", day(55), time.Time{}) // created after it, never seen
	member := prepUser(&store.User{Username: "member", CreatedAt: day(1), LastRequestAt: day(2)})
	deleted := guest("deletedguest", day(1), time.Time{})
	deleted.DeletedAt = day(3) // a soft-deleted guest is a guest too
	mustCreateUsers(t, s, idle, never, edge, recent, atCutoff, young, member, deleted)

	sess, toks := expiring(t, s, idle.ID, day(90))
	dev := newDevice(idle.ID, "phone", day(1))
	mustCreateDevice(t, s, dev)
	keptSess, _ := expiring(t, s, recent.ID, day(90))
	keptDev := newDevice(recent.ID, "tablet", day(4))
	mustCreateDevice(t, s, keptDev)

	n, err := s.PurgeGuests(ctx, cutoff, 100)
	if err != nil || n != 4 {
		t.Fatalf("PurgeGuests = %d, %v; want 4 (idle, never, edge, deletedguest)", n, err)
	}
	for _, u := range []*store.User{idle, never, edge, deleted} {
		if _, err := s.GetUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("purged guest %s: GetUser error %v, want ErrNotFound", u.Username, err)
		}
	}
	for _, u := range []*store.User{recent, atCutoff, young, member} {
		mustGetUser(t, s, u.ID)
	}
	if _, err := s.GetSession(ctx, sess.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session of a purged guest: GetSession error %v, want ErrNotFound", err)
	}
	for _, tok := range toks {
		if _, err := s.GetRefreshToken(ctx, tok.Hash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refresh token of a purged guest: error %v, want ErrNotFound", err)
		}
	}
	if _, err := s.GetDevice(ctx, dev.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("device of a purged guest: GetDevice error %v, want ErrNotFound", err)
	}
	mustGetSession(t, s, keptSess.ID)
	mustGetDevice(t, s, keptDev.ID)
	if n, err := s.PurgeGuests(ctx, cutoff, 100); err != nil || n != 0 {
		t.Errorf("second PurgeGuests = %d, %v; want 0", n, err)
	}
	if n, err := s.PurgeGuests(ctx, day(100), 0); err != nil || n != 0 {
		t.Errorf("PurgeGuests with limit 0 = %d, %v; want 0 and nobody deleted", n, err)
	}
	mustGetUser(t, s, recent.ID)
}

// A purge deletes at most limit guests; repeated, it deletes them all and
// then answers 0. The janitor calls it until it does.
func testPurgeGuestsBatches(t *testing.T, s store.Store) {
	ctx := t.Context()
	var all []string
	for i := range 7 {
		g := guest(fmt.Sprintf("g%d", i), day(1), day(2).Add(time.Duration(i)*time.Hour))
		mustCreateUsers(t, s, g)
		all = append(all, g.ID)
	}
	var counts []int
	for range 5 {
		n, err := s.PurgeGuests(ctx, day(10), 3)
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, n)
	}
	if want := []int{3, 3, 1, 0, 0}; !slices.Equal(counts, want) {
		t.Errorf("PurgeGuests(limit 3) counts: got %v, want %v", counts, want)
	}
	if n := mustCount(t, s, nil); n != 0 {
		t.Errorf("users left after the batches: %d, want 0", n)
	}
}

// With WithEventFor, each purged guest's deletion stores the event made
// for it, delivered to the webhooks; a guest who stays gets none.
func testPurgeGuestsEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	hook := subscribed(t, s)
	idle, recent := guest("idle", day(1), day(40)), guest("recent", day(4), day(60))
	mustCreateUsers(t, s, idle, recent)
	made := map[string]*store.Event{}
	ctx = store.WithEventFor(ctx, func(id string) *store.Event {
		made[id] = newEvent("user.deleted", id, t0)
		return made[id]
	})
	if n, err := s.PurgeGuests(ctx, day(50), 100); err != nil || n != 1 {
		t.Fatalf("PurgeGuests = %d, %v; want 1", n, err)
	}
	if made[idle.ID] == nil {
		t.Fatal("no event made for the purged guest")
	}
	wantStored(t, s, made[idle.ID])
	wantDelivery(t, s, made[idle.ID], hook)
	if e := made[recent.ID]; e != nil {
		wantNotStored(t, s, hook, e)
	}
	evs, _, err := s.ListEvents(t.Context(), store.EventQuery{First: 10, Filter: store.AuditFilter{SubjectID: recent.ID}})
	if err != nil || len(evs) != 0 {
		t.Errorf("events of the guest who stays: %d (%v), want none", len(evs), err)
	}
}
