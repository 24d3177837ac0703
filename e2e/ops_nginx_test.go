package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Forward auth through real nginx (Debian's nginx package;
// .ci/run installs it): the configuration docs/FORWARD-AUTH.md shows,
// extracted from it, in front of a backend that echoes the identity
// headers it receives.

// identityHeaders are the headers a 200 from /authorization names the
// caller by.
var identityHeaders = []string{"X-Auth-User", "Remote-User", "Remote-Email", "Remote-Name", "Remote-Groups", "X-Auth-Application"}

// Without a proxy: the headers a 200 carries, and that a refusal does not.
func TestAuthorizationIdentityHeaders(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "api")
	addPermission(t, ts, root, "api", "/api/*", "GET")
	id, a := newUserWithRoles(t, ts, root, "ada", "user", "api")
	if r := updateProfile(t, ts, a.AccessToken, vars{"fullName": "Zoë Lovelace"}); r.code() != "" {
		t.Fatalf("updateProfile: %v", r.Errors)
	}
	noEmail := createUser(t, ts, root, vars{"username": "noemail", "password": testPassword})
	b := ts.login(t, "noemail", testPassword)

	res := askAuthorization(t, ts, http.MethodGet, "", map[string]string{"Authorization": "Bearer " + a.AccessToken,
		"X-Forwarded-Uri": "/api/items", "X-Forwarded-Method": "GET"})
	want := map[string]string{"X-Auth-User": id, "Remote-User": "ada", "Remote-Email": "ada@example.com",
		"Remote-Name": "Zoë Lovelace", "Remote-Groups": "user,api", "X-Auth-Application": ""}
	wantHeaders(t, "200", res.status, http.StatusOK, res.header, want)

	res = askAuthorization(t, ts, http.MethodHead, "", bearer(b.AccessToken))
	wantHeaders(t, "a user without email or name", res.status, http.StatusOK, res.header, map[string]string{
		"X-Auth-User": noEmail.ID, "Remote-User": "noemail", "Remote-Email": "", "Remote-Name": "", "Remote-Groups": "user", "X-Auth-Application": ""})

	app := createApp(t, ts, root, "headers-app", "api")
	appSession := openAppSession(t, ts, app)
	res = askAuthorization(t, ts, http.MethodGet, "", bearer(appSession.AccessToken))
	wantHeaders(t, "an application's session", res.status, http.StatusOK, res.header, map[string]string{
		"X-Auth-User": "", "Remote-User": "", "Remote-Email": "", "Remote-Name": "", "Remote-Groups": "api",
		"X-Auth-Application": app.Application.ID})

	for _, c := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"401", map[string]string{"Remote-User": "spoofed"}, http.StatusUnauthorized},
		{"403", map[string]string{"Authorization": "Bearer " + a.AccessToken, "X-Forwarded-Uri": "/admin"}, http.StatusForbidden},
	} {
		res := askAuthorization(t, ts, http.MethodGet, "", c.header)
		if res.status != c.status {
			t.Fatalf("%s: status %d", c.name, res.status)
		}
		for _, h := range identityHeaders {
			if _, ok := res.header[h]; ok {
				t.Errorf("a %s carries %s: %q", c.name, h, res.header.Get(h))
			}
		}
	}
}

// wantHeaders checks status and that each header of want is present
// with its value (an empty one too: present, empty).
func wantHeaders(t *testing.T, what string, status, wantStatus int, h http.Header, want map[string]string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("%s: status %d, want %d", what, status, wantStatus)
	}
	for k, v := range want {
		got, ok := h[http.CanonicalHeaderKey(k)]
		if !ok || len(got) != 1 || got[0] != v {
			t.Errorf("%s: %s = %q (present %v), want %q", what, k, got, ok, v)
		}
	}
}

func TestForwardAuthBehindNginx(t *testing.T) {
	t.Parallel()
	nginxBin := findNginx(t)
	doc := readRepoFile(t, "docs/FORWARD-AUTH.md")
	server := docBlock(t, doc, "nginx:server")

	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "api")
	addPermission(t, ts, root, "api", "/api/*", "GET", "POST")
	apiID, apiUser := newUserWithRoles(t, ts, root, "grace", "user", "api")
	updateProfile(t, ts, apiUser.AccessToken, vars{"fullName": "Grace Hopper"})
	plain := ts.signup(t, "plainuser", testPassword)

	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := map[string]string{"method": r.Method, "uri": r.RequestURI}
		for _, h := range identityHeaders {
			got[h] = r.Header.Get(h)
		}
		got["X-Request-Id"] = r.Header.Get("X-Request-Id")
		json.NewEncoder(w).Encode(got)
	}))
	defer backend.Close()

	t.Run("the documented configuration", func(t *testing.T) {
		proxy := startNginx(t, nginxBin, server, ts.url, backend.URL)
		send := func(method, path, token string, header map[string]string) (int, map[string]string) {
			t.Helper()
			req, _ := http.NewRequest(method, proxy+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			for k, v := range header {
				req.Header.Set(k, v)
			}
			res, body := roundTrip(t, req)
			var echoed map[string]string
			if res.StatusCode == http.StatusOK {
				if err := json.Unmarshal([]byte(body), &echoed); err != nil {
					t.Fatalf("%s %s: the backend's answer %q: %v", method, path, body, err)
				}
			}
			return res.StatusCode, echoed
		}
		if status, _ := send("GET", "/api/items", "", map[string]string{"Remote-User": "spoofed"}); status != http.StatusUnauthorized {
			t.Errorf("no token: status %d, want 401", status)
		}
		if status, _ := send("GET", "/api/items", plain.AccessToken, nil); status != http.StatusForbidden {
			t.Errorf("a user without the permission: status %d, want 403", status)
		}
		if status, _ := send("DELETE", "/api/items", apiUser.AccessToken, nil); status != http.StatusForbidden {
			t.Errorf("a verb not granted: status %d, want 403", status)
		}
		status, got := send("POST", "/api/items?page=2", apiUser.AccessToken,
			map[string]string{"Remote-Groups": "admin", "Remote-User": "root", "X-Auth-Application": "spoofed-app"})
		if status != http.StatusOK {
			t.Fatalf("allowed: status %d, want 200", status)
		}
		want := map[string]string{"method": "POST", "uri": "/api/items?page=2", "X-Auth-User": apiID, "Remote-User": "grace",
			"Remote-Email": "grace@example.com", "Remote-Name": "Grace Hopper", "Remote-Groups": "user,api", "X-Auth-Application": ""}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("the backend received %s = %q, want %q", k, got[k], v)
			}
		}
		if len(got["X-Request-Id"]) != 32 {
			t.Errorf("the backend received X-Request-Id %q, want nginx's $request_id", got["X-Request-Id"])
		} else if len(withMsg(ts.requestLines(t, got["X-Request-Id"]), "authorization refused")) != 0 {
			t.Errorf("the allowed request's check was logged as refused")
		}
	})

	t.Run("the return trap", func(t *testing.T) {
		wrong := startNginx(t, nginxBin, inServer(server, docBlock(t, doc, "nginx:trap-wrong")), ts.url, backend.URL)
		right := startNginx(t, nginxBin, inServer(server, docBlock(t, doc, "nginx:trap-right")), ts.url, backend.URL)
		status := func(base, token string) int {
			req, _ := http.NewRequest(http.MethodGet, base+"/status", nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, _ := roundTrip(t, req)
			return res.StatusCode
		}
		if got := status(wrong, ""); got != http.StatusOK {
			t.Errorf("the wrong way answered %d without credentials; the doc says the check is bypassed (200)", got)
		}
		if got := status(right, ""); got != http.StatusUnauthorized {
			t.Errorf("the right way answered %d without credentials, want 401", got)
		}
		if got := status(right, plain.AccessToken); got != http.StatusForbidden {
			t.Errorf("the right way answered %d to a caller without the permission, want 403", got)
		}
		if got := status(right, root); got != http.StatusOK {
			t.Errorf("the right way answered %d to an administrator, want 200", got)
		}
	})
}

// findNginx returns nginx's path, or skips the test.
func findNginx(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skip("nginx is not installed (apt-get install nginx): the forward-auth test through nginx did not run")
	return ""
}

// docBlock returns the fenced code block that follows <!-- name … --> in
// doc, so that the test runs what the document shows.
func docBlock(t *testing.T, doc, name string) string {
	t.Helper()
	start := strings.Index(doc, "<!-- "+name+" ")
	end := strings.Index(doc, "<!-- /"+name+" -->")
	if start < 0 || end < start {
		t.Fatalf("docs/FORWARD-AUTH.md has no block marked %s", name)
	}
	block := doc[start:end]
	open := strings.Index(block, "```nginx\n")
	closing := strings.LastIndex(block, "```")
	if open < 0 || closing <= open {
		t.Fatalf("the block marked %s is not a fenced nginx block", name)
	}
	return block[open+len("```nginx\n") : closing]
}

// inServer puts locations into the server block, before its last brace.
func inServer(server, locations string) string {
	i := strings.LastIndex(server, "}")
	return server[:i] + locations + server[i:]
}

// startNginx runs nginx in the foreground as a child of the test with
// server (from the document) on a free loopback port, usergraph and the
// app at the given URLs instead of the document's, and everything it
// writes in a temporary directory. It returns nginx's base URL.
func startNginx(t *testing.T, bin, server, usergraphURL, appURL string) string {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	for _, r := range []struct{ from, to string }{
		{"listen 80;", "listen " + addr + ";"},
		{"http://127.0.0.1:8080", usergraphURL},
		{"http://127.0.0.1:3000", appURL},
	} {
		if !strings.Contains(server, r.from) {
			t.Fatalf("the documented server block no longer has %q", r.from)
		}
		server = strings.ReplaceAll(server, r.from, r.to)
	}
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, server)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	out := &syncWriter{w: new(bytes.Buffer)}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not listen on %s within 10 s:\n%s\n%s\nconfiguration:\n%s", addr, out, errLog, conf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
