package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// THE APP SESSION WALK: every mutation of the schema is called, with
// type-valid dummy arguments, with the session of an application that
// holds no role. Every one outside appMutations (access.AppMayCall's
// list) must answer FORBIDDEN 609 as the field's own error; the ones on
// the list must not be refused for access. Every query is called too: it
// answers or refuses, never with a fault. A mutation added to the schema
// is covered without touching this file.

// appMutations are the mutations an application's session may call
// without roles (access.AppMayCall). The recovery flows are on the list
// before they are in the schema; those the schema lacks are skipped.
var appMutations = []string{"signup", "login", "loginAsGuest", "requestPasswordReset", "resetPassword",
	"requestPasswordResetBySms", "resetPasswordWithCode", "forgotUsername", "verifyEmail",
	"oauthStart", "oauthComplete", "loginWithIdToken"}

func TestSchemaWalkAppSession(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	app := openAppSession(t, ts, createApp(t, ts, root, "walker")).AccessToken

	var refused, allowed, queries []string
	var failures []string
	for _, f := range rootFields(s) {
		q, v, err := operationFor(s, f)
		if err != nil {
			t.Errorf("cannot build an operation: %v", err)
			continue
		}
		r := ts.gql(t, app, q, v)
		checkClientErrors(t, r, false)
		switch {
		case f.op == "query":
			queries = append(queries, f.field.Name)
		case slices.Contains(appMutations, f.field.Name):
			allowed = append(allowed, f.field.Name)
			if c := r.code(); c == "FORBIDDEN" || c == "UNAUTHENTICATED" {
				failures = append(failures, fmt.Sprintf("%s is allowed to applications, yet answered %s: %+v", f, c, r.Errors))
			}
		default:
			refused = append(refused, f.field.Name)
			if msg := refusalOf(r, f.field.Name, "FORBIDDEN", 609); msg != "" {
				failures = append(failures, fmt.Sprintf("%s: %s\n    %s %v", f, msg, q, v))
			}
		}
	}
	t.Logf("refused %d mutations, allowed %v, called %d queries", len(refused), allowed, len(queries))
	if len(refused) < 30 {
		t.Fatalf("only %d mutations refused; the walk is not seeing the schema", len(refused))
	}
	for _, name := range []string{"signup", "login", "loginAsGuest"} {
		if !slices.Contains(allowed, name) {
			t.Errorf("%s was not walked as an allowed mutation", name)
		}
	}
	if len(failures) > 0 {
		t.Errorf("the APP session was let through or answered wrongly:\n  %s", strings.Join(failures, "\n  "))
	}
	// The session is still the application's: none of the calls above
	// turned it into anything else.
	if r := ts.mustGQL(t, app, `{ me { id } }`, nil); string(r.Data) != `{"me":null}` {
		t.Errorf("me after the walk = %s", r.Data)
	}
}
