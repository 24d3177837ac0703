package apps_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/apps"
	"github.com/usergraph/usergraph/internal/servicetest"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// The application rules against a real SQLite store, wired as the server
// wires them; the session cache trusts a checked session for an hour, so
// that "at once" means the cache was told.

type env struct {
	ctx      context.Context
	db       *sqlite.DB
	sessions *session.Manager
	roles    *access.Service
	apps     *apps.Service
	admin    *session.Principal
}

func newEnv(t *testing.T, perIP ratelimit.Rule) *env {
	t.Helper()
	ctx := t.Context()
	c := servicetest.New(t, ctx, servicetest.Options{})
	a := apps.New(apps.Deps{Store: c.DB, Sessions: c.Sessions, Access: c.Roles, SessionsPerIP: ratelimit.New(perIP), Log: c.Log})
	admin := &session.Principal{UserID: store.NewID(), User: &store.User{Roles: []string{access.AdminRole}}}
	return &env{ctx: ctx, db: c.DB, sessions: c.Sessions, roles: c.Roles, apps: a, admin: admin}
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); err == nil || got != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

func (e *env) create(t *testing.T, name string, roles ...string) *apps.Credentials {
	t.Helper()
	c, err := e.apps.Create(e.ctx, e.admin, apps.Input{Name: name, Roles: roles})
	if err != nil {
		t.Fatalf("Create(%s): %v", name, err)
	}
	return c
}

func (e *env) open(t *testing.T, clientID, secret string) *session.Tokens {
	t.Helper()
	tok, err := e.apps.OpenSession(e.ctx, clientID, secret)
	if err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	return tok
}

// The secret is shown once, has at least 256 random bits and is stored
// only as its SHA-256; the client id is public and unique.
func TestCreateKeepsOnlyTheSecretsHash(t *testing.T) {
	e := newEnv(t, ratelimit.Rule{})
	c := e.create(t, "  Mobile app  ")
	a := c.Application
	if a.Name != "Mobile app" || a.ID == "" || !strings.HasPrefix(a.ClientID, "ugc_") {
		t.Errorf("created application: %+v", a)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(c.ClientSecret, "ugs_"))
	if err != nil || len(raw)*8 < 256 {
		t.Errorf("client secret %q: %d random bits (%v), want at least 256", c.ClientSecret, len(raw)*8, err)
	}
	stored, err := e.db.GetApplication(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(c.ClientSecret))
	if stored.SecretHash != hex.EncodeToString(sum[:]) || strings.Contains(stored.SecretHash, c.ClientSecret) {
		t.Errorf("stored secret hash %q is not the secret's SHA-256", stored.SecretHash)
	}
	if other := e.create(t, "other"); other.Application.ClientID == a.ClientID || other.ClientSecret == c.ClientSecret {
		t.Errorf("two applications share credentials")
	}
	list, err := e.apps.List(e.ctx)
	if err != nil || len(list) != 2 || list[0].ID != a.ID {
		t.Errorf("List = %v, %v; want both, oldest first", list, err)
	}
}

// Good credentials open an APP session acting with the application's
// roles and move lastUsedAt; an unknown client id and a wrong secret get
// the same INVALID_CREDENTIALS.
func TestOpenSession(t *testing.T) {
	e := newEnv(t, ratelimit.Rule{})
	c := e.create(t, "server", "user")
	tok := e.open(t, c.Application.ClientID, c.ClientSecret)
	p, err := e.sessions.Authenticate(e.ctx, tok.Access)
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsApp() || p.Application.ID != c.Application.ID || strings.Join(p.Roles(), ",") != "user" {
		t.Errorf("principal: %+v", p)
	}
	stored, _ := e.db.GetApplication(e.ctx, c.Application.ID)
	if !stored.LastUsedAt.Equal(tok.Session.CreatedAt) {
		t.Errorf("lastUsedAt = %v, want the session's start %v", stored.LastUsedAt, tok.Session.CreatedAt)
	}
	var msgs []string
	for _, bad := range []struct{ what, id, secret string }{
		{"wrong secret", c.Application.ClientID, c.ClientSecret + "x"},
		{"empty secret", c.Application.ClientID, ""},
		{"unknown client id", "ugc_nobody", c.ClientSecret},
		{"overlong secret", c.Application.ClientID, strings.Repeat("s", 10_000)},
	} {
		_, err := e.apps.OpenSession(e.ctx, bad.id, bad.secret)
		wantCode(t, bad.what, err, apperr.InvalidCredentials)
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Errorf("answers differ: %q vs %q", m, msgs[0])
		}
	}
}

// applicationSession is limited per client IP, wrong and right attempts
// alike: each one tries a secret.
func TestOpenSessionLimitedPerIP(t *testing.T) {
	e := newEnv(t, ratelimit.Rule{Burst: 2, Per: time.Hour})
	c := e.create(t, "server")
	ctx := session.WithClient(e.ctx, session.Client{IP: "198.51.100.1"})
	if _, err := e.apps.OpenSession(ctx, c.Application.ClientID, "wrong"); apperr.CodeOf(err) != apperr.InvalidCredentials {
		t.Fatalf("first attempt: %v", err)
	}
	if _, err := e.apps.OpenSession(ctx, c.Application.ClientID, c.ClientSecret); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	_, err := e.apps.OpenSession(ctx, c.Application.ClientID, c.ClientSecret)
	wantCode(t, "third attempt from the same IP", err, apperr.RateLimited)
	other := session.WithClient(e.ctx, session.Client{IP: "198.51.100.2"})
	if _, err := e.apps.OpenSession(other, c.Application.ClientID, c.ClientSecret); err != nil {
		t.Errorf("another IP: %v", err)
	}
}

// A rotation makes the old secret fail at once and ends the sessions
// opened with it; the new secret opens sessions.
func TestRotateSecret(t *testing.T) {
	e := newEnv(t, ratelimit.Rule{})
	c := e.create(t, "server")
	before := e.open(t, c.Application.ClientID, c.ClientSecret)
	if _, err := e.sessions.Authenticate(e.ctx, before.Access); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // the store keeps milliseconds: the rotation is strictly later
	rotated, err := e.apps.RotateSecret(e.ctx, c.Application.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.ClientSecret == c.ClientSecret || rotated.Application.ClientID != c.Application.ClientID {
		t.Errorf("rotation: same secret, or the client id changed")
	}
	_, err = e.apps.OpenSession(e.ctx, c.Application.ClientID, c.ClientSecret)
	wantCode(t, "the old secret", err, apperr.InvalidCredentials)
	_, err = e.sessions.Authenticate(e.ctx, before.Access)
	wantCode(t, "a session opened with the old secret", err, apperr.Unauthenticated)
	after := e.open(t, c.Application.ClientID, rotated.ClientSecret)
	if _, err := e.sessions.Authenticate(e.ctx, after.Access); err != nil {
		t.Errorf("a session opened with the new secret: %v", err)
	}
	_, err = e.apps.RotateSecret(e.ctx, store.NewID())
	wantCode(t, "rotating an unknown application", err, apperr.NotFound)
}

// Deleting an application ends its sessions at once.
func TestDeleteEndsSessions(t *testing.T) {
	e := newEnv(t, ratelimit.Rule{})
	c := e.create(t, "server")
	tok := e.open(t, c.Application.ClientID, c.ClientSecret)
	if _, err := e.sessions.Authenticate(e.ctx, tok.Access); err != nil {
		t.Fatal(err)
	}
	if err := e.apps.Delete(e.ctx, c.Application.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.sessions.Authenticate(e.ctx, tok.Access)
	wantCode(t, "a session of a deleted application", err, apperr.Unauthenticated)
	_, err = e.apps.OpenSession(e.ctx, c.Application.ClientID, c.ClientSecret)
	wantCode(t, "credentials of a deleted application", err, apperr.InvalidCredentials)
	wantCode(t, "deleting it again", e.apps.Delete(e.ctx, c.Application.ID), apperr.NotFound)
	wantCode(t, "deleting an overlong id", e.apps.Delete(e.ctx, strings.Repeat("x", 100)), apperr.NotFound)
}

// Roles must exist; giving an application a role needs the permission to
// grant roles, besides managing applications; an update's new roles apply
// to its sessions from their next request.
func TestApplicationRoles(t *testing.T) {
	e := newEnv(t, ratelimit.Rule{})
	_, err := e.apps.Create(e.ctx, e.admin, apps.Input{Name: "x", Roles: []string{"no-such-role"}})
	wantCode(t, "an unknown role", err, apperr.InvalidRole)
	_, err = e.apps.Create(e.ctx, e.admin, apps.Input{Name: "   "})
	wantCode(t, "a blank name", err, apperr.BadUserInput)
	_, err = e.apps.Create(e.ctx, e.admin, apps.Input{Name: strings.Repeat("n", apps.MaxNameChars+1)})
	wantCode(t, "a long name", err, apperr.BadUserInput)

	if _, err := e.roles.CreateRole(e.ctx, "appmanager", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.roles.AddPermission(e.ctx, "appmanager", access.PermissionInput{Pattern: access.ResourceApplications,
		Verbs: []store.Verb{store.VerbPost, store.VerbPatch}}); err != nil {
		t.Fatal(err)
	}
	manager := &session.Principal{UserID: store.NewID(), User: &store.User{Roles: []string{"appmanager"}}}
	_, err = e.apps.Create(e.ctx, manager, apps.Input{Name: "escalate", Roles: []string{access.AdminRole}})
	wantCode(t, "granting a role without the roles permission", err, apperr.Forbidden)
	plain, err := e.apps.Create(e.ctx, manager, apps.Input{Name: "plain"})
	if err != nil {
		t.Fatalf("an application without roles, by an application manager: %v", err)
	}
	_, err = e.apps.Update(e.ctx, manager, plain.Application.ID, apps.Input{Name: "plain", Roles: []string{"user"}})
	wantCode(t, "adding a role without the roles permission", err, apperr.Forbidden)

	tok := e.open(t, plain.Application.ClientID, plain.ClientSecret)
	if p, err := e.sessions.Authenticate(e.ctx, tok.Access); err != nil || len(p.Roles()) != 0 {
		t.Fatalf("before the update: %v, roles %v", err, p.Roles())
	}
	if _, err := e.apps.Update(e.ctx, e.admin, plain.Application.ID, apps.Input{Name: "renamed", Roles: []string{"user", "USER"}}); err != nil {
		t.Fatal(err)
	}
	p, err := e.sessions.Authenticate(e.ctx, tok.Access)
	if err != nil || strings.Join(p.Roles(), ",") != "user" || p.Application.Name != "renamed" {
		t.Errorf("the same session after the update: %v, roles %v; want [user] at once", err, p.Roles())
	}
	// Keeping roles it holds, or dropping them, needs no grant.
	if _, err := e.apps.Update(e.ctx, manager, plain.Application.ID, apps.Input{Name: "kept", Roles: []string{"user"}}); err != nil {
		t.Errorf("keeping the roles: %v", err)
	}
	if _, err := e.apps.Update(e.ctx, manager, plain.Application.ID, apps.Input{Name: "dropped"}); err != nil {
		t.Errorf("dropping the roles: %v", err)
	}
	_, err = e.apps.Update(e.ctx, e.admin, store.NewID(), apps.Input{Name: "x"})
	wantCode(t, "updating an unknown application", err, apperr.NotFound)
}
