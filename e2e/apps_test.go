package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// Client applications and APP sessions (README, "Applications"):
// administrators manage applications; an application exchanges its client
// id and secret for an APP session, which has no user, reads what any
// signed-in caller reads, starts users' sessions, and changes nothing
// else unless its roles allow it.

const applicationFields = `id name description clientId roles { name } createdAt lastUsedAt`

// apiApplication is an Application as the tests read it.
type apiApplication struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	ClientID    string  `json:"clientId"`
	Roles       []struct {
		Name string `json:"name"`
	} `json:"roles"`
	CreatedAt  string  `json:"createdAt"`
	LastUsedAt *string `json:"lastUsedAt"`
}

// credentials are createApplication's and rotateApplicationSecret's answer.
type credentials struct {
	Application  apiApplication `json:"application"`
	ClientSecret string         `json:"clientSecret"`
}

const createApplicationMutation = `mutation($in: ApplicationInput!) { createApplication(input: $in) {
	application { ` + applicationFields + ` } clientSecret } }`

// createApp creates an application with roles as the token's caller.
func createApp(t *testing.T, ts *testServer, token, name string, roles ...string) credentials {
	t.Helper()
	in := vars{"name": name}
	if roles != nil {
		in["roles"] = roles
	}
	return dataField[credentials](t, ts.mustGQL(t, token, createApplicationMutation, vars{"in": in}), "createApplication")
}

const appSessionMutation = `mutation($id: String!, $secret: String!) { applicationSession(clientId: $id, clientSecret: $secret) {
	accessToken tokenType expiresIn expiresAt session { id kind current expiresAt application { id name clientId } } } }`

// appSession is applicationSession's answer.
type appSession struct {
	AccessToken string    `json:"accessToken"`
	TokenType   string    `json:"tokenType"`
	ExpiresIn   int       `json:"expiresIn"`
	ExpiresAt   time.Time `json:"expiresAt"`
	Session     struct {
		ID          string          `json:"id"`
		Kind        string          `json:"kind"`
		Current     bool            `json:"current"`
		Application *apiApplication `json:"application"`
	} `json:"session"`
}

// openAppSession opens an APP session and fails the test on errors.
func openAppSession(t *testing.T, ts *testServer, c credentials) appSession {
	t.Helper()
	r := ts.mustGQL(t, "", appSessionMutation, vars{"id": c.Application.ClientID, "secret": c.ClientSecret})
	return dataField[appSession](t, r, "applicationSession")
}

// appSessionCode tries applicationSession and returns the answer.
func appSessionCode(t *testing.T, ts *testServer, clientID, secret string) *gqlResponse {
	t.Helper()
	return ts.gql(t, "", appSessionMutation, vars{"id": clientID, "secret": secret})
}

// Administrators create, list, change, rotate and delete applications;
// the secret is shown once.
func TestApplicationsAdministration(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	c := createApp(t, ts, root, " Billing service ", "user")
	a := c.Application
	if a.Name != "Billing service" || !strings.HasPrefix(a.ClientID, "ugc_") || !strings.HasPrefix(c.ClientSecret, "ugs_") ||
		len(a.Roles) != 1 || a.Roles[0].Name != "user" || a.LastUsedAt != nil {
		t.Errorf("createApplication: %+v", c)
	}
	list := dataField[[]apiApplication](t, ts.mustGQL(t, root, `{ applications { `+applicationFields+` } }`, nil), "applications")
	if len(list) != 1 || list[0].ID != a.ID || list[0].ClientID != a.ClientID {
		t.Errorf("applications: %+v", list)
	}
	if strings.Contains(ts.logs.String(), c.ClientSecret) {
		t.Errorf("the client secret is in the server's log")
	}

	r := ts.mustGQL(t, root, `mutation($id: ID!, $in: ApplicationInput!) { updateApplication(id: $id, input: $in) { `+applicationFields+` } }`,
		vars{"id": a.ID, "in": vars{"name": "Billing", "description": "pays"}})
	if u := dataField[apiApplication](t, r, "updateApplication"); u.Name != "Billing" || userStr(u.Description) != "pays" || len(u.Roles) != 0 || u.ClientID != a.ClientID {
		t.Errorf("updateApplication: %+v", u)
	}
	r = ts.gql(t, root, `mutation($in: ApplicationInput!) { createApplication(input: $in) { clientSecret } }`,
		vars{"in": vars{"name": "x", "roles": []string{"no-such-role"}}})
	wantCode(t, r, "INVALID_ROLE", 701)
	r = ts.gql(t, root, `mutation($in: ApplicationInput!) { createApplication(input: $in) { clientSecret } }`, vars{"in": vars{"name": " "}})
	wantCode(t, r, "BAD_USER_INPUT", 0)
	r = ts.gql(t, root, `mutation($id: ID!) { rotateApplicationSecret(id: $id) { clientSecret } }`, vars{"id": "no-such-id"})
	wantCode(t, r, "NOT_FOUND", 605)
	r = ts.gql(t, root, `mutation($id: ID!, $in: ApplicationInput!) { updateApplication(id: $id, input: $in) { id } }`,
		vars{"id": "no-such-id", "in": vars{"name": "x"}})
	wantCode(t, r, "NOT_FOUND", 605)

	if !dataField[bool](t, ts.mustGQL(t, root, `mutation($id: ID!) { deleteApplication(id: $id) }`, vars{"id": a.ID}), "deleteApplication") {
		t.Errorf("deleteApplication answered false")
	}
	wantCode(t, ts.gql(t, root, `mutation($id: ID!) { deleteApplication(id: $id) }`, vars{"id": a.ID}), "NOT_FOUND", 605)
	if list := dataField[[]apiApplication](t, ts.mustGQL(t, root, `{ applications { id } }`, nil), "applications"); len(list) != 0 {
		t.Errorf("applications after the delete: %+v", list)
	}

	// A plain user may do none of it (the schema walk covers every field).
	plain := ts.signup(t, "plain", testPassword).AccessToken
	wantCode(t, ts.gql(t, plain, `{ applications { id } }`, nil), "FORBIDDEN", 609)
}

// An APP session: an access token for the application and no user; me is
// null, the session's application resolves, and the token says APP.
func TestApplicationSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	c := createApp(t, ts, root, "server")
	s := openAppSession(t, ts, c)
	if s.TokenType != "Bearer" || s.ExpiresIn <= 0 || s.Session.Kind != "APP" || !s.Session.Current ||
		s.Session.Application == nil || s.Session.Application.ID != c.Application.ID {
		t.Errorf("applicationSession: %+v", s)
	}
	if _, payload, _ := splitJWS(t, s.AccessToken); payload["kind"] != "APP" || payload["sub"] != c.Application.ID {
		t.Errorf("token claims: kind %v sub %v, want APP and the application's id", payload["kind"], payload["sub"])
	}
	r := ts.mustGQL(t, s.AccessToken, `{ me { id } }`, nil)
	if string(r.Data) != `{"me":null}` {
		t.Errorf("me of an APP session = %s, want null", r.Data)
	}
	list := dataField[[]apiApplication](t, ts.mustGQL(t, root, `{ applications { lastUsedAt } }`, nil), "applications")
	if len(list) != 1 || list[0].LastUsedAt == nil {
		t.Errorf("lastUsedAt after a session: %+v", list)
	}
	// What any signed-in caller reads, an application reads.
	ts.signup(t, "ann", testPassword)
	if !usernameTakenAs(t, ts, s.AccessToken, "ann") {
		t.Errorf("usernameExists with an APP session: false for a taken name")
	}
	u := dataField[*apiUser](t, ts.mustGQL(t, s.AccessToken, `query($n: String!) { userByUsername(username: $n) { id username email } }`,
		vars{"n": "ann"}), "userByUsername")
	if u == nil || userStr(u.Username) != "ann" || u.Email != nil {
		t.Errorf("userByUsername with an APP session: %+v, want the public view", u)
	}
	if dataField[bool](t, ts.mustGQL(t, s.AccessToken, `{ authorize(resource: "graphql/users", verb: GET) }`, nil), "authorize") {
		t.Errorf("authorize: an application without roles may GET graphql/users")
	}
	// The ways in it relays for its users work, and give users' sessions.
	g := ts.mustGQL(t, s.AccessToken, `mutation { loginAsGuest { `+authFields+` } }`, nil)
	if a := dataField[auth](t, g, "loginAsGuest"); a.User.ID == "" {
		t.Errorf("loginAsGuest through an APP session: %s", g.Data)
	}
	l := ts.mustGQL(t, s.AccessToken, loginMutation, vars{"id": "ann", "pw": testPassword})
	if a := dataField[auth](t, l, "login"); a.User.Username != "ann" {
		t.Errorf("login through an APP session: %s", l.Data)
	}
	// /authorization: signed in, no user to name.
	res := askAuthorization(t, ts, http.MethodGet, "", bearer(s.AccessToken))
	if res.status != http.StatusOK || res.header.Get("X-Auth-User") != "" {
		t.Errorf("/authorization with an APP session: %d, X-Auth-User %q", res.status, res.header.Get("X-Auth-User"))
	}
	res = askAuthorization(t, ts, http.MethodGet, "?resource=graphql/users&verb=GET", bearer(s.AccessToken))
	if res.status != http.StatusForbidden {
		t.Errorf("/authorization of graphql/users for an application without roles: %d, want 403", res.status)
	}
	// Without a refresh token there is nothing to refresh, and it is no
	// user's to log out.
	wantCode(t, ts.gql(t, s.AccessToken, `mutation { logout }`, nil), "FORBIDDEN", 609)
}

func usernameTakenAs(t *testing.T, ts *testServer, token, username string) bool {
	t.Helper()
	return dataField[bool](t, ts.mustGQL(t, token, `query($u: String!) { usernameExists(username: $u) }`, vars{"u": username}), "usernameExists")
}

// Wrong credentials answer INVALID_CREDENTIALS, the same for an unknown
// client id and a wrong secret; attempts are limited per client IP.
func TestApplicationSessionCredentials(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.LoginPerIP = rule("4/1h") }))
	root := ts.admin(t).AccessToken
	c := createApp(t, ts, root, "server")
	wrong := appSessionCode(t, ts, c.Application.ClientID, c.ClientSecret+"x")
	wantCode(t, wrong, "INVALID_CREDENTIALS", 603)
	unknown := appSessionCode(t, ts, "ugc_unknown", c.ClientSecret)
	wantCode(t, unknown, "INVALID_CREDENTIALS", 603)
	if wrong.Errors[0].Message != unknown.Errors[0].Message {
		t.Errorf("answers differ: %q vs %q", wrong.Errors[0].Message, unknown.Errors[0].Message)
	}
	openAppSession(t, ts, c)
	appSessionCode(t, ts, c.Application.ClientID, "wrong")
	r := appSessionCode(t, ts, c.Application.ClientID, c.ClientSecret)
	wantCode(t, r, "RATE_LIMITED", 0)
	if retryAfter(r.Errors[0]) <= 0 {
		t.Errorf("RATE_LIMITED without retryAfter: %+v", r.Errors[0])
	}
}

// Rotating the secret: the old one stops working at once, and so do the
// sessions opened with it; deleting the application ends its sessions.
func TestApplicationRotateAndDelete(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	c := createApp(t, ts, root, "server")
	old := openAppSession(t, ts, c)
	ts.mustGQL(t, old.AccessToken, `{ discoverUsers { totalCount } }`, nil)
	time.Sleep(5 * time.Millisecond) // the store keeps milliseconds: the new secret is strictly younger
	r := ts.mustGQL(t, root, `mutation($id: ID!) { rotateApplicationSecret(id: $id) { application { id clientId } clientSecret } }`,
		vars{"id": c.Application.ID})
	rotated := dataField[credentials](t, r, "rotateApplicationSecret")
	if rotated.ClientSecret == c.ClientSecret || rotated.Application.ClientID != c.Application.ClientID {
		t.Errorf("rotation: %+v", rotated)
	}
	wantCode(t, appSessionCode(t, ts, c.Application.ClientID, c.ClientSecret), "INVALID_CREDENTIALS", 603)
	wantCode(t, ts.gql(t, old.AccessToken, `{ discoverUsers { totalCount } }`, nil), "UNAUTHENTICATED", 607)
	fresh := openAppSession(t, ts, credentials{Application: c.Application, ClientSecret: rotated.ClientSecret})
	ts.mustGQL(t, fresh.AccessToken, `{ discoverUsers { totalCount } }`, nil)

	ts.mustGQL(t, root, `mutation($id: ID!) { deleteApplication(id: $id) }`, vars{"id": c.Application.ID})
	wantCode(t, ts.gql(t, fresh.AccessToken, `{ discoverUsers { totalCount } }`, nil), "UNAUTHENTICATED", 607)
	wantCode(t, appSessionCode(t, ts, c.Application.ClientID, rotated.ClientSecret), "INVALID_CREDENTIALS", 603)
}

// An application given roles acts with their permissions (server-to-server
// administration), and its changed roles apply to its session at once.
// Giving an application a role needs the permission to grant roles.
func TestApplicationWithRoles(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "reader")
	addPermission(t, ts, root, "reader", "graphql/users", "GET")
	c := createApp(t, ts, root, "reporting", "reader")
	s := openAppSession(t, ts, c)
	ts.signup(t, "ann", testPassword)
	r := ts.mustGQL(t, s.AccessToken, `{ users(filter: {usernames: ["ann"]}) { nodes { username email } totalCount } }`, nil)
	if !strings.Contains(string(r.Data), `"email":"ann@example.com"`) {
		t.Errorf("users with the reader role: %s", r.Data)
	}
	wantCode(t, ts.gql(t, s.AccessToken, createUserMutation, vars{"in": vars{"username": "x1", "password": testPassword}}), "FORBIDDEN", 609)

	ts.mustGQL(t, root, `mutation($id: ID!, $in: ApplicationInput!) { updateApplication(id: $id, input: $in) { id } }`,
		vars{"id": c.Application.ID, "in": vars{"name": "reporting"}})
	wantCode(t, ts.gql(t, s.AccessToken, `{ users { totalCount } }`, nil), "FORBIDDEN", 609)

	// An application manager without the roles permission cannot arm one.
	createRole(t, ts, root, "appmanager")
	addPermission(t, ts, root, "appmanager", "graphql/applications", "GET", "POST", "PATCH", "DELETE")
	_, manager := newUserWithRoles(t, ts, root, "manager", "appmanager")
	r = ts.gql(t, manager.AccessToken, createApplicationMutation, vars{"in": vars{"name": "escalate", "roles": []string{"admin"}}})
	wantCode(t, r, "FORBIDDEN", 609)
	createApp(t, ts, manager.AccessToken, "harmless")
}
