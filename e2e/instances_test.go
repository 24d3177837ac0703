package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/mail/mailtest"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/mongo"
	"github.com/usergraph/usergraph/store/sqlite"
)

// Several instances on one database (startInstances): what one instance
// does, every other one sees. What is in the store (accounts, sessions,
// refresh tokens, the bootstrap state) is seen at once; what an instance
// caches, a session it has checked, for at most -session-cache-ttl, the
// documented cross-instance revocation bound (docs/SCALING.md).
//
// Each feature that two instances could do twice, or that one instance
// could miss, has its case here, started with startInstances and checked
// on each instance: so far accounts and sessions, refresh-token reuse,
// the first administrator, purges, device restrictions, and the outbox's
// mail sent once whichever instance's worker takes it (account
// recovery); webhooks are to add theirs.

// A user who signs up through one instance signs in through another, and
// each instance accepts the other's tokens.
func TestInstancesShareAccounts(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t)
	up := a.signup(t, "shared", testPassword)
	in := b.login(t, "shared", testPassword)
	if in.User.ID != up.User.ID {
		t.Fatalf("signed in on b as user %s, want %s, who signed up on a", in.User.ID, up.User.ID)
	}
	wantSignedIn(t, a, "b's token on a", in)
	wantSignedIn(t, b, "a's token on b", up)
	if !usernameTaken(t, b, "shared") {
		t.Error("usernameExists on b = false for a name taken on a")
	}
	r := b.gql(t, "", signupMutation, vars{"in": vars{"username": "shared", "password": testPassword}})
	wantCode(t, r, "ALREADY_EXISTS", 0)
}

// A logout, a suspension and a password change made through one instance
// end the sessions they end on the other one too: with a short cache TTL
// once it has passed, with none at the other instance's next request.
// Each session was checked on that other instance just before, so it
// answers from its cache until the bound.
func TestInstancesRevocationBound(t *testing.T) {
	t.Parallel()
	for _, bound := range []time.Duration{time.Second, 0} {
		t.Run(fmt.Sprintf("session-cache-ttl %s", bound), func(t *testing.T) {
			t.Parallel()
			servers := startInstances(t, 2, withConfig(func(c *app.Config) { c.Sessions.CacheTTL = bound }))
			a, b := servers[0], servers[1]
			root := adminOf(t, servers).AccessToken

			loggedOut := a.signup(t, "byebye", testPassword)
			suspendedID, suspended := newUserWithRoles(t, a, root, "suspendme")
			changer := a.signup(t, "changer", testPassword)
			changed := b.login(t, "changer", testPassword) // the changer's other session
			warmSessionCache(t, b, loggedOut, suspended, changed)

			a.mustGQL(t, loggedOut.AccessToken, `mutation { logout }`, nil)
			a.mustGQL(t, root, `mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { status } }`, vars{"id": suspendedID})
			a.mustGQL(t, changer.AccessToken, `mutation($old: String!, $new: String!) { changePassword(oldPassword: $old, newPassword: $new) }`,
				vars{"old": testPassword, "new": "a brand new passphrase"})
			time.Sleep(bound) // b's entries were cached before the changes: they run out by now

			wantSessionEnded(t, b, "on b, a session logged out on a", loggedOut)
			wantSessionEnded(t, b, "on b, a session of a user suspended on a", suspended)
			wantSessionEnded(t, b, "on b, the other session of a user whose password changed on a", changed)
			wantSignedIn(t, b, "on b, the session that changed its password on a", changer)
		})
	}
}

// A refresh token replayed on another instance than the one that rotated
// it is a replay all the same, and the reuse window's rule (only a repeat
// of the just-rotated token gets a sibling) holds whichever instance each
// refresh reaches. No cache here: the instance that rotated sees the other
// one's revocation at once.
func TestInstancesDetectRefreshReuse(t *testing.T) {
	t.Parallel()
	noCache := withConfig(func(c *app.Config) { c.Sessions.CacheTTL = 0 })

	t.Run("a replay on the other instance ends the session", func(t *testing.T) {
		t.Parallel()
		a, b := twoInstances(t, noCache, withConfig(func(c *app.Config) { c.Sessions.ReuseWindow = 0 }))
		a.signup(t, "replayed", testPassword)
		first := a.login(t, "replayed", testPassword)
		second := mustRefreshSession(t, a, first.RefreshToken)
		wantSignedIn(t, b, "the successor on b", second)

		wantCode(t, refreshSession(t, b, first.RefreshToken), "UNAUTHENTICATED", 607)
		wantSessionEnded(t, a, "on a, the successor after the replay on b", second)
		wantCode(t, b.gql(t, second.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 607)
	})
	t.Run("the sibling rule across instances", func(t *testing.T) {
		t.Parallel()
		a, b := twoInstances(t, noCache, withConfig(func(c *app.Config) { c.Sessions.ReuseWindow = time.Hour }))
		a.signup(t, "siblings", testPassword)
		first := a.login(t, "siblings", testPassword)
		second := mustRefreshSession(t, a, first.RefreshToken)
		sibling := mustRefreshSession(t, b, first.RefreshToken) // the other tab, through b
		if sibling.Session.ID != first.Session.ID || sibling.RefreshToken == second.RefreshToken {
			t.Fatalf("repeat on b within the window: session %s, same token as a's successor %v; want a sibling in session %s",
				sibling.Session.ID, sibling.RefreshToken == second.RefreshToken, first.Session.ID)
		}
		third := mustRefreshSession(t, b, second.RefreshToken) // a's successor used, through b
		wantCode(t, refreshSession(t, a, first.RefreshToken), "UNAUTHENTICATED", 607)
		wantSessionEnded(t, b, "on b, the successor's successor", third)
		wantSessionEnded(t, a, "on a, the sibling", sibling)
	})
}

// Two instances that start at once on a new database log one bootstrap
// token between them, which the other accepts; initialize raced through
// both with a configured token creates one administrator, and every other
// call gets the already-initialized refusal.
func TestInstancesInitializeHasOneWinner(t *testing.T) {
	t.Parallel()
	t.Run("one generated token", func(t *testing.T) {
		t.Parallel()
		servers := startInstances(t, 2)
		var logged []int
		for i, ts := range servers {
			if strings.Contains(ts.logs.String(), "bootstrap_token=") {
				logged = append(logged, i)
			}
		}
		if len(logged) != 1 {
			t.Fatalf("instances %v logged a bootstrap token, want exactly one", logged)
		}
		other := servers[1-logged[0]]
		other.mustGQL(t, "", initializeMutation, initializeInput(servers[logged[0]].bootstrapToken(t), "boss", "a good admin password"))
	})
	t.Run("racing initialize", func(t *testing.T) {
		t.Parallel()
		const token = "a-configured-bootstrap-token"
		// A costlier hash widens the window between the checks and the
		// insert, where the calls overlap.
		servers := startInstances(t, 2, withConfig(func(c *app.Config) {
			c.Accounts.BootstrapToken = token
			c.Passwords.Params.Memory = 8192
		}))
		const n = 10
		answers := make([]*gqlResponse, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				answers[i], errs[i] = postWith(http.DefaultClient, servers[i%2], initializeMutation,
					initializeInput(token, fmt.Sprintf("boss%d", i), "a good admin password"))
			})
		}
		close(start)
		wg.Wait()
		var winners []string
		for i, r := range answers {
			switch {
			case errs[i] != nil:
				t.Fatalf("call %d: %v", i, errs[i])
			case len(r.Errors) == 0:
				winners = append(winners, fmt.Sprintf("boss%d", i))
			default:
				wantAlreadyInitialized(t, fmt.Sprintf("call %d, through instance %d", i, i%2), r)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("%v initialized through two instances at once, want exactly one of %d calls", winners, n)
		}
		for i, ts := range servers {
			root := ts.login(t, winners[0], "a good admin password")
			if got := adminCount(t, ts, root.AccessToken); got != 1 {
				t.Errorf("instance %d counts %d administrators, want 1", i, got)
			}
			wantAlreadyInitialized(t, fmt.Sprintf("a later call through instance %d", i),
				ts.gql(t, "", initializeMutation, initializeInput(token, "latecomer", "a good admin password")))
		}
	})
}

// wantAlreadyInitialized fails unless r is initialize's refusal of a
// service that has its administrator (not, say, of a wrong token).
func wantAlreadyInitialized(t *testing.T, what string, r *gqlResponse) {
	t.Helper()
	if r.code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, "already initialized") {
		t.Errorf("%s: %+v, want FORBIDDEN: already initialized", what, r.Errors)
	}
}

// A purge that every instance runs, here both at the same moment (they
// start together, and each purges at start), deletes each expired session
// once between them, without an error, and nothing live.
func TestInstancesPurgeTogether(t *testing.T) {
	t.Parallel()
	servers := startInstances(t, 2)
	live := servers[0].signup(t, "survivor", testPassword)
	db := openDatabase(t, servers[0].cfg)
	const expired = 200
	planted := plantExpiredSessions(t, db, live.User.ID, expired)

	servers = restartInstances(t, servers)
	total := 0
	for i, ts := range servers {
		n := purgedAtStart(t, ts)
		if strings.Contains(ts.logs.String(), "purging expired sessions") {
			t.Errorf("instance %d logged a failed purge:\n%s", i, ts.logs.String())
		}
		total += n
	}
	if total != expired {
		t.Errorf("the instances purged %d sessions between them, want the %d expired ones, each once", total, expired)
	}
	for _, s := range planted {
		if _, err := db.GetSession(t.Context(), s.session); err != store.ErrNotFound {
			t.Fatalf("expired session %s after the purges: %v, want store.ErrNotFound", s.session, err)
		}
		if _, err := db.GetRefreshToken(t.Context(), s.token); err != store.ErrNotFound {
			t.Fatalf("refresh token of expired session %s after the purges: %v, want store.ErrNotFound", s.session, err)
		}
	}
	for i, ts := range servers {
		wantSignedIn(t, ts, fmt.Sprintf("the live session on instance %d after the purges", i), live)
	}
}

// restartInstances stops every instance, then starts them all again at
// once on the same database, as a deployment restarts after a release.
func restartInstances(t *testing.T, servers []*testServer) []*testServer {
	t.Helper()
	for _, ts := range servers {
		ts.stop()
	}
	return startAll(t, servers[0].cfg, len(servers))
}

// adminOf initializes a deployment through the one instance that logged
// the bootstrap token and returns the first administrator's tokens.
func adminOf(t *testing.T, servers []*testServer) auth {
	t.Helper()
	for _, ts := range servers {
		if strings.Contains(ts.logs.String(), "bootstrap_token=") {
			return ts.admin(t)
		}
	}
	t.Fatal("no instance logged a bootstrap token")
	return auth{}
}

// openDatabase opens a deployment's database as the test's own client
// beside its instances: to plant what no API call makes, and to read what
// is stored.
func openDatabase(t *testing.T, cfg app.Config) store.Store {
	t.Helper()
	var (
		db  store.Store
		err error
	)
	if path, ok := strings.CutPrefix(cfg.Store.URL, "sqlite:"); ok {
		db, err = sqlite.Open(t.Context(), path, sqlite.Options{Readers: 1})
	} else {
		db, err = mongo.Open(t.Context(), cfg.Store.URL, mongo.Options{Database: cfg.Store.Mongo.Database, Timeout: cfg.Store.Mongo.Timeout})
	}
	if err != nil {
		t.Fatalf("open the instances' database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type plantedSession struct{ session, token string }

// plantExpiredSessions stores n sessions of the user, each with a refresh
// token, that expired a day longer ago than store.ExpiredRetention: what
// the purge deletes.
func plantExpiredSessions(t *testing.T, db store.Store, userID string, n int) []plantedSession {
	t.Helper()
	ended := store.Now().Add(-store.ExpiredRetention - 24*time.Hour)
	out := make([]plantedSession, n)
	for i := range out {
		s := &store.Session{ID: store.NewID(), UserID: userID, Kind: store.SessionUser,
			CreatedAt: ended.Add(-24 * time.Hour), LastSeenAt: ended.Add(-time.Hour), ExpiresAt: ended}
		rt := &store.RefreshToken{Hash: "planted-" + store.NewID(), SessionID: s.ID, UserID: userID,
			CreatedAt: s.CreatedAt, ExpiresAt: ended}
		if err := db.CreateSession(t.Context(), s, rt); err != nil {
			t.Fatalf("plant expired session %d: %v", i, err)
		}
		out[i] = plantedSession{session: s.ID, token: rt.Hash}
	}
	return out
}

var purgeLine = regexp.MustCompile(`msg="purged expired sessions" sessions=(\d+)`)

// purgedAtStart waits for the purge an instance runs at start and returns
// how many sessions it deleted (session.Manager.Purge logs each purge).
func purgedAtStart(t *testing.T, ts *testServer) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := purgeLine.FindStringSubmatch(ts.logs.String()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("no purge logged within 30 s:\n%s", ts.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A device restricted through one instance is refused on the other: its
// sign-ins at once, its sessions there within -session-cache-ttl, at the
// very next request with no cache.
func TestInstancesDeviceRestriction(t *testing.T) {
	t.Parallel()
	for _, bound := range []time.Duration{time.Second, 0} {
		t.Run(fmt.Sprintf("session-cache-ttl %s", bound), func(t *testing.T) {
			t.Parallel()
			servers := startInstances(t, 2, deviceControl, withConfig(func(c *app.Config) { c.Sessions.CacheTTL = bound }))
			a, b := servers[0], servers[1]
			var root string
			for _, ts := range servers {
				if strings.Contains(ts.logs.String(), "bootstrap_token=") {
					root = adminOn(t, ts, "root-laptop").Auth.AccessToken
				}
			}
			if root == "" {
				t.Fatal("neither instance logged the bootstrap token")
			}
			userID := createAccount(t, a, root, "roamer")
			permit(t, a, root, userID, "roamers-phone")
			onB := mustLoginOn(t, b, "roamer", testPassword, "roamers-phone")
			warmSessionCache(t, b, onB.auth)
			a.mustGQL(t, root, restrictMutation, vars{"u": userID, "d": "roamers-phone"})
			wantCode(t, loginOn(t, b, "roamer", testPassword, "roamers-phone"), "DEVICE_DENIED", 806)
			time.Sleep(bound)
			wantUnauthorized(t, b, "on b, a session on a device restricted on a", onB.AccessToken)
			wantSessionEnded(t, b, "on b, a session on a device restricted on a", onB.auth)
		})
	}
}

// Mail queued through either of two instances, each with its outbox
// worker and the same SMTP server, is delivered exactly once: both
// workers poll the one outbox, and a claim gives a message to one of
// them. The resets are asked through the instance the account did not
// sign up on, alternately, so both workers have mail to take at once.
func TestInstancesDeliverQueuedMailOnce(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	servers := startInstances(t, 2, withMail(srv))
	const n = 10
	addr := func(i int) string { return fmt.Sprintf("twin%02d@example.com", i) }
	for i := range n {
		servers[i%2].signup(t, fmt.Sprintf("twin%02d", i), testPassword)
	}
	for i := range n {
		requestReset(t, servers[(i+1)%2], addr(i))
	}
	for i := range n {
		waitMail(t, srv, addr(i), 1)
	}
	// A second delivery of a message would have started with the first
	// (two claims at once) or after a lease ran out (30 s here, longer
	// than any delivery): a bounded wait of forty polls lets the first
	// kind show.
	time.Sleep(40 * fastPoll)
	ids := map[string]string{}
	for i := range n {
		got := srv.To(addr(i))
		if len(got) != 1 {
			t.Errorf("%s received %d mails, want its reset link once", addr(i), len(got))
			continue
		}
		if other, dup := ids[got[0].MessageID()]; dup {
			t.Errorf("%s and %s received the same message %s", addr(i), other, got[0].MessageID())
		}
		ids[got[0].MessageID()] = addr(i)
	}
	token := tokenOf(t, linkIn(t, srv.To(addr(0))[0], sharedPublicURL+"/reset-password?"))
	servers[1].mustGQL(t, "", resetMutation, vars{"token": token, "pw": newPassword})
	servers[0].login(t, "twin00", newPassword)
}
