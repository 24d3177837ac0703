package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// End-to-end tests of /authorization as reverse proxies call it: nginx
// auth_request, Traefik forwardAuth and Caddy forward_auth send a sub-request
// carrying the client's credentials and the original method and URI.

// proxyStyles build the headers of each proxy for a method and a URI.
var proxyStyles = []struct {
	name  string
	build func(method, uri string) (query string, header map[string]string)
}{
	{"nginx auth_request", func(method, uri string) (string, map[string]string) {
		return "", map[string]string{"X-Original-URI": uri, "X-Original-Method": method}
	}},
	{"nginx with X-Forwarded headers", func(method, uri string) (string, map[string]string) {
		return "", map[string]string{"X-Forwarded-Uri": uri, "X-Forwarded-Method": method}
	}},
	{"traefik forwardAuth", func(method, uri string) (string, map[string]string) {
		return "", map[string]string{"X-Forwarded-Method": method, "X-Forwarded-Proto": "https",
			"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": uri, "X-Forwarded-For": "203.0.113.9"}
	}},
	{"query parameters", func(method, uri string) (string, map[string]string) {
		return "?" + url.Values{"resource": {uri}, "verb": {method}}.Encode(), map[string]string{}
	}},
}

func TestForwardAuth(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "api")
	addPermission(t, ts, root, "api", "/api/*", "GET")
	addPermission(t, ts, root, "api", "/admin/**", "DELETE")
	apiUserID, apiUser := newUserWithRoles(t, ts, root, "apiuser", "user", "api")
	plain := ts.signup(t, "plain", testPassword)

	cases := []struct {
		name        string
		method, uri string
		token       string
		want        int
	}{
		{"allowed", "GET", "/api/items", apiUser.AccessToken, http.StatusOK},
		{"allowed with a query string", "GET", "/api/items?page=2&sort=name", apiUser.AccessToken, http.StatusOK},
		{"query string with a slash is ignored", "GET", "/api/items?next=/home/x", apiUser.AccessToken, http.StatusOK},
		{"fragment is ignored", "GET", "/api/items#top/x", apiUser.AccessToken, http.StatusOK},
		{"HEAD is not any verb", "HEAD", "/admin/users/42", apiUser.AccessToken, http.StatusForbidden},
		{"allowed HEAD where GET is", "HEAD", "/api/items", apiUser.AccessToken, http.StatusOK},
		{"lower-case method", "get", "/api/items", apiUser.AccessToken, http.StatusOK},
		{"deep path with **", "DELETE", "/admin/users/42", apiUser.AccessToken, http.StatusOK},
		{"one segment too deep", "GET", "/api/items/1", apiUser.AccessToken, http.StatusForbidden},
		{"query string does not widen", "GET", "/api/items/1?x=/api/y", apiUser.AccessToken, http.StatusForbidden},
		{"verb not granted", "POST", "/api/items", apiUser.AccessToken, http.StatusForbidden},
		{"other resource", "GET", "/billing", apiUser.AccessToken, http.StatusForbidden},
		{"plain user", "GET", "/api/items", plain.AccessToken, http.StatusForbidden},
		{"admin", "DELETE", "/anything/at/all", root, http.StatusOK},
		{"no credentials", "GET", "/api/items", "", http.StatusUnauthorized},
	}
	for _, style := range proxyStyles {
		for _, c := range cases {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				t.Run(style.name+"/"+c.name+"/"+method, func(t *testing.T) {
					query, header := style.build(c.method, c.uri)
					if c.token != "" {
						header["Authorization"] = "Bearer " + c.token
					}
					res := askAuthorization(t, ts, method, query, header)
					if res.status != c.want {
						t.Fatalf("status = %d, want %d (body %q)", res.status, c.want, res.body)
					}
					if method == http.MethodHead {
						if len(res.body) != 0 {
							t.Errorf("HEAD answered with a body: %q", res.body)
						}
						return
					}
					switch c.want {
					case http.StatusForbidden:
						if code, st := errorCode(t, res.body); code != "FORBIDDEN" || st != 609 {
							t.Errorf("refusal = %s %d, want FORBIDDEN 609", code, st)
						}
					case http.StatusUnauthorized:
						if code, st := errorCode(t, res.body); code != "UNAUTHENTICATED" || st != 606 {
							t.Errorf("refusal = %s %d, want UNAUTHENTICATED 606", code, st)
						}
						if res.header.Get("WWW-Authenticate") == "" {
							t.Error("401 without WWW-Authenticate")
						}
					}
				})
			}
		}
	}

	t.Run("X-Auth-User names the caller", func(t *testing.T) {
		res := askAuthorization(t, ts, http.MethodGet, "", map[string]string{
			"Authorization": "Bearer " + apiUser.AccessToken, "X-Forwarded-Uri": "/api/items", "X-Forwarded-Method": "GET"})
		if res.status != http.StatusOK || res.header.Get("X-Auth-User") != apiUserID {
			t.Fatalf("status %d, X-Auth-User %q; want 200 and %s", res.status, res.header.Get("X-Auth-User"), apiUserID)
		}
	})
	t.Run("signed in without a resource", func(t *testing.T) {
		if res := askAuthorization(t, ts, http.MethodGet, "", map[string]string{"Authorization": "Bearer " + plain.AccessToken}); res.status != http.StatusOK {
			t.Fatalf("status = %d, want 200", res.status)
		}
	})
	t.Run("the verb defaults to GET", func(t *testing.T) {
		res := askAuthorization(t, ts, http.MethodGet, "", map[string]string{"Authorization": "Bearer " + apiUser.AccessToken, "X-Forwarded-Uri": "/api/items"})
		if res.status != http.StatusOK {
			t.Fatalf("status = %d, want 200", res.status)
		}
	})
	t.Run("the access-token cookie", func(t *testing.T) {
		res := askAuthorization(t, ts, http.MethodGet, "", map[string]string{
			"Cookie": ts.cfg.HTTP.CookieName + "=" + apiUser.AccessToken, "X-Forwarded-Uri": "/api/items", "X-Forwarded-Method": "GET"})
		if res.status != http.StatusOK {
			t.Fatalf("status = %d, want 200", res.status)
		}
	})
	t.Run("invalid token", func(t *testing.T) {
		res := askAuthorization(t, ts, http.MethodGet, "", map[string]string{"Authorization": "Bearer not-a-token", "X-Forwarded-Uri": "/api/items"})
		if res.status != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401", res.status)
		}
		if code, st := errorCode(t, res.body); code != "UNAUTHENTICATED" || st != 607 {
			t.Errorf("refusal = %s %d, want UNAUTHENTICATED 607", code, st)
		}
	})
	t.Run("changes apply at once", func(t *testing.T) {
		h := map[string]string{"Authorization": "Bearer " + apiUser.AccessToken, "X-Forwarded-Uri": "/api/items", "X-Forwarded-Method": "GET"}
		if res := askAuthorization(t, ts, http.MethodGet, "", h); res.status != http.StatusOK {
			t.Fatalf("before: status = %d", res.status)
		}
		ts.mustGQL(t, root, `mutation($id: ID!) { revokeRole(userId: $id, role: "api") { id } }`, vars{"id": apiUserID})
		if res := askAuthorization(t, ts, http.MethodGet, "", h); res.status != http.StatusForbidden {
			t.Fatalf("after revokeRole: status = %d, want 403", res.status)
		}
		ts.mustGQL(t, apiUser.AccessToken, `mutation { logout }`, nil)
		if res := askAuthorization(t, ts, http.MethodGet, "", h); res.status != http.StatusUnauthorized {
			t.Fatalf("after logout: status = %d, want 401", res.status)
		}
	})
}

func TestAuthorizationEndpoint(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.signup(t, "sessauthz", testPassword)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method+" with a valid token", func(t *testing.T) {
			res := askAuthorization(t, ts, method, "", bearer(a.AccessToken))
			if res.status != http.StatusOK {
				t.Fatalf("status %d, want 200", res.status)
			}
			if got := res.header.Get("X-Auth-User"); got != a.User.ID {
				t.Errorf("X-Auth-User = %q, want %q", got, a.User.ID)
			}
		})
		t.Run(method+" without a token", func(t *testing.T) {
			res := askAuthorization(t, ts, method, "", bearer(""))
			if res.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", res.status)
			}
			if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", res.header.Get("WWW-Authenticate"))
			}
			if res.header.Get("X-Auth-User") != "" {
				t.Errorf("X-Auth-User set on a 401: %q", res.header.Get("X-Auth-User"))
			}
		})
		t.Run(method+" with a bad token", func(t *testing.T) {
			if res := askAuthorization(t, ts, method, "", bearer("x.y.z")); res.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", res.status)
			}
		})
	}
	t.Run("GET 401 names the reason", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, ts.url+"/authorization", nil)
		wantCode(t, ts.do(t, req), "UNAUTHENTICATED", 606)
	})

	ts.mustGQL(t, a.AccessToken, `mutation { logout }`, nil)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method+" after logout", func(t *testing.T) {
			res := askAuthorization(t, ts, method, "", bearer(a.AccessToken))
			if res.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", res.status)
			}
			if res.header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate on 401")
			}
		})
	}
}
