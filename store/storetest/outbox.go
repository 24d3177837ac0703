package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var outboxTests = []subTest{
	{"OutboxEnqueueClaimComplete", testOutboxEnqueueClaimComplete},
	{"OutboxEnqueueIdempotentAndValidated", testOutboxEnqueueIdempotent},
	{"OutboxClaimOrderAndLimit", testOutboxClaimOrder},
	{"OutboxLeaseExpiry", testOutboxLeaseExpiry},
	{"OutboxHolderOnly", testOutboxHolderOnly},
	{"OutboxRetryAndNextAttempt", testOutboxRetry},
	{"OutboxNextDue", testOutboxNextDue},
	{"OutboxDrop", testOutboxDrop},
	{"OutboxOrderKey", testOutboxOrderKey},
	{"OutboxPurge", testOutboxPurge},
	{"ConcurrentClaimOutboxOneMessage", testConcurrentClaimOne},
	{"ConcurrentClaimOutboxDisjoint", testConcurrentClaimDisjoint},
}

const hour = time.Hour

// newMessage returns a message of kind created at created (due then).
func newMessage(kind string, created time.Time) *store.OutboxMessage {
	return &store.OutboxMessage{
		ID:        store.NewID(),
		Kind:      kind,
		Payload:   []byte(`{"to":"ann@example.com"}`),
		Ref:       "ref:" + kind,
		CreatedAt: created,
	}
}

func mustEnqueue(t *testing.T, s store.Store, msgs ...*store.OutboxMessage) {
	t.Helper()
	if err := s.EnqueueOutbox(t.Context(), msgs...); err != nil {
		t.Fatalf("EnqueueOutbox: %v", err)
	}
}

func mustGetOutbox(t *testing.T, s store.Store, id string) *store.OutboxMessage {
	t.Helper()
	m, err := s.GetOutbox(t.Context(), id)
	if err != nil {
		t.Fatalf("GetOutbox(%s): %v", id, err)
	}
	return m
}

// claim is ClaimOutbox of kind "mail" that fails the test on error.
func claim(t *testing.T, s store.Store, owner string, limit int, now time.Time, lease time.Duration) []*store.OutboxMessage {
	t.Helper()
	got, err := s.ClaimOutbox(t.Context(), store.OutboxClaim{Kind: "mail", Owner: owner, Limit: limit, Now: now, Lease: lease})
	if err != nil {
		t.Fatalf("ClaimOutbox(%s at %v): %v", owner, now, err)
	}
	return got
}

// msgIDs returns the ids of msgs, in order.
func msgIDs(msgs []*store.OutboxMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// wantClaimed stops the test unless the claim returned exactly want, in
// order: the steps after a claim depend on what it returned.
func wantClaimed(t *testing.T, what string, got []*store.OutboxMessage, want ...*store.OutboxMessage) {
	t.Helper()
	if g, w := msgIDs(got), msgIDs(want); !slices.Equal(g, w) {
		t.Fatalf("%s: claimed %v, want %v", what, g, w)
	}
}

// claimOne claims m, the only claimable message, and returns its lease.
func claimOne(t *testing.T, s store.Store, owner string, now time.Time, m *store.OutboxMessage) store.OutboxLease {
	t.Helper()
	got := claim(t, s, owner, 10, now, hour)
	wantClaimed(t, "claim by "+owner, got, m)
	return got[0].Lease
}

// checkMessage compares every field of a message read back with want.
func checkMessage(t *testing.T, what string, got, want *store.OutboxMessage) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil message", what)
	}
	strs := []struct {
		field     string
		got, want string
	}{
		{"ID", got.ID, want.ID},
		{"Kind", got.Kind, want.Kind},
		{"OrderKey", got.OrderKey, want.OrderKey},
		{"Ref", got.Ref, want.Ref},
		{"State", string(got.State), string(want.State)},
		{"Lease.Owner", got.Lease.Owner, want.Lease.Owner},
		{"LastError", got.LastError, want.LastError},
	}
	for _, f := range strs {
		if f.got != f.want {
			t.Errorf("%s: %s got %q, want %q", what, f.field, f.got, f.want)
		}
	}
	if got.Payload == nil || !bytes.Equal(got.Payload, want.Payload) {
		t.Errorf("%s: Payload got %q, want %q", what, got.Payload, want.Payload)
	}
	if got.Attempts != want.Attempts {
		t.Errorf("%s: Attempts got %d, want %d", what, got.Attempts, want.Attempts)
	}
	if got.Lease.Seq != want.Lease.Seq {
		t.Errorf("%s: Lease.Seq got %d, want %d", what, got.Lease.Seq, want.Lease.Seq)
	}
	checkTime(t, what+": Lease.Until", got.Lease.Until, want.Lease.Until)
	checkTime(t, what+": NextAttemptAt", got.NextAttemptAt, want.NextAttemptAt)
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+": DoneAt", got.DoneAt, want.DoneAt)
}

// The whole life of a message: enqueued pending and due at once, claimed
// (leased, attempt counted), not claimable while leased, completed by its
// holder (sent, lease released, payload gone). Kinds do not mix.
func testOutboxEnqueueClaimComplete(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := newMessage("mail", day(1).Add(123456789*time.Nanosecond))
	m.OrderKey = "user-1"
	other := newMessage("sms", day(1))
	mustEnqueue(t, s, m, other)

	want := &store.OutboxMessage{ID: m.ID, Kind: "mail", Payload: m.Payload, OrderKey: "user-1", Ref: "ref:mail",
		State: store.OutboxPending, CreatedAt: m.CreatedAt, NextAttemptAt: m.CreatedAt}
	checkMessage(t, "enqueued", mustGetOutbox(t, s, m.ID), want)

	if got := claim(t, s, "w1", 10, day(1).Add(-time.Minute), hour); len(got) != 0 {
		t.Errorf("claim before the message is due: got %v, want none", msgIDs(got))
	}
	got := claim(t, s, "w1", 10, day(2), hour)
	wantClaimed(t, "claim of kind mail", got, m)
	want.Attempts = 1
	want.Lease = store.OutboxLease{Owner: "w1", Seq: 1, Until: day(2).Add(hour)}
	if len(got) == 1 {
		checkMessage(t, "claimed (as returned)", got[0], want)
	}
	checkMessage(t, "claimed (as stored)", mustGetOutbox(t, s, m.ID), want)
	if again := claim(t, s, "w2", 10, day(2).Add(time.Minute), hour); len(again) != 0 {
		t.Errorf("claim while leased: got %v, want none", msgIDs(again))
	}

	if err := s.CompleteOutbox(ctx, m.ID, want.Lease, day(2).Add(time.Second)); err != nil {
		t.Fatalf("CompleteOutbox by the holder: %v", err)
	}
	want.State, want.DoneAt = store.OutboxSent, day(2).Add(time.Second)
	want.Lease = store.OutboxLease{Seq: 1}
	want.Payload = []byte{} // what left the process may hold a live token: not kept
	checkMessage(t, "completed", mustGetOutbox(t, s, m.ID), want)
	if again := claim(t, s, "w2", 10, day(3), hour); len(again) != 0 {
		t.Errorf("claim after completion: got %v, want none", msgIDs(again))
	}
	checkMessage(t, "the sms, untouched by mail claims", mustGetOutbox(t, s, other.ID), &store.OutboxMessage{
		ID: other.ID, Kind: "sms", Payload: other.Payload, Ref: "ref:sms", State: store.OutboxPending,
		CreatedAt: day(1), NextAttemptAt: day(1)})
	_, err := s.GetOutbox(ctx, store.NewID())
	wantErrIs(t, "GetOutbox of an unknown id", err, store.ErrNotFound)
}

// Enqueueing an id again changes nothing (a relay may repeat itself); a
// message without id or kind stores nothing of its batch.
func testOutboxEnqueueIdempotent(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newMessage("mail", day(1))
	mustEnqueue(t, s, a)
	claimed := claim(t, s, "w1", 1, day(1), hour)
	wantClaimed(t, "first claim", claimed, a)

	again := *a
	again.Payload = []byte(`{"changed":true}`)
	b := newMessage("mail", day(1))
	mustEnqueue(t, s, &again, b)
	got := mustGetOutbox(t, s, a.ID)
	if !bytes.Equal(got.Payload, a.Payload) || got.Attempts != 1 || got.Lease.Owner != "w1" {
		t.Errorf("re-enqueued id: payload %q, attempts %d, lease owner %q; want the stored message unchanged (%q, 1, w1)",
			got.Payload, got.Attempts, got.Lease.Owner, a.Payload)
	}
	mustGetOutbox(t, s, b.ID)

	good, noKind, noID := newMessage("mail", day(1)), newMessage("", day(1)), newMessage("mail", day(1))
	noID.ID = ""
	for _, bad := range []*store.OutboxMessage{noKind, noID} {
		err := s.EnqueueOutbox(ctx, good, bad)
		wantErrIs(t, fmt.Sprintf("EnqueueOutbox with id %q kind %q", bad.ID, bad.Kind), err, store.ErrInvalid)
	}
	_, err := s.GetOutbox(ctx, good.ID)
	wantErrIs(t, "the valid message of a refused batch", err, store.ErrNotFound)
	for _, c := range []store.OutboxClaim{
		{Owner: "w", Limit: 1, Now: day(1), Lease: hour},
		{Kind: "mail", Limit: 1, Now: day(1), Lease: hour},
		{Kind: "mail", Owner: "w", Limit: 1, Now: day(1)},
	} {
		_, err := s.ClaimOutbox(ctx, c)
		wantErrIs(t, fmt.Sprintf("ClaimOutbox(%+v)", c), err, store.ErrInvalid)
	}
}

// Claims take the oldest due first (NextAttemptAt, then id) and at most
// Limit; a limit below one claims nothing.
func testOutboxClaimOrder(t *testing.T, s store.Store) {
	first, second, late, third := newMessage("mail", day(1)), newMessage("mail", day(1)), newMessage("mail", day(1)), newMessage("mail", day(1))
	late.NextAttemptAt = day(1).Add(2 * hour) // enqueued before third, due after it
	third.NextAttemptAt = day(1).Add(hour)
	mustEnqueue(t, s, first, second, late, third)

	if got := claim(t, s, "w1", 0, day(2), hour); len(got) != 0 {
		t.Errorf("claim with limit 0: got %v, want none", msgIDs(got))
	}
	wantClaimed(t, "claim of 2", claim(t, s, "w1", 2, day(2), hour), first, second)
	wantClaimed(t, "claim of the rest", claim(t, s, "w2", 10, day(2), hour), third, late)
}

// An expired lease makes the message claimable again, by anyone; Seq and
// Attempts count the claims.
func testOutboxLeaseExpiry(t *testing.T, s store.Store) {
	m := newMessage("mail", day(1))
	mustEnqueue(t, s, m)
	wantClaimed(t, "first claim", claim(t, s, "w1", 10, day(1), hour), m)
	if got := claim(t, s, "w2", 10, day(1).Add(hour-time.Millisecond), hour); len(got) != 0 {
		t.Errorf("claim a millisecond before the lease ends: got %v, want none", msgIDs(got))
	}
	got := claim(t, s, "w2", 10, day(1).Add(hour), hour)
	wantClaimed(t, "claim when the lease ends", got, m)
	want := &store.OutboxMessage{ID: m.ID, Kind: "mail", Payload: m.Payload, Ref: m.Ref, State: store.OutboxPending,
		Attempts: 2, Lease: store.OutboxLease{Owner: "w2", Seq: 2, Until: day(1).Add(2 * hour)},
		CreatedAt: day(1), NextAttemptAt: day(1)}
	checkMessage(t, "claimed again", mustGetOutbox(t, s, m.ID), want)
}

// Only the current holder settles a message: a holder whose lease ran out
// and was claimed again (by another owner or by itself) gets ErrConflict
// and changes nothing. A lease that ran out without a new claim still
// settles. Settling twice, or without a lease, conflicts; an unknown id is
// not found.
func testOutboxHolderOnly(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := newMessage("mail", day(1))
	mustEnqueue(t, s, m)
	stale := claimOne(t, s, "w1", day(1), m)
	current := claimOne(t, s, "w2", day(1).Add(2*hour), m)
	settle := map[string]func(store.OutboxLease) error{
		"CompleteOutbox": func(l store.OutboxLease) error { return s.CompleteOutbox(ctx, m.ID, l, day(2)) },
		"RetryOutbox":    func(l store.OutboxLease) error { return s.RetryOutbox(ctx, m.ID, l, day(2), "stale") },
		"DropOutbox":     func(l store.OutboxLease) error { return s.DropOutbox(ctx, m.ID, l, day(2), "stale") },
	}
	sameOwnerOldSeq := store.OutboxLease{Owner: "w2", Seq: current.Seq - 1}
	for name, f := range settle {
		wantErrIs(t, name+" by a holder whose lease was claimed again", f(stale), store.ErrConflict)
		wantErrIs(t, name+" with the owner's earlier claim", f(sameOwnerOldSeq), store.ErrConflict)
		wantErrIs(t, name+" without a lease", f(store.OutboxLease{}), store.ErrConflict)
	}
	if got := mustGetOutbox(t, s, m.ID); got.State != store.OutboxPending || !sameLease(got.Lease, current) || got.LastError != "" {
		t.Fatalf("after refused settlements: state %s, lease %+v, last error %q; want pending, %+v, none",
			got.State, got.Lease, got.LastError, current)
	}
	// The lease ran out an hour ago, nobody claimed: the holder still completes.
	if err := s.CompleteOutbox(ctx, m.ID, current, day(1).Add(4*hour)); err != nil {
		t.Fatalf("CompleteOutbox by the holder after its lease ran out unclaimed: %v", err)
	}
	for name, f := range settle {
		wantErrIs(t, name+" of a sent message", f(current), store.ErrConflict)
	}
	if got := mustGetOutbox(t, s, m.ID); got.State != store.OutboxSent {
		t.Errorf("after settling a sent message again: state %s, want sent", got.State)
	}
	unknown := store.NewID()
	wantErrIs(t, "CompleteOutbox of an unknown id", s.CompleteOutbox(ctx, unknown, current, day(2)), store.ErrNotFound)
	wantErrIs(t, "RetryOutbox of an unknown id", s.RetryOutbox(ctx, unknown, current, day(2), "x"), store.ErrNotFound)
	wantErrIs(t, "DropOutbox of an unknown id", s.DropOutbox(ctx, unknown, current, day(2), "x"), store.ErrNotFound)
}

// A retry releases the lease and records the error; the message is not
// due before NextAttemptAt, then is claimed again. A message enqueued with
// a later NextAttemptAt waits for it as well.
func testOutboxRetry(t *testing.T, s store.Store) {
	ctx := t.Context()
	m, later := newMessage("mail", day(1)), newMessage("mail", day(1))
	later.NextAttemptAt = day(3)
	mustEnqueue(t, s, m, later)
	lease := claimOne(t, s, "w1", day(1), m)
	next := day(1).Add(10 * time.Minute)
	if err := s.RetryOutbox(ctx, m.ID, lease, next, "451 try again later"); err != nil {
		t.Fatalf("RetryOutbox: %v", err)
	}
	want := &store.OutboxMessage{ID: m.ID, Kind: "mail", Payload: m.Payload, Ref: m.Ref, State: store.OutboxPending,
		Attempts: 1, Lease: store.OutboxLease{Seq: 1}, LastError: "451 try again later", CreatedAt: day(1), NextAttemptAt: next}
	checkMessage(t, "retried", mustGetOutbox(t, s, m.ID), want)

	if got := claim(t, s, "w1", 10, next.Add(-time.Millisecond), hour); len(got) != 0 {
		t.Errorf("claim before NextAttemptAt: got %v, want none", msgIDs(got))
	}
	lease = claimOne(t, s, "w2", next, m)
	if got := mustGetOutbox(t, s, m.ID); got.Attempts != 2 || got.Lease.Owner != "w2" || got.LastError != "451 try again later" {
		t.Errorf("claimed after a retry: attempts %d, owner %q, last error %q; want 2, w2, the retry's error",
			got.Attempts, got.Lease.Owner, got.LastError)
	}
	if err := s.CompleteOutbox(ctx, m.ID, lease, next); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, "w3", 10, day(3).Add(-time.Millisecond), 10*24*hour); len(got) != 0 {
		t.Errorf("claim before an enqueued NextAttemptAt: got %v, want none", msgIDs(got))
	}
	wantClaimed(t, "claim at an enqueued NextAttemptAt", claim(t, s, "w3", 10, day(3), hour), later)
}

// NextOutboxDue reports, of one kind's pending messages, the earliest due
// time or lease end strictly after the moment asked about: not what is
// due already, not other kinds, not what was sent or dropped; a retry's
// new time and a lease's end as soon as they are written.
func testOutboxNextDue(t *testing.T, s store.Store) {
	ctx := t.Context()
	next := func(kind string, after time.Time) time.Time {
		t.Helper()
		got, err := s.NextOutboxDue(ctx, kind, after)
		if err != nil {
			t.Fatalf("NextOutboxDue(%s, %v): %v", kind, after, err)
		}
		return got
	}
	checkTime(t, "an empty outbox", next("mail", day(1)), time.Time{})

	now := day(1).Add(123456789 * time.Nanosecond) // Trunc applies
	due, soon, later, sms := newMessage("mail", now), newMessage("mail", now), newMessage("mail", now), newMessage("sms", now)
	soon.NextAttemptAt, later.NextAttemptAt, sms.NextAttemptAt = now.Add(time.Minute), now.Add(time.Hour), now.Add(time.Second)
	mustEnqueue(t, s, due, later, soon, sms)
	checkTime(t, "mail after now", next("mail", now), soon.NextAttemptAt)
	checkTime(t, "mail after a moment before now", next("mail", now.Add(-time.Second)), now)
	checkTime(t, "mail at soon's time", next("mail", soon.NextAttemptAt), later.NextAttemptAt)
	checkTime(t, "mail after the last", next("mail", later.NextAttemptAt), time.Time{})
	checkTime(t, "sms after now", next("sms", now), sms.NextAttemptAt)

	// due, claimed now under a 10 s lease, comes back when it runs out;
	// retried, at its new time.
	claimed := claim(t, s, "w1", 10, now, 10*time.Second)
	wantClaimed(t, "claim of the due mail", claimed, due)
	lease := claimed[0].Lease
	checkTime(t, "mail with a lease running", next("mail", now), now.Add(10*time.Second))
	if err := s.RetryOutbox(ctx, due.ID, lease, now.Add(30*time.Second), "451"); err != nil {
		t.Fatal(err)
	}
	checkTime(t, "mail after a retry", next("mail", now.Add(10*time.Second)), now.Add(30*time.Second))

	// Sent or dropped messages are due never.
	got := claim(t, s, "w1", 10, later.NextAttemptAt, hour)
	wantClaimed(t, "claim of every mail", got, due, soon, later)
	end := later.NextAttemptAt
	for _, err := range []error{s.CompleteOutbox(ctx, due.ID, got[0].Lease, end),
		s.DropOutbox(ctx, soon.ID, got[1].Lease, end, "550"), s.CompleteOutbox(ctx, later.ID, got[2].Lease, end)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkTime(t, "mail when all is sent or dead", next("mail", now), time.Time{})
	checkTime(t, "sms beside it", next("sms", now), sms.NextAttemptAt)
}

// A dropped message is dead, done, keeps no payload, and is never claimed
// again.
func testOutboxDrop(t *testing.T, s store.Store) {
	m := newMessage("mail", day(1))
	mustEnqueue(t, s, m)
	lease := claimOne(t, s, "w1", day(1), m)
	if err := s.DropOutbox(t.Context(), m.ID, lease, day(1).Add(time.Minute), "550 no such user"); err != nil {
		t.Fatalf("DropOutbox: %v", err)
	}
	want := &store.OutboxMessage{ID: m.ID, Kind: "mail", Payload: []byte{}, Ref: m.Ref, State: store.OutboxDead,
		Attempts: 1, Lease: store.OutboxLease{Seq: 1}, LastError: "550 no such user",
		CreatedAt: day(1), NextAttemptAt: day(1), DoneAt: day(1).Add(time.Minute)}
	checkMessage(t, "dropped", mustGetOutbox(t, s, m.ID), want)
	if got := claim(t, s, "w1", 10, day(9), hour); len(got) != 0 {
		t.Errorf("claim after a drop: got %v, want none", msgIDs(got))
	}
}

// Messages sharing an order key go one at a time in id order: the younger
// one is not claimable while the older is pending (leased, or waiting for
// a retry), and becomes claimable once the older is sent or dead. Other
// keys and unkeyed messages are not held up.
func testOutboxOrderKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	keyed := func(key string) *store.OutboxMessage {
		m := newMessage("mail", day(1))
		m.OrderKey = key
		return m
	}
	a1, a2, b1, free, a3 := keyed("a"), keyed("a"), keyed("b"), keyed(""), keyed("a")
	mustEnqueue(t, s, a1, a2, b1, free, a3)

	got := claim(t, s, "w1", 10, day(1), hour)
	wantClaimed(t, "first claim: the head of each key and the unkeyed", got, a1, b1, free)
	for _, m := range got[1:] {
		if err := s.CompleteOutbox(ctx, m.ID, m.Lease, day(1)); err != nil {
			t.Fatal(err)
		}
	}
	got = claim(t, s, "w2", 10, day(1).Add(2*hour), hour)
	wantClaimed(t, "claim after the head's lease ran out: the head again, not a2", got, a1)
	lease := got[0].Lease
	retryAt := day(1).Add(5 * hour)
	if err := s.RetryOutbox(ctx, a1.ID, lease, retryAt, "deferred"); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, "w3", 10, day(1).Add(4*hour), hour); len(got) != 0 {
		t.Errorf("claim while the head of a waits for its retry: got %v, want none", msgIDs(got))
	}
	got = claim(t, s, "w3", 10, retryAt, hour)
	wantClaimed(t, "claim at the head's retry", got, a1)
	if err := s.CompleteOutbox(ctx, a1.ID, got[0].Lease, retryAt); err != nil {
		t.Fatal(err)
	}
	got = claim(t, s, "w3", 10, retryAt, hour)
	wantClaimed(t, "claim after the head was sent", got, a2)
	if err := s.DropOutbox(ctx, a2.ID, got[0].Lease, retryAt, "refused"); err != nil {
		t.Fatal(err)
	}
	wantClaimed(t, "claim after the next one died", claim(t, s, "w3", 10, retryAt, hour), a3)
}

// Purge deletes sent and dead messages done before the cutoff, never a
// pending one however old.
func testOutboxPurge(t *testing.T, s store.Store) {
	ctx := t.Context()
	sentOld, deadOld, sentEdge, pendingOld, sentNew := newMessage("mail", day(1)), newMessage("mail", day(1)),
		newMessage("mail", day(1)), newMessage("sms", day(0)), newMessage("mail", day(1))
	mustEnqueue(t, s, sentOld, deadOld, sentEdge, sentNew, pendingOld)
	cutoff := day(10)
	settle := func(m *store.OutboxMessage, lease store.OutboxLease, at time.Time, dead bool) {
		t.Helper()
		var err error
		if dead {
			err = s.DropOutbox(ctx, m.ID, lease, at, "gone")
		} else {
			err = s.CompleteOutbox(ctx, m.ID, lease, at)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	claimed := claim(t, s, "w", 10, day(1), hour)
	wantClaimed(t, "claim", claimed, sentOld, deadOld, sentEdge, sentNew)
	settle(sentOld, claimed[0].Lease, day(2), false)
	settle(deadOld, claimed[1].Lease, cutoff.Add(-time.Millisecond), true)
	settle(sentEdge, claimed[2].Lease, cutoff, false)
	settle(sentNew, claimed[3].Lease, day(11), false)

	n, err := s.PurgeOutbox(ctx, cutoff)
	if err != nil || n != 2 {
		t.Fatalf("PurgeOutbox = %d, %v; want 2", n, err)
	}
	for _, m := range []*store.OutboxMessage{sentOld, deadOld} {
		_, err := s.GetOutbox(ctx, m.ID)
		wantErrIs(t, "a purged message", err, store.ErrNotFound)
	}
	for _, m := range []*store.OutboxMessage{sentEdge, sentNew, pendingOld} {
		mustGetOutbox(t, s, m.ID)
	}
	if n, err := s.PurgeOutbox(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second PurgeOutbox = %d, %v; want 0", n, err)
	}
}

// Twenty workers claiming one message at once: exactly one gets it.
func testConcurrentClaimOne(t *testing.T, s store.Store) {
	const n = 20
	m := newMessage("mail", day(1))
	mustEnqueue(t, s, m)
	got := make([][]*store.OutboxMessage, n)
	errs := race(n, func(i int) error {
		var err error
		got[i], err = s.ClaimOutbox(t.Context(), store.OutboxClaim{Kind: "mail", Owner: fmt.Sprintf("w%02d", i), Limit: 1, Now: day(1), Lease: hour})
		return err
	})
	var winners []int
	for i := range n {
		if errs[i] != nil {
			t.Errorf("claimer %d: %v", i, errs[i])
		}
		if len(got[i]) > 0 {
			winners = append(winners, i)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("claimers that got the message: %v, want exactly one", winners)
	}
	w := winners[0]
	if stored := mustGetOutbox(t, s, m.ID); !sameLease(stored.Lease, got[w][0].Lease) || stored.Attempts != 1 {
		t.Errorf("stored lease %+v, attempts %d; want the winner's %+v, 1", stored.Lease, stored.Attempts, got[w][0].Lease)
	}
}

// Four workers claiming 50 messages a few at a time until none is left:
// every message is claimed exactly once per lease period (disjoint sets
// that cover all), and every holder can complete what it claimed. Then the
// same race after the leases ran out claims each exactly once more.
func testConcurrentClaimDisjoint(t *testing.T, s store.Store) {
	const workers, total = 4, 50
	var all []*store.OutboxMessage
	for range total {
		all = append(all, newMessage("mail", day(1)))
	}
	mustEnqueue(t, s, all...)
	want := slices.Sorted(slices.Values(msgIDs(all)))

	round := func(what string, now time.Time, wantSeq int64) [][]*store.OutboxMessage {
		got := make([][]*store.OutboxMessage, workers)
		errs := race(workers, func(i int) error {
			for {
				batch, err := s.ClaimOutbox(t.Context(), store.OutboxClaim{Kind: "mail", Owner: fmt.Sprintf("w%d", i), Limit: 3, Now: now, Lease: hour})
				if err != nil || len(batch) == 0 {
					return err
				}
				got[i] = append(got[i], batch...)
			}
		})
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var claimed []string
		for i, batch := range got {
			for _, m := range batch {
				claimed = append(claimed, m.ID)
				if m.Lease.Owner != fmt.Sprintf("w%d", i) || m.Lease.Seq != wantSeq {
					t.Errorf("%s: worker %d got %s with lease %+v, want its own with Seq %d", what, i, m.ID, m.Lease, wantSeq)
				}
			}
		}
		slices.Sort(claimed)
		if !slices.Equal(claimed, want) {
			t.Fatalf("%s: %d claims over %d messages; want each claimed exactly once (duplicates or gaps: %v)",
				what, len(claimed), total, diffIDs(claimed, want))
		}
		return got
	}

	round("first round", day(1), 1)
	second := round("after the leases ran out", day(1).Add(2*hour), 2)
	for i, batch := range second {
		for _, m := range batch {
			if err := s.CompleteOutbox(t.Context(), m.ID, m.Lease, day(2)); err != nil {
				t.Errorf("worker %d completing %s: %v", i, m.ID, err)
			}
		}
	}
	if got := claim(t, s, "late", total, day(3), hour); len(got) != 0 {
		t.Errorf("claim after all were completed: got %d messages, want none", len(got))
	}
}

func sameLease(a, b store.OutboxLease) bool {
	return a.Owner == b.Owner && a.Seq == b.Seq && a.Until.Equal(b.Until)
}

// diffIDs lists what is duplicated in got or missing from it, for messages.
func diffIDs(got, want []string) []string {
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	var out []string
	for _, id := range want {
		switch n := count[id]; {
		case n == 0:
			out = append(out, id+" missing")
		case n > 1:
			out = append(out, fmt.Sprintf("%s ×%d", id, n))
		}
	}
	return out
}
