package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var oauthStateTests = []subTest{
	{"OAuthStateConsumeOnce", testOAuthStateConsumeOnce},
	{"OAuthStateRefused", testOAuthStateRefused},
	{"OAuthStatePurge", testOAuthStatePurge},
	{"ConcurrentConsumeOAuthState", testConcurrentConsumeOAuthState},
}

// newOAuthState is a LINK state named name, created at created and valid
// ten minutes.
func newOAuthState(name string, created time.Time) *store.OAuthState {
	return &store.OAuthState{Hash: "hash-" + name, Provider: "google", Action: store.OAuthLink,
		Verifier: "verifier-" + name, Nonce: "nonce-" + name, RedirectURI: "https://app.example/cb?x=" + name,
		UserID: "user-" + name, DeviceToken: "device-" + name, CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute)}
}

func mustCreateOAuthState(t *testing.T, s store.Store, states ...*store.OAuthState) {
	t.Helper()
	for _, st := range states {
		if err := s.CreateOAuthState(t.Context(), st); err != nil {
			t.Fatalf("CreateOAuthState(%s): %v", st.Hash, err)
		}
	}
}

// A state reads back whole, once; other states are untouched by it.
func testOAuthStateConsumeOnce(t *testing.T, s store.Store) {
	a, b := newOAuthState("a", t0.Add(1234567)), newOAuthState("b", t0)
	mustCreateOAuthState(t, s, a, b)
	got, err := s.ConsumeOAuthState(t.Context(), a.Hash)
	if err != nil {
		t.Fatalf("ConsumeOAuthState: %v", err)
	}
	for _, f := range []struct{ field, got, want string }{
		{"Hash", got.Hash, a.Hash}, {"Provider", got.Provider, a.Provider}, {"Action", string(got.Action), string(a.Action)},
		{"Verifier", got.Verifier, a.Verifier}, {"Nonce", got.Nonce, a.Nonce}, {"RedirectURI", got.RedirectURI, a.RedirectURI},
		{"UserID", got.UserID, a.UserID}, {"DeviceToken", got.DeviceToken, a.DeviceToken},
	} {
		if f.got != f.want {
			t.Errorf("ConsumeOAuthState: %s got %q, want %q", f.field, f.got, f.want)
		}
	}
	checkTime(t, "CreatedAt", got.CreatedAt, a.CreatedAt)
	checkTime(t, "ExpiresAt", got.ExpiresAt, a.ExpiresAt)
	_, err = s.ConsumeOAuthState(t.Context(), a.Hash)
	wantErrIs(t, "ConsumeOAuthState a second time", err, store.ErrNotFound)
	if _, err := s.ConsumeOAuthState(t.Context(), b.Hash); err != nil {
		t.Errorf("ConsumeOAuthState of the other state: %v", err)
	}
}

// Unknown hashes, an empty hash and a taken hash are refused.
func testOAuthStateRefused(t *testing.T, s store.Store) {
	_, err := s.ConsumeOAuthState(t.Context(), "hash-unknown")
	wantErrIs(t, "ConsumeOAuthState of an unknown hash", err, store.ErrNotFound)
	_, err = s.ConsumeOAuthState(t.Context(), "")
	wantErrIs(t, "ConsumeOAuthState of an empty hash", err, store.ErrNotFound)
	empty := newOAuthState("x", t0)
	empty.Hash = ""
	wantErrIs(t, "CreateOAuthState without a hash", s.CreateOAuthState(t.Context(), empty), store.ErrInvalid)
	a := newOAuthState("a", t0)
	mustCreateOAuthState(t, s, a)
	again := newOAuthState("a", t0.Add(time.Minute))
	again.Verifier = "another"
	wantErrIs(t, "CreateOAuthState of a taken hash", s.CreateOAuthState(t.Context(), again), store.ErrAlreadyExists)
	got, err := s.ConsumeOAuthState(t.Context(), a.Hash)
	if err != nil || got.Verifier != a.Verifier {
		t.Errorf("ConsumeOAuthState after the refused duplicate: got %+v, %v; want the first state", got, err)
	}
}

// The purge deletes what expired before its time, and nothing else.
func testOAuthStatePurge(t *testing.T, s store.Store) {
	old, edge, fresh := newOAuthState("old", t0), newOAuthState("edge", t0.Add(time.Hour)), newOAuthState("fresh", t0.Add(2*time.Hour))
	mustCreateOAuthState(t, s, old, edge, fresh)
	n, err := s.PurgeOAuthStates(t.Context(), edge.ExpiresAt)
	if err != nil || n != 1 {
		t.Fatalf("PurgeOAuthStates: got %d, %v; want 1", n, err)
	}
	_, err = s.ConsumeOAuthState(t.Context(), old.Hash)
	wantErrIs(t, "ConsumeOAuthState of a purged state", err, store.ErrNotFound)
	for _, st := range []*store.OAuthState{edge, fresh} {
		if _, err := s.ConsumeOAuthState(t.Context(), st.Hash); err != nil {
			t.Errorf("ConsumeOAuthState(%s) after the purge: %v", st.Hash, err)
		}
	}
}

// Ten callers consume one state at once: exactly one gets it.
func testConcurrentConsumeOAuthState(t *testing.T, s store.Store) {
	st := newOAuthState("a", store.Now())
	mustCreateOAuthState(t, s, st)
	const callers = 10
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { _, errs[i] = s.ConsumeOAuthState(t.Context(), st.Hash) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrNotFound):
			t.Errorf("caller %d: got %v, want nil or ErrNotFound", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent consumers got the state, want exactly 1", won, callers)
	}
}
