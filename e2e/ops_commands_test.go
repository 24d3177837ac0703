package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
)

// TestConfigRedactsSecrets: `usergraph config` prints the effective
// settings, from flags and variables, and none of the secrets among them.
func TestConfigRedactsSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{"bootstrap-secret-0123456789", "hunter2", "d2ViaG9vay1zZWNyZXQta2V5LTEyMzQ1Njc4OTA=", "dbpass", "querytoken"}
	var out, errOut bytes.Buffer
	env := app.Env{Stdout: &out, Stderr: &errOut, Vars: []string{
		"USERGRAPH_BOOTSTRAP_TOKEN=" + secrets[0],
		"USERGRAPH_SMTP_URL=smtp://mailer:" + secrets[1] + "@mail.example:587",
		"USERGRAPH_SMS_WEBHOOK_URL=https://sms.example/send?key=" + secrets[4],
		"USERGRAPH_SMS_WEBHOOK_SECRET=whsec_" + secrets[2],
	}}
	err := app.ConfigCommand(t.Context(), env, []string{"-database-url", "mongodb://admin:" + secrets[3] + "@db.example:27017/ug", "-access-token-ttl", "7m"})
	if err != nil {
		t.Fatalf("config: %v\n%s", err, errOut.String())
	}
	text := out.String()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("config printed the secret %q:\n%s", s, text)
		}
	}
	for _, want := range []string{
		"USERGRAPH_ACCESS_TOKEN_TTL=7m0s",
		"USERGRAPH_BOOTSTRAP_TOKEN=***",
		"USERGRAPH_SMS_WEBHOOK_SECRET=***",
		"USERGRAPH_SMTP_URL=smtp://***@mail.example:587",
		"USERGRAPH_DATABASE_URL=mongodb://***@db.example:27017/ug",
		"USERGRAPH_SMS_WEBHOOK_URL=https://sms.example/send?***",
		"USERGRAPH_LISTEN=",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("config output lacks %q:\n%s", want, text)
		}
	}
}

// kid is the signing key id in a JWT's header.
func kid(t *testing.T, jwt string) string {
	t.Helper()
	header, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	must(t, err)
	var h struct {
		Kid string `json:"kid"`
	}
	must(t, json.Unmarshal(header, &h))
	return h.Kid
}

// TestKeysRotate: after `usergraph keys rotate` against a running
// deployment, a token signed before still verifies, on the running
// instance and on one started after, and the new instance signs with the
// new key, whose tokens the running instance accepts at once.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	old := startInstances(t, 1)[0]
	before := old.signup(t, "rotor", testPassword).AccessToken

	out := mustRun(t, old, app.Keys, "rotate")
	if !strings.Contains(out, "signing key rotated") || !strings.Contains(out, kid(t, before)+" retired") {
		t.Fatalf("keys rotate said %q; want the old key %s retired", out, kid(t, before))
	}
	fresh := startWith(t, old.cfg)
	after := fresh.login(t, "rotor", testPassword).AccessToken
	if kid(t, after) == kid(t, before) {
		t.Fatalf("a token issued after the rotation is signed with the old key %s", kid(t, before))
	}
	for _, c := range []struct {
		name   string
		server *testServer
		token  string
	}{{"old token, running instance", old, before}, {"old token, new instance", fresh, before},
		{"new token, running instance", old, after}, {"new token, new instance", fresh, after}} {
		if r := c.server.gql(t, c.token, meQuery, nil); len(r.Errors) > 0 {
			t.Errorf("%s: %+v", c.name, r.Errors)
		}
	}
	if _, _, err := runCommand(t, old, app.Keys, "turn"); err == nil {
		t.Error("keys turn succeeded")
	}
}

// TestBackupOfRunningServer: `usergraph backup` copies a server's SQLite
// file while it serves; a server started on the copy holds the users,
// who sign in there.
func TestBackupOfRunningServer(t *testing.T) {
	t.Parallel()
	skipOnMongo(t, "backs up the SQLite file (MongoDB: mongodump)")
	ts := startServer(t)
	for _, name := range []string{"ann", "bob", "cy"} {
		ts.signup(t, name, testPassword)
	}
	copyPath := filepath.Join(t.TempDir(), "backup.db")
	if out := mustRun(t, ts, app.Backup, copyPath); !strings.Contains(out, "backed up") {
		t.Errorf("backup said %q", out)
	}
	ts.signup(t, "late", testPassword) // the server goes on serving

	cfg := ts.cfg
	cfg.Store.URL = "sqlite:" + copyPath
	restored := startWith(t, cfg)
	for _, name := range []string{"ann", "bob", "cy"} {
		restored.login(t, name, testPassword)
	}
	wantCode(t, restored.gql(t, "", loginMutation, vars{"id": "late", "pw": testPassword}), "INVALID_CREDENTIALS", 603)
}

// TestBackupRefusesMongoDB points MongoDB users at mongodump.
func TestBackupRefusesMongoDB(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := app.Backup(t.Context(), app.Env{Stdout: &out, Stderr: &out},
		[]string{"-database-url", "mongodb://127.0.0.1:1/x", filepath.Join(t.TempDir(), "b")})
	if err == nil || !strings.Contains(err.Error(), "mongodump") {
		t.Errorf("backup of MongoDB: %v, want a pointer to mongodump", err)
	}
}
