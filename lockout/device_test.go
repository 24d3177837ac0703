package lockout_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func loadDevices(t *testing.T, s store.Store, budget ratelimit.Rule) *lockout.Devices {
	t.Helper()
	d, err := lockout.LoadDevices(t.Context(), s, budget)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var budget = ratelimit.Rule{Burst: 3, Per: time.Hour}

func TestDeviceCookieTrust(t *testing.T) {
	s := openStore(t)
	d := loadDevices(t, s, budget)
	now := time.Now()
	alice, exp := d.Issue("alice-id", "", now)
	if got := exp.Sub(now); got < 300*24*time.Hour {
		t.Errorf("cookie lives %v, want long-lived", got)
	}
	if _, ok := d.Trusted(alice, "alice-id", now); !ok {
		t.Error("a fresh cookie is not trusted for its account")
	}
	if _, ok := d.Trusted(alice, "bob-id", now); ok {
		t.Error("alice's cookie is trusted for bob")
	}
	if _, ok := d.Trusted(alice, "alice-id", exp.Add(time.Second)); ok {
		t.Error("an expired cookie is trusted")
	}
	forged := strings.Replace(alice, "alice-id", "bob-id", 1)
	if _, ok := d.Trusted(forged, "bob-id", now); ok {
		t.Error("a cookie re-addressed to bob is trusted for bob")
	}
	for _, junk := range []string{"", "x", "a.b.c.d", strings.Repeat("~", 5000)} {
		if _, ok := d.Trusted(junk, "alice-id", now); ok {
			t.Errorf("junk %.20q is trusted", junk)
		}
	}
	// Another instance on the same database shares the key.
	if _, ok := loadDevices(t, s, budget).Trusted(alice, "alice-id", now); !ok {
		t.Error("a second instance on the same store does not trust the cookie")
	}
	if _, ok := loadDevices(t, openStore(t), budget).Trusted(alice, "alice-id", now); ok {
		t.Error("a server with another key trusts the cookie")
	}
}

func TestDeviceCookieSeveralAccounts(t *testing.T) {
	d := loadDevices(t, openStore(t), budget)
	now := time.Now()
	c, _ := d.Issue("alice-id", "", now)
	c, _ = d.Issue("bob-id", c, now)
	for _, id := range []string{"alice-id", "bob-id"} {
		if _, ok := d.Trusted(c, id, now); !ok {
			t.Errorf("after signing in to alice then bob, the cookie is not trusted for %s", id)
		}
	}
	for _, id := range []string{"c", "d", "e", "f"} {
		c, _ = d.Issue(id, c, now)
	}
	if _, ok := d.Trusted(c, "f", now); !ok {
		t.Error("the newest account fell out")
	}
	if _, ok := d.Trusted(c, "alice-id", now); ok {
		t.Error("six accounts later the oldest is still trusted, want at most four entries")
	}
}

func TestDeviceCookieBudget(t *testing.T) {
	d := loadDevices(t, openStore(t), budget)
	now := time.Now()
	c, _ := d.Issue("alice-id", "", now)
	key, _ := d.Trusted(c, "alice-id", now)
	for range budget.Burst {
		d.Fail(key)
	}
	if _, ok := d.Trusted(c, "alice-id", now); ok {
		t.Errorf("trusted after %d failures, want spent", budget.Burst)
	}
	fresh, _ := d.Issue("alice-id", c, now) // a new sign-in: a new nonce, a new budget
	if _, ok := d.Trusted(fresh, "alice-id", now); !ok {
		t.Error("the cookie of a new sign-in inherits the spent budget")
	}
}
