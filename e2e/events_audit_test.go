package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// The audit trail over HTTP: what each act leaves, who and where it names,
// newest-first keyset pages, filters, the administrators-only rule, and
// the retention.

const auditQuery = `query($f: AuditFilter, $first: Int, $after: String) {
  auditEvents(filter: $f, first: $first, after: $after) {
    edges { cursor node { id type at actorId subjectId ip userAgent data } }
    pageInfo { hasNextPage endCursor }
  } }`

type apiEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	At        string          `json:"at"`
	ActorID   *string         `json:"actorId"`
	SubjectID *string         `json:"subjectId"`
	IP        *string         `json:"ip"`
	UserAgent *string         `json:"userAgent"`
	Data      json.RawMessage `json:"data"`
}

type eventPage struct {
	Edges []struct {
		Cursor string   `json:"cursor"`
		Node   apiEvent `json:"node"`
	} `json:"edges"`
	PageInfo struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
}

// auditEvents returns every event matching f, newest first, reading pages
// of first.
func auditEvents(t *testing.T, ts *testServer, token string, f vars, first int) []apiEvent {
	t.Helper()
	var all []apiEvent
	var after any
	for range 100 {
		p := dataField[eventPage](t, ts.mustGQL(t, token, auditQuery, vars{"f": f, "first": first, "after": after}), "auditEvents")
		for _, e := range p.Edges {
			all = append(all, e.Node)
		}
		if !p.PageInfo.HasNextPage {
			return all
		}
		after = *p.PageInfo.EndCursor
	}
	t.Fatal("auditEvents keeps saying more follow")
	return nil
}

func eventTypes(evs []apiEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func strOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t)
	rootID := ts.meID(t, root.AccessToken)
	ann := ts.signup(t, "ann", testPassword)
	annID := ts.meID(t, ann.AccessToken)
	if code, _ := loginCode(t, ts, "ann", "wrong password"); code != "INVALID_CREDENTIALS" {
		t.Fatalf("wrong password: %q", code)
	}
	ts.login(t, "ann", testPassword)
	ts.mustGQL(t, root.AccessToken, `mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }`, vars{"id": annID})
	ts.mustGQL(t, root.AccessToken, `mutation($id: ID!) { unlockAccount(userId: $id) }`, vars{"id": annID})

	// Ann's trail, newest first, in pages of two.
	got := auditEvents(t, ts, root.AccessToken, vars{"subjectId": annID}, 2)
	want := []string{"account.unlocked", "session.revoked", "user.status_changed", "login.succeeded", "login.failed",
		"login.succeeded", "user.signed_up"}
	if !slices.Equal(eventTypes(got), want) {
		t.Fatalf("ann's trail: got %v, want %v", eventTypes(got), want)
	}
	byType := map[string]apiEvent{}
	for _, e := range got {
		byType[e.Type] = e
	}
	if e := byType["user.status_changed"]; strOf(e.ActorID) != rootID || strOf(e.IP) != "127.0.0.1" || strOf(e.UserAgent) == "" {
		t.Errorf("status change: actor %q ip %q agent %q; want the administrator %s from 127.0.0.1 with a user agent",
			strOf(e.ActorID), strOf(e.IP), strOf(e.UserAgent), rootID)
	}
	assertJSONEqual(t, "status change's data", byType["user.status_changed"].Data, `{"status":"SUSPENDED"}`)
	assertJSONEqual(t, "failed login's data", byType["login.failed"].Data, `{"reason":"wrong_password"}`)
	if e := byType["login.succeeded"]; strOf(e.ActorID) != annID {
		t.Errorf("ann's sign-in names actor %q, want ann", strOf(e.ActorID))
	}
	for _, e := range got {
		if strings.Contains(string(e.Data), testPassword) || strings.Contains(string(e.Data), "ann@example.com") {
			t.Errorf("%s's data holds a secret or an address: %s", e.Type, e.Data)
		}
	}

	// Filters: types, actor, time.
	fails := auditEvents(t, ts, root.AccessToken, vars{"types": []string{"login.failed", "account.unlocked"}}, 10)
	if !slices.Equal(eventTypes(fails), []string{"account.unlocked", "login.failed"}) {
		t.Errorf("types filter: %v", eventTypes(fails))
	}
	byRoot := auditEvents(t, ts, root.AccessToken, vars{"actorId": rootID, "subjectId": annID}, 10)
	if !slices.Equal(eventTypes(byRoot), []string{"account.unlocked", "session.revoked", "user.status_changed"}) {
		t.Errorf("actor filter: %v", eventTypes(byRoot))
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if later := auditEvents(t, ts, root.AccessToken, vars{"at": vars{"gt": future}}, 10); len(later) != 0 {
		t.Errorf("events after an hour from now: %v", eventTypes(later))
	}

	// Administrators only; bad input is refused by name.
	wantCode(t, ts.gql(t, ann.AccessToken, auditQuery, nil), "UNAUTHENTICATED", 0) // suspended: the session ended
	bob := ts.signup(t, "bob", testPassword)
	wantCode(t, ts.gql(t, bob.AccessToken, auditQuery, nil), "FORBIDDEN", 609)
	r := ts.gql(t, root.AccessToken, auditQuery, vars{"f": vars{"types": []string{"login.maybe"}}})
	if r.code() != "BAD_USER_INPUT" || r.field() != "types" {
		t.Errorf("unknown type: code %q field %q, want BAD_USER_INPUT on types", r.code(), r.field())
	}
	wantCode(t, ts.gql(t, root.AccessToken, auditQuery, vars{"first": 501}), "BAD_USER_INPUT", 0)
	wantCode(t, ts.gql(t, root.AccessToken, auditQuery, vars{"after": "%%%"}), "BAD_USER_INPUT", 0)
}

// A hard-deleted user's trail stays, with ids only.
func TestAuditTrailOutlivesHardDeletion(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t)
	gone := ts.signup(t, "gone", testPassword)
	id := ts.meID(t, gone.AccessToken)
	ts.mustGQL(t, root.AccessToken, `mutation($id: ID!) { deleteUser(id: $id, hard: true) }`, vars{"id": id})
	got := auditEvents(t, ts, root.AccessToken, vars{"subjectId": id}, 10)
	if len(got) == 0 || got[0].Type != "user.deleted" || got[len(got)-1].Type != "user.signed_up" {
		t.Fatalf("a deleted user's trail: %v, want user.deleted first and user.signed_up last", eventTypes(got))
	}
	assertJSONEqual(t, "deletion's data", got[0].Data, `{"hard":true}`)
}

// Events older than the retention are purged by the janitor (at start,
// then hourly).
func TestAuditRetention(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Events.AuditRetention = time.Second }))
	root := ts.admin(t)
	ts.signup(t, "old", testPassword)
	if n := len(auditEvents(t, ts, root.AccessToken, nil, 100)); n == 0 {
		t.Fatal("no events before the purge")
	}
	time.Sleep(1500 * time.Millisecond)
	ts = ts.restart()
	root = ts.login(t, "root", "root-password-1")
	got := auditEvents(t, ts, root.AccessToken, nil, 100)
	if !slices.Equal(eventTypes(got), []string{"login.succeeded"}) {
		t.Errorf("after the retention and a restart: %v, want only the new sign-in", eventTypes(got))
	}
}
