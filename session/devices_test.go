package session_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Sessions on devices: the session remembers its device, the batched
// activity moves the device's last use, RevokeDevices ends the device's
// sessions at once, and the device gate is asked when a session is read
// from the store, never per request.

// gate is a session.DeviceGate that counts its questions and answers ok.
type gate struct {
	asked atomic.Int64
	ok    atomic.Bool
}

func (g *gate) AdmitsSession(context.Context, *store.Session) (bool, error) {
	g.asked.Add(1)
	return g.ok.Load(), nil
}

// device stores a device of u.
func (e *env) device(t *testing.T, u *store.User, token string) *store.Device {
	t.Helper()
	d := &store.Device{ID: store.NewID(), UserID: u.ID, Token: token, CanAccess: true, CreatedAt: e.clock.Now()}
	if err := e.db.CreateDevice(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOpenOnDeviceRecordsItsUse(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, config())
	u := e.user(t, "alice")
	d := e.device(t, u, "phone")
	tok, err := m.OpenOn(t.Context(), u, store.SessionUser, d)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Session.DeviceID != d.ID {
		t.Fatalf("OpenOn: session device %q, want %s", tok.Session.DeviceID, d.ID)
	}
	if s, err := e.db.GetSession(t.Context(), tok.Session.ID); err != nil || s.DeviceID != d.ID {
		t.Fatalf("stored session: %+v, %v; want device %s", s, err, d.ID)
	}
	opened := e.clock.Now()
	m.Flush(t.Context())
	if got, _ := e.db.GetDevice(t.Context(), d.ID); !got.LastUsedAt.Equal(store.Trunc(opened)) {
		t.Errorf("LastUsedAt after the sign-in's flush = %v, want %v", got.LastUsedAt, opened)
	}
	e.clock.Advance(time.Minute)
	mustAuthenticate(t, m, "a request", tok.Access)
	if got, _ := e.db.GetDevice(t.Context(), d.ID); !got.LastUsedAt.Equal(store.Trunc(opened)) {
		t.Errorf("LastUsedAt before the flush = %v, want %v: no store write per request", got.LastUsedAt, opened)
	}
	m.Flush(t.Context())
	if got, _ := e.db.GetDevice(t.Context(), d.ID); !got.LastUsedAt.Equal(store.Trunc(e.clock.Now())) {
		t.Errorf("LastUsedAt after the flush = %v, want the request's %v", got.LastUsedAt, e.clock.Now())
	}
	plain := open(t, m, u)
	if plain.Session.DeviceID != "" {
		t.Errorf("Open: device %q, want none", plain.Session.DeviceID)
	}
}

func TestRevokeDevicesEndsTheirSessionsAtOnce(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, config()) // the cache trusts a checked session for an hour
	u, v := e.user(t, "alice"), e.user(t, "bob")
	phone, laptop := e.device(t, u, "phone"), e.device(t, u, "laptop")
	on := func(u *store.User, d *store.Device) string {
		tok, err := m.OpenOn(t.Context(), u, store.SessionUser, d)
		if err != nil {
			t.Fatal(err)
		}
		mustAuthenticate(t, m, "warm the cache", tok.Access)
		return tok.Access
	}
	p1, p2, l, none, other := on(u, phone), on(u, phone), on(u, laptop), on(u, nil), on(v, nil)
	n, err := m.RevokeDevices(t.Context(), u.ID, []string{phone.ID})
	if err != nil || n != 2 {
		t.Fatalf("RevokeDevices: %d, %v; want the phone's 2 sessions", n, err)
	}
	wantAuthFails(t, m, "a session on the phone", p1, ended)
	wantAuthFails(t, m, "another session on the phone", p2, ended)
	for _, live := range []string{l, none, other} {
		mustAuthenticate(t, m, "a session on another device, on none, or another user's", live)
	}
	if n, err := m.RevokeDevices(t.Context(), u.ID, nil); n != 0 || err != nil {
		t.Errorf("RevokeDevices of no devices: %d, %v; want 0, nil", n, err)
	}
	mustAuthenticate(t, m, "the laptop after revoking no devices", l)
}

// The gate is asked when the session is read from the store: once per
// cache entry, not per request; a refusal is UNAUTHENTICATED 607, also at
// refresh.
func TestDeviceGateAskedAtStoreReadsOnly(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, config())
	g := &gate{}
	g.ok.Store(true)
	m.GateDevices(g)
	u := e.user(t, "alice")
	tok, err := m.OpenOn(t.Context(), u, store.SessionUser, e.device(t, u, "phone"))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		mustAuthenticate(t, m, "a request", tok.Access)
	}
	if got := g.asked.Load(); got != 1 {
		t.Fatalf("the gate was asked %d times for 5 requests, want once (then the cache answers)", got)
	}
	g.ok.Store(false)
	mustAuthenticate(t, m, "a cached session, before anything tells the cache", tok.Access)
	m.ForgetUsers(u.ID)
	wantAuthFails(t, m, "a session the gate refuses", tok.Access, ended)
	if _, err := m.Refresh(t.Context(), tok.Refresh); err == nil {
		t.Fatal("a refresh the gate refuses succeeded")
	}
}
