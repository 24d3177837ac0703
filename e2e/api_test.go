package e2e

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/Khan/genqlient/graphql"

	"github.com/usergraph/usergraph/client"
)

// The API's operations as the tests call them: signing up and in, the
// records they read, roles and users as an administrator manages them.

// api returns the typed client (package client) of the server, sending
// token as the bearer token ("" for none). The tests that use it break
// when a schema change would break a client built from the schema.
func (ts *testServer) api(token string) graphql.Client {
	return client.New(ts.url+"/graphql", token, nil)
}

// wantErr fails unless err carries the GraphQL error code (and, when status
// is non-zero, that internalStatus).
func wantErr(t *testing.T, err error, code string, status int) {
	t.Helper()
	if got := client.Code(err); got != code {
		t.Fatalf("error code = %q, want %q (error: %v)", got, code, err)
	}
	if status != 0 && client.InternalStatus(err) != status {
		t.Fatalf("internalStatus = %d, want %d (error: %v)", client.InternalStatus(err), status, err)
	}
}

// testPassword is the password of the accounts the tests create, unless a
// test is about passwords.
const testPassword = "correct horse battery"

// auth is what a client keeps after signing in.
type auth struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"`
	Session      struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
	} `json:"session"`
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"user"`
}

const authFields = `accessToken refreshToken tokenType expiresIn expiresAt session { id current kind } user { id username email }`

const signupMutation = `mutation($in: SignupInput!) { signup(input: $in) { user { id username email status } auth { ` + authFields + ` } } }`

// signup creates an account with username, an email made of it and
// password, and returns its tokens.
func (ts *testServer) signup(t *testing.T, username, password string) auth {
	t.Helper()
	res, err := client.Signup(t.Context(), ts.api(""), &client.SignupInput{
		Username: client.Ptr(username), Email: client.Ptr(username + "@example.com"), Password: password,
	})
	if err != nil {
		t.Fatalf("signup %s: %v", username, err)
	}
	if res.Signup.Auth == nil {
		t.Fatalf("signup of %s returned no tokens", username)
	}
	return authOf(&res.Signup.Auth.AuthFields)
}

// mustSignup signs up with input in (and testPassword, unless in has a
// password), fails the test on errors and returns the new account's tokens.
// It takes any fields, as the tests of other areas write them.
func mustSignup(t *testing.T, ts *testServer, in vars) auth {
	t.Helper()
	in = maps.Clone(in)
	if _, ok := in["password"]; !ok {
		in["password"] = testPassword
	}
	r := ts.mustGQL(t, "", signupMutation, vars{"in": in})
	var out struct {
		Signup struct {
			Auth *auth `json:"auth"`
		} `json:"signup"`
	}
	r.decode(t, &out)
	if out.Signup.Auth == nil {
		t.Fatalf("signup of %v returned no tokens", in["username"])
	}
	return *out.Signup.Auth
}

const loginMutation = `mutation($id: String!, $pw: String!) { login(input: {identifier: $id, password: $pw}) { ` + authFields + ` } }`

// login signs in and returns the tokens; it fails the test on errors.
func (ts *testServer) login(t *testing.T, identifier, password string) auth {
	t.Helper()
	res, err := client.Login(t.Context(), ts.api(""), &client.LoginInput{Identifier: identifier, Password: password})
	if err != nil {
		t.Fatalf("login as %s: %v", identifier, err)
	}
	return authOf(&res.Login.AuthFields)
}

// meID returns the id of the caller of token, failing on errors.
func (ts *testServer) meID(t *testing.T, token string) string {
	t.Helper()
	res, err := client.Me(t.Context(), ts.api(token))
	if err != nil {
		t.Fatalf("me: %v", err)
	}
	if res.Me == nil {
		t.Fatal("me = null")
	}
	return res.Me.Id
}

// admin initializes the server and returns the first administrator's tokens.
func (ts *testServer) admin(t *testing.T) auth {
	t.Helper()
	res, err := client.Initialize(t.Context(), ts.api(""), &client.InitializeInput{
		BootstrapToken: ts.bootstrapToken(t), Username: client.Ptr("root"), Password: client.Ptr("root-password-1"),
	})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return authOf(&res.Initialize.Auth.AuthFields)
}

// authOf keeps what the tests use of a typed client's AuthPayload.
func authOf(a *client.AuthFields) auth {
	var out auth
	out.AccessToken, out.RefreshToken, out.ExpiresIn = a.AccessToken, a.RefreshToken, a.ExpiresIn
	out.Session.ID, out.Session.Current = a.Session.Id, a.Session.Current
	out.User.ID, out.User.Username = a.User.Id, deref(a.User.Username)
	return out
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// apiUser decodes a User as the tests select it (any subset of fields).
type apiUser struct {
	ID             string          `json:"id"`
	Username       *string         `json:"username"`
	Email          *string         `json:"email"`
	EmailVerified  bool            `json:"emailVerified"`
	Phone          *string         `json:"phone"`
	FirstName      *string         `json:"firstName"`
	LastName       *string         `json:"lastName"`
	FullName       *string         `json:"fullName"`
	Website        *string         `json:"website"`
	AvatarURL      *string         `json:"avatarUrl"`
	Address        *string         `json:"address"`
	AdditionalInfo *string         `json:"additionalInfo"`
	Tags           []string        `json:"tags"`
	Metadata       json.RawMessage `json:"metadata"`
	AppMetadata    json.RawMessage `json:"appMetadata"`
	Status         string          `json:"status"`
	Active         bool            `json:"active"`
	Roles          []struct {
		Name string `json:"name"`
	} `json:"roles"`
	Sessions []struct {
		ID string `json:"id"`
	} `json:"sessions"`
	CreatedAt     string  `json:"createdAt"`
	UpdatedAt     string  `json:"updatedAt"`
	LastLoginAt   *string `json:"lastLoginAt"`
	LastRequestAt *string `json:"lastRequestAt"`
	DeletedAt     *string `json:"deletedAt"`
	Typename      string  `json:"__typename"`
}

// roleNames returns the user's role names, sorted.
func (u apiUser) roleNames() []string {
	var out []string
	for _, r := range u.Roles {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return out
}

// userStr shows a nullable string.
func userStr(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

// apiRole is a Role as the tests read it.
type apiRole struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description *string         `json:"description"`
	BuiltIn     bool            `json:"builtIn"`
	Permissions []apiPermission `json:"permissions"`
}

type apiPermission struct {
	ID      string   `json:"id"`
	Name    *string  `json:"name"`
	Pattern string   `json:"pattern"`
	Verbs   []string `json:"verbs"`
}

const roleFields = `id name description builtIn permissions { id name pattern verbs }`

// createRole creates a role and fails the test on errors.
func createRole(t *testing.T, ts *testServer, token, name string) apiRole {
	t.Helper()
	r := ts.mustGQL(t, token, `mutation($in: RoleInput!) { createRole(input: $in) { `+roleFields+` } }`,
		vars{"in": vars{"name": name}})
	return dataField[apiRole](t, r, "createRole")
}

// addPermission adds a permission to a role and returns its id.
func addPermission(t *testing.T, ts *testServer, token, role, pattern string, verbs ...string) string {
	t.Helper()
	r := ts.mustGQL(t, token, `mutation($r: String!, $in: PermissionInput!) { addPermission(role: $r, input: $in) { id pattern verbs } }`,
		vars{"r": role, "in": vars{"pattern": pattern, "verbs": verbs}})
	return dataField[apiPermission](t, r, "addPermission").ID
}

// getRole reads one role (nil if there is none).
func getRole(t *testing.T, ts *testServer, token, name string) *apiRole {
	t.Helper()
	r := ts.mustGQL(t, token, `query($n: String!) { role(name: $n) { `+roleFields+` } }`, vars{"n": name})
	return dataField[*apiRole](t, r, "role")
}

// newUserWithRoles creates an account through createUser (as the admin token),
// with exactly the given roles (nil: the default role), signs it in and
// returns its id and tokens.
func newUserWithRoles(t *testing.T, ts *testServer, adminToken, username string, roles ...string) (string, auth) {
	t.Helper()
	res, err := client.CreateUser(t.Context(), ts.api(adminToken), &client.CreateUserInput{
		Username: client.Ptr(username), Email: client.Ptr(username + "@example.com"), Password: client.Ptr(testPassword),
		Roles: roles,
	})
	if err != nil {
		t.Fatalf("createUser %s: %v", username, err)
	}
	return res.CreateUser.Id, ts.login(t, username, testPassword)
}

const adminUserFields = `__typename id username email emailVerified phone firstName lastName fullName tags metadata appMetadata status active roles { name } deletedAt`

// getUser reads a user by id (nil if null).
func getUser(t *testing.T, ts *testServer, token, id string) *apiUser {
	t.Helper()
	r := ts.mustGQL(t, token, `query($id: ID!) { user(id: $id) { `+adminUserFields+` } }`, vars{"id": id})
	return dataField[*apiUser](t, r, "user")
}

const createUserMutation = `mutation($in: CreateUserInput!) { createUser(input: $in) { ` + adminUserFields + ` } }`

// createUser creates a user and fails on errors.
func createUser(t *testing.T, ts *testServer, token string, in vars) apiUser {
	t.Helper()
	return dataField[apiUser](t, ts.mustGQL(t, token, createUserMutation, vars{"in": in}), "createUser")
}

// loginCode tries to sign in and returns the error code ("" on success).
func loginCode(t *testing.T, ts *testServer, id, pw string) (string, int) {
	t.Helper()
	_, err := client.Login(t.Context(), ts.api(""), &client.LoginInput{Identifier: id, Password: pw})
	return client.Code(err), client.InternalStatus(err)
}

const userFields = `id username email emailVerified phone firstName lastName fullName website avatarUrl
	address additionalInfo tags metadata appMetadata status active roles { name } sessions { id }
	createdAt updatedAt lastLoginAt lastRequestAt`

// updateProfile calls updateProfile with input.
func updateProfile(t *testing.T, ts *testServer, token string, in vars) *gqlResponse {
	t.Helper()
	return ts.gql(t, token, `mutation($in: ProfileInput!) { updateProfile(input: $in) { `+userFields+` } }`, vars{"in": in})
}

// usernameTaken reports whether an account with username exists.
func usernameTaken(t *testing.T, ts *testServer, username string) bool {
	t.Helper()
	var out struct {
		UsernameExists bool `json:"usernameExists"`
	}
	ts.mustGQL(t, "", `query($u: String!) { usernameExists(username: $u) }`, vars{"u": username}).decode(t, &out)
	return out.UsernameExists
}
