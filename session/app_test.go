package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/token"
)

// application stores an application with roles, its secret made at since.
func (e *env) application(t *testing.T, since time.Time, roles ...string) *store.Application {
	t.Helper()
	now := e.clock.Now()
	a := &store.Application{ID: store.NewID(), Name: "app", ClientID: store.NewID(), SecretHash: "h",
		SecretSince: since, Roles: roles, CreatedAt: now, UpdatedAt: now}
	if err := e.db.CreateApplication(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// verifier reads the claims of access tokens signed on e's keys.
func (e *env) verifier(t *testing.T) *token.Service {
	t.Helper()
	v, err := token.New(t.Context(), e.db, token.Config{Issuer: "http://test", Audience: "http://test",
		AccessTTL: 48 * time.Hour, Now: e.clock.Now}, e.log)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// An APP session belongs to its application and no user: the caller acts
// with the application's roles, the token names the application and says
// APP, and there is no refresh token.
func TestOpenAppSession(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, config())
	a := e.application(t, e.clock.Now(), "reader")
	tok, err := m.OpenApp(withClient(t.Context(), "192.0.2.1", "cron"), a)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Refresh != "" || tok.User != nil || tok.Application.ID != a.ID {
		t.Errorf("OpenApp tokens: refresh %q, user %v, application %v; want none, none, %s", tok.Refresh, tok.User, tok.Application, a.ID)
	}
	s := tok.Session
	if s.Kind != store.SessionApp || s.ApplicationID != a.ID || s.UserID != "" || s.IP != "192.0.2.1" {
		t.Errorf("the APP session: %+v", s)
	}
	p := mustAuthenticate(t, m, "an APP session", tok.Access)
	if !p.IsApp() || p.User != nil || p.UserID != "" || p.Kind != store.SessionApp || p.Application.ID != a.ID {
		t.Errorf("principal of an APP session: %+v", p)
	}
	if got := p.Roles(); len(got) != 1 || got[0] != "reader" {
		t.Errorf("Roles() = %v, want the application's [reader]", got)
	}
	claims, err := e.verifier(t).Verify(tok.Access)
	if err != nil {
		t.Fatal(err)
	}
	if claims.UserID != a.ID || claims.Kind != "APP" {
		t.Errorf("claims: sub %q kind %q, want %q APP", claims.UserID, claims.Kind, a.ID)
	}
	// No user has it: it is nobody's to list, get or revoke as their own.
	if _, err := m.Get(t.Context(), "", s.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf(`Get("", the APP session) = %v, want ErrNotFound`, err)
	}
	if _, err := m.Refresh(t.Context(), ""); err == nil {
		t.Errorf("Refresh with no refresh token succeeded")
	}
}

// The session check requires the application, as stored: deleting it, or
// rotating its secret after the session was opened, ends the session at
// once on this instance and, on others, once their cache entry expires.
func TestAppSessionEndsWithItsApplication(t *testing.T) {
	e := newEnv(t)
	cfg := config()
	cfg.CacheTTL = time.Minute
	m := e.manager(t, cfg)
	other := e.manager(t, cfg) // another instance, caching
	a := e.application(t, e.clock.Now())
	tok, err := m.OpenApp(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	mustAuthenticate(t, other, "before the rotation, on another instance", tok.Access)

	e.clock.Advance(time.Second)
	if _, err := e.db.UpdateApplication(t.Context(), a.ID, func(x *store.Application) error {
		x.SecretHash, x.SecretSince = "new", e.clock.Now()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	m.ForgetApplication(a.ID)
	wantAuthFails(t, m, "after the rotation", tok.Access, ended)
	mustAuthenticate(t, other, "another instance within its cache TTL", tok.Access)
	e.clock.Advance(cfg.CacheTTL)
	wantAuthFails(t, other, "another instance after its cache TTL", tok.Access, ended)

	fresh, err := m.OpenApp(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	mustAuthenticate(t, m, "a session opened after the rotation", fresh.Access)
	if err := e.db.DeleteApplication(t.Context(), a.ID); err != nil {
		t.Fatal(err)
	}
	m.ForgetApplication(a.ID)
	wantAuthFails(t, m, "after the application was deleted", fresh.Access, ended)
}

// A guest's upgrade goes on in the same session: after Promote the same
// access token authenticates a USER session, listings say USER, and a
// refresh signs tokens that say USER.
func TestPromoteGuestSessions(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, config())
	u := e.user(t, "guest_1")
	tok, err := m.Open(t.Context(), u, store.SessionGuest)
	if err != nil {
		t.Fatal(err)
	}
	if p := mustAuthenticate(t, m, "a guest session", tok.Access); p.Kind != store.SessionGuest {
		t.Fatalf("kind before the upgrade: %s", p.Kind)
	}
	if err := m.Promote(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
	if p := mustAuthenticate(t, m, "the same token after Promote", tok.Access); p.Kind != store.SessionUser {
		t.Errorf("kind after Promote: got %s, want USER (the stored session's, not the token's GUEST)", p.Kind)
	}
	live := listOrFail(t, m, u.ID)
	if len(live) != 1 || live[0].Kind != store.SessionUser || live[0].ID != tok.Session.ID {
		t.Errorf("sessions after Promote: %+v, want the same session, USER", live)
	}
	next := mustRefresh(t, m, "after Promote", tok.Refresh)
	claims, err := e.verifier(t).Verify(next.Access)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Kind != "USER" || claims.SessionID != tok.Session.ID {
		t.Errorf("refreshed token: kind %q session %q, want USER %q", claims.Kind, claims.SessionID, tok.Session.ID)
	}
}

// Jobs added with AlsoPurge run with each purge, from Run's start.
func TestAlsoPurgeRunsWithThePurge(t *testing.T) {
	e := newEnv(t)
	cfg := config()
	cfg.PurgeEvery = time.Hour
	m := e.manager(t, cfg)
	ran := make(chan struct{}, 1)
	m.AlsoPurge(func(context.Context) { ran <- struct{}{} })
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { stop(); <-done }()
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the janitor's job did not run at Run's start")
	}
}

// APP sessions have no user: revoking or listing the sessions of the user
// "" reaches none of them.
func TestAppSessionsAreNoUsersSessions(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, config())
	tok, err := m.OpenApp(t.Context(), e.application(t, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := m.RevokeUser(t.Context(), "", ""); err != nil || n != 0 {
		t.Errorf(`RevokeUser("") = %d, %v; want 0`, n, err)
	}
	if n, err := m.RevokeUsers(t.Context(), []string{""}, ""); err != nil || n != 0 {
		t.Errorf(`RevokeUsers([""]) = %d, %v; want 0`, n, err)
	}
	if live := listOrFail(t, m, ""); len(live) != 0 {
		t.Errorf(`List("") = %v, want none`, live)
	}
	mustAuthenticate(t, m, "the APP session after all that", tok.Access)
}
