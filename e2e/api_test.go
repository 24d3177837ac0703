package e2e

import (
	"encoding/json"
	"slices"
	"testing"
)

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

// signup creates an account with username and password and returns its tokens.
func (ts *testServer) signup(t *testing.T, username, password string) auth {
	t.Helper()
	r := ts.mustGQL(t, "", signupMutation, vars{"in": vars{"username": username, "email": username + "@example.com", "password": password}})
	var out struct {
		Signup struct {
			Auth *auth `json:"auth"`
		} `json:"signup"`
	}
	r.decode(t, &out)
	if out.Signup.Auth == nil {
		t.Fatalf("signup of %s returned no tokens", username)
	}
	return *out.Signup.Auth
}

const loginMutation = `mutation($id: String!, $pw: String!) { login(input: {identifier: $id, password: $pw}) { ` + authFields + ` } }`

// login signs in and returns the tokens; it fails the test on errors.
func (ts *testServer) login(t *testing.T, identifier, password string) auth {
	t.Helper()
	r := ts.mustGQL(t, "", loginMutation, vars{"id": identifier, "pw": password})
	var out struct {
		Login auth `json:"login"`
	}
	r.decode(t, &out)
	return out.Login
}

// meID returns the id of the caller of token, failing on errors.
func (ts *testServer) meID(t *testing.T, token string) string {
	t.Helper()
	var out struct {
		Me struct {
			ID string `json:"id"`
		} `json:"me"`
	}
	ts.mustGQL(t, token, `{ me { id } }`, nil).decode(t, &out)
	return out.Me.ID
}

// admin initializes the server and returns the first administrator's tokens.
func (ts *testServer) admin(t *testing.T) auth {
	t.Helper()
	r := ts.mustGQL(t, "", `mutation($in: InitializeInput!) { initialize(input: $in) { auth { `+authFields+` } } }`,
		vars{"in": vars{"bootstrapToken": ts.bootstrapToken(t), "username": "root", "password": "root-password-1"}})
	var out struct {
		Initialize struct {
			Auth auth `json:"auth"`
		} `json:"initialize"`
	}
	r.decode(t, &out)
	return out.Initialize.Auth
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
