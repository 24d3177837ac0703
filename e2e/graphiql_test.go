package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// GraphiQL as HTTP serves it: the page with its policy, the embedded
// assets it names, and the walkthrough it preloads, which must run against
// this server as written. The browser test (graphiql_browser_test.go) runs
// the page itself.

// attr returns the (unescaped) value of the first attribute name in page.
func attr(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`\s` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no %s attribute:\n%s", name, page)
	}
	return html.UnescapeString(m[1])
}

// policy parses a Content-Security-Policy into its directives.
func policy(header string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(header, ";") {
		if f := strings.Fields(d); len(f) > 0 {
			out[f[0]] = f[1:]
		}
	}
	return out
}

func TestGraphiQLPage(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	res, page := getPath(t, ts, "/")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	t.Run("the policy allows nothing from elsewhere, and no inline script", func(t *testing.T) {
		csp := policy(res.Header.Get("Content-Security-Policy"))
		nonce := attr(t, page, "data-style-nonce")
		for directive, sources := range csp {
			for _, s := range sources {
				switch {
				case s == "'self'", s == "'none'", s == "data:" && (directive == "font-src"),
					s == "'nonce-"+nonce+"'" && directive == "style-src":
				default:
					t.Errorf("%s allows %s", directive, s)
				}
			}
		}
		for directive, want := range map[string]string{"default-src": "'none'", "script-src": "'self'", "frame-ancestors": "'none'", "base-uri": "'none'"} {
			if got := strings.Join(csp[directive], " "); got != want {
				t.Errorf("%s = %q, want %q", directive, got, want)
			}
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("X-Content-Type-Options = %q", got)
		}
		if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(page) || strings.Contains(page, " style=") || strings.Contains(page, "<style") {
			t.Errorf("the page has inline script or style:\n%s", page)
		}
		// Every response has its own nonce.
		res2, page2 := getPath(t, ts, "/graphiql")
		if n2 := attr(t, page2, "data-style-nonce"); n2 == nonce || !strings.Contains(res2.Header.Get("Content-Security-Policy"), "'nonce-"+n2+"'") {
			t.Errorf("nonces %q then %q (policy %q): want a fresh one that the policy names", nonce, n2, res2.Header.Get("Content-Security-Policy"))
		}
	})

	t.Run("the assets it names are served from here, versioned", func(t *testing.T) {
		srcs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
		if len(srcs) != 2 {
			t.Fatalf("the page names %d assets, want the script and the stylesheet: %q", len(srcs), srcs)
		}
		for _, m := range srcs {
			ref := html.UnescapeString(m[1])
			u, err := url.Parse(ref)
			if err != nil || u.IsAbs() || u.Host != "" || strings.HasPrefix(ref, "/") {
				t.Errorf("asset %q is not relative to the page (it must work under a path prefix)", ref)
				continue
			}
			plainReq, _ := http.NewRequest(http.MethodGet, ts.url+"/"+ref, nil)
			plainReq.Header.Set("Accept-Encoding", "identity") // else Go's client asks for gzip itself
			res, body := roundTrip(t, plainReq)
			if res.StatusCode != http.StatusOK || len(body) < 10000 {
				t.Errorf("GET %s: %d, %d bytes", ref, res.StatusCode, len(body))
			}
			wantType := map[bool]string{true: "text/javascript", false: "text/css"}[strings.Contains(ref, ".js")]
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
				t.Errorf("GET %s: Content-Type %q, want %s", ref, ct, wantType)
			}
			if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
				t.Errorf("GET %s (the current version): Cache-Control %q, want it kept", ref, cc)
			}
			// Without the version (an old or hand-made URL) it revalidates.
			unversioned, _ := getPath(t, ts, "/"+u.Path)
			if cc := unversioned.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("GET %s: Cache-Control %q, want no-cache", u.Path, cc)
			}
			req, _ := http.NewRequest(http.MethodGet, ts.url+"/"+u.Path, nil)
			req.Header.Set("If-None-Match", res.Header.Get("ETag"))
			req.Header.Set("Accept-Encoding", "identity")
			if again, _ := roundTrip(t, req); again.StatusCode != http.StatusNotModified {
				t.Errorf("GET %s with its ETag: %d, want 304", u.Path, again.StatusCode)
			}
			// A client that takes gzip gets the same file, smaller.
			req, _ = http.NewRequest(http.MethodGet, ts.url+"/"+ref, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			zres, zbody := roundTrip(t, req) // set by hand: the client leaves the body compressed
			if zres.Header.Get("Content-Encoding") != "gzip" || len(zbody) >= len(body) {
				t.Errorf("GET %s accepting gzip: Content-Encoding %q, %d bytes of %d", ref, zres.Header.Get("Content-Encoding"), len(zbody), len(body))
			} else if plain, err := gunzip(zbody); err != nil || plain != body {
				t.Errorf("GET %s accepting gzip: the body does not decompress to the file (err %v)", ref, err)
			}
			if !strings.Contains(zres.Header.Get("Vary"), "Accept-Encoding") || zres.Header.Get("ETag") == res.Header.Get("ETag") {
				t.Errorf("GET %s accepting gzip: Vary %q, ETag %q (plain %q): want Vary: Accept-Encoding and another tag",
					ref, zres.Header.Get("Vary"), zres.Header.Get("ETag"), res.Header.Get("ETag"))
			}
		}
		if res, _ := getPath(t, ts, "/graphiql/assets/nothing.js"); res.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown asset: %d, want 404", res.StatusCode)
		}
	})
}

// The preloaded walkthrough, run as the page runs it (same origin, the
// cookie carrying the sign-in), operation by operation.
func TestGraphiQLWalkthrough(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	_, page := getPath(t, ts, "/")
	doc := attr(t, page, "data-default-query")
	var variables map[string]any
	if err := json.Unmarshal([]byte(attr(t, page, "data-default-variables")), &variables); err != nil {
		t.Fatalf("the preloaded variables are not JSON: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	run := func(op string, v map[string]any) *gqlResponse {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": doc, "operationName": op, "variables": v})
		req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", ts.url)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r, err := decodeAnswer(res)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	mustRun := func(op string, v map[string]any) *gqlResponse {
		t.Helper()
		r := run(op, v)
		if len(r.Errors) > 0 {
			t.Fatalf("the walkthrough's %s: %+v", op, r.Errors)
		}
		return r
	}

	mustRun("Signup", nil)
	login := dataField[auth](t, mustRun("Login", nil), "login")
	if me := mustRun("Me", nil); !strings.Contains(string(me.Data), `"username":"ada"`) {
		t.Errorf("Me after Login = %s, want ada", me.Data)
	}
	if _, ok := variables["refreshToken"]; !ok {
		t.Errorf("the preloaded variables %v lack Refresh's refreshToken", variables)
	}
	variables["refreshToken"] = login.RefreshToken
	if refreshed := dataField[auth](t, mustRun("Refresh", variables), "refreshSession"); refreshed.AccessToken == "" {
		t.Error("Refresh gave no access token")
	}
	mustRun("Logout", nil)
	wantCode(t, run("Me", nil), "UNAUTHENTICATED", 0)
}

func gunzip(s string) (string, error) {
	zr, err := gzip.NewReader(strings.NewReader(s))
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(zr)
	return string(b), err
}
