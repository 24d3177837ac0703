package storetest

import (
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var activityTests = []subTest{
	{"RecordActivityMovesForward", testActivityForward},
	{"RecordActivityNeverBack", testActivityNeverBack},
	{"RecordActivityUnknownIDs", testActivityUnknown},
}

// seedActivity creates a user that never made a request and one session of it.
func seedActivity(t *testing.T, s store.Store) (*store.User, *store.Session) {
	t.Helper()
	u := newUser("active")
	mustCreateUsers(t, s, u)
	ss := newSession(u.ID, day(1))
	mustCreateSession(t, s, ss)
	return mustGetUser(t, s, u.ID), ss
}

func record(t *testing.T, s store.Store, batch ...store.Activity) {
	t.Helper()
	if err := s.RecordActivity(t.Context(), batch); err != nil {
		t.Fatalf("RecordActivity: %v", err)
	}
}

// checkActivity compares the session's LastSeenAt and the user's
// LastRequestAt with want.
func checkActivity(t *testing.T, s store.Store, what string, u *store.User, ss *store.Session, want time.Time) {
	t.Helper()
	got := mustGetUser(t, s, u.ID)
	checkTime(t, what+": user LastRequestAt", got.LastRequestAt, want)
	sess, err := s.GetSession(t.Context(), ss.ID)
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	checkTime(t, what+": session LastSeenAt", sess.LastSeenAt, want)
}

func testActivityForward(t *testing.T, s store.Store) {
	u, ss := seedActivity(t, s)
	// A zone and nanoseconds: the stored value is Trunc(At) like every time.
	at := time.Date(2024, 1, 3, 12, 0, 0, 123456789, time.FixedZone("UTC+2", 7200))
	record(t, s, store.Activity{SessionID: ss.ID, UserID: u.ID, At: at})
	checkActivity(t, s, "after one request", u, ss, at)
	if got := mustGetUser(t, s, u.ID); got.Version != u.Version {
		t.Errorf("user Version after RecordActivity: got %d, want %d (unchanged)", got.Version, u.Version)
	}
}

// An older At never moves a time back: not in a later batch, not inside one
// batch where the newer request comes first.
func testActivityNeverBack(t *testing.T, s store.Store) {
	u, ss := seedActivity(t, s)
	act := func(at time.Time) store.Activity { return store.Activity{SessionID: ss.ID, UserID: u.ID, At: at} }
	record(t, s, act(day(5)))
	record(t, s, act(day(3)))
	checkActivity(t, s, "older At in a later batch", u, ss, day(5))
	record(t, s, act(day(7)), act(day(6)))
	checkActivity(t, s, "newer then older in one batch", u, ss, day(7))
	record(t, s, act(day(7).Add(time.Millisecond)))
	checkActivity(t, s, "one millisecond later", u, ss, day(7).Add(time.Millisecond))
}

// Unknown ids are ignored, and do not stop the rest of the batch.
func testActivityUnknown(t *testing.T, s store.Store) {
	u, ss := seedActivity(t, s)
	record(t, s,
		store.Activity{SessionID: store.NewID(), UserID: store.NewID(), At: day(2)},
		store.Activity{SessionID: ss.ID, UserID: u.ID, At: day(4)},
		store.Activity{SessionID: store.NewID(), UserID: store.NewID(), At: day(9)},
	)
	checkActivity(t, s, "batch with unknown ids", u, ss, day(4))
	if err := s.RecordActivity(t.Context(), nil); err != nil {
		t.Errorf("RecordActivity(empty batch): %v", err)
	}
}
