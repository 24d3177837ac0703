package main_test

import (
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
