package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/mail/mailtest"
)

// Every mutation of the schema is driven with real arguments, and each one
// that changes state must leave its event in the audit trail. A mutation
// added to the schema fails this test until it has a step here, or a
// reason to leave no event.

// noEvent are the mutations that store no change an event describes.
var noEvent = map[string]string{
	"refreshSession":   "rotates the refresh token; the session goes on (reuse of a rotated token is refresh.reuse_detected)",
	"forgotUsername":   "only mails the username; nothing about the account changes",
	"redeliverWebhook": "only queues a delivery; its attempts are in webhookDeliveries",
	// Social sign-in's mutations, from its own branch: it emits
	// identity.linked and identity.unlinked with its changes.
	"oauthStart": "social sign-in", "oauthComplete": "social sign-in", "unlinkIdentity": "social sign-in",
	"loginWithIdToken": "social sign-in",
}

// mutationStep drives one mutation and names the event it must leave.
type mutationStep struct {
	mutation string
	event    string
	run      func(t *testing.T)
}

// newestEventID is the id of the newest event in the trail ("" if none).
func newestEventID(t *testing.T, ts *testServer, token string) string {
	t.Helper()
	p := dataField[eventPage](t, ts.mustGQL(t, token, auditQuery, vars{"first": 1}), "auditEvents")
	if len(p.Edges) == 0 {
		return ""
	}
	return p.Edges[0].Node.ID
}

// runSteps runs each step and checks that an event of its type came after
// the trail's newest event before it.
func runSteps(t *testing.T, ts *testServer, root func() string, steps []mutationStep) {
	t.Helper()
	for _, s := range steps {
		before := newestEventID(t, ts, root())
		s.run(t)
		got := auditEvents(t, ts, root(), vars{"types": []string{s.event}}, 5)
		if len(got) == 0 || got[0].ID <= before {
			var since []string
			for _, e := range auditEvents(t, ts, root(), nil, 20) {
				if e.ID > before {
					since = append(since, e.Type)
				}
			}
			t.Errorf("%s left no %s event (events since: %v)", s.mutation, s.event, since)
		}
	}
}

func TestEveryMutationLeavesItsEvent(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	gw, smsURL := startSMSGateway(t)
	ts := startServer(t, withMail(srv), withSMS(smsURL), withVerification("send"))
	rootAuth := ts.admin(t)
	root := func() string { return rootAuth.AccessToken }
	var (
		ann, guest           auth
		bobID, permID, devID string
		appID, hookID        string
		mailsBefore          int
	)
	gql := func(token, q string, v vars) *gqlResponse { return ts.mustGQL(t, token, q, v) }
	steps := []mutationStep{
		{"signup", "user.signed_up", func(t *testing.T) {
			ann = ts.signup(t, "ann", testPassword)
		}},
		{"login", "login.succeeded", func(t *testing.T) { ann = ts.login(t, "ann", testPassword) }},
		{"logout", "logout", func(t *testing.T) { gql(ts.login(t, "ann", testPassword).AccessToken, `mutation { logout }`, nil) }},
		{"revokeSession", "session.revoked", func(t *testing.T) {
			other := ts.login(t, "ann", testPassword)
			gql(ann.AccessToken, `mutation($id: ID!) { revokeSession(id: $id) }`, vars{"id": other.Session.ID})
		}},
		{"logoutAll", "session.revoked", func(t *testing.T) {
			gql(ts.login(t, "ann", testPassword).AccessToken, `mutation { logoutAll }`, nil)
			ann = ts.login(t, "ann", testPassword)
		}},
		{"changePassword", "password.changed", func(t *testing.T) {
			gql(ann.AccessToken, `mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }`,
				vars{"o": testPassword, "n": newPassword})
			ann = ts.login(t, "ann", newPassword)
		}},
		{"updateProfile", "user.updated", func(t *testing.T) { updateProfile(t, ts, ann.AccessToken, vars{"firstName": "Ann"}) }},
		{"uploadAvatar", "user.updated", func(t *testing.T) {
			ts.mustUpload(t, ann.AccessToken, file{"me.png", "image/png", pngFile(t, 16, 16)})
		}},
		{"removeAvatar", "user.updated", func(t *testing.T) { gql(ann.AccessToken, `mutation { removeAvatar { id } }`, nil) }},
		{"changeUsername", "username.changed", func(t *testing.T) {
			gql(ann.AccessToken, `mutation { changeUsername(username: "anne") { id } }`, nil)
		}},
		{"requestEmailVerification", "email.verification_sent", func(t *testing.T) {
			mailsBefore = len(mailsWithLink(srv, "ann@example.com", ts.url+"/verify-email?"))
			gql(ann.AccessToken, `mutation { requestEmailVerification }`, nil)
		}},
		{"verifyEmail", "email.verified", func(t *testing.T) {
			m := waitLinkMail(t, srv, "ann@example.com", ts.url+"/verify-email?", mailsBefore+1)
			gql("", verifyMutation, vars{"token": tokenIn(t, ts, m, "/verify-email")})
		}},
		{"sendEmailVerification", "email.verification_sent", func(t *testing.T) {
			u := createUser(t, ts, root(), vars{"username": "bob", "email": "bob@example.com", "password": testPassword})
			bobID = u.ID
			gql(root(), `mutation($id: ID!) { sendEmailVerification(userId: $id) }`, vars{"id": bobID})
		}},
		{"createUser", "user.signed_up", func(t *testing.T) {
			createUser(t, ts, root(), vars{"username": "cid", "password": testPassword})
		}},
		{"requestPasswordReset", "password.reset_requested", func(t *testing.T) {
			waitMail(t, srv, "bob@example.com", 1) // sendEmailVerification's
			mailsBefore = len(mailsWithLink(srv, "bob@example.com", ts.url+"/reset-password?"))
			requestReset(t, ts, "bob@example.com")
		}},
		{"resetPassword", "password.reset", func(t *testing.T) {
			m := waitLinkMail(t, srv, "bob@example.com", ts.url+"/reset-password?", mailsBefore+1)
			gql("", resetMutation, vars{"token": tokenIn(t, ts, m, "/reset-password"), "pw": newPassword})
		}},
		{"requestPasswordResetBySms", "password.reset_requested", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { updateUser(id: $id, input: {phone: "+1 415 555 0199"}) { id } }`, vars{"id": bobID})
			gql("", requestSMSMutation, vars{"u": "bob"})
		}},
		{"resetPasswordWithCode", "password.reset", func(t *testing.T) {
			code, _ := gw.wait(t, 1).Body["code"].(string)
			gql("", codeResetMutation, vars{"u": "bob", "code": code, "pw": testPassword})
		}},
		{"updateUser", "user.updated", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { updateUser(id: $id, input: {lastName: "B"}) { id } }`, vars{"id": bobID})
		}},
		{"setUserStatus", "user.status_changed", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { setUserStatus(id: $id, status: ACTIVE) { id } }`, vars{"id": bobID})
		}},
		{"setUserMetadata", "user.metadata_changed", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { setUserMetadata(id: $id, metadata: {plan: "pro"}) { id } }`, vars{"id": bobID})
		}},
		{"setUserMetadataField", "user.metadata_changed", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { setUserMetadataField(id: $id, key: "plan", value: "max") { id } }`, vars{"id": bobID})
		}},
		{"createRole", "role.created", func(t *testing.T) { createRole(t, ts, root(), "editors") }},
		{"updateRole", "role.updated", func(t *testing.T) {
			gql(root(), `mutation { updateRole(name: "editors", input: {name: "editors", description: "edit"}) { id } }`, nil)
		}},
		{"addPermission", "permission.changed", func(t *testing.T) { permID = addPermission(t, ts, root(), "editors", "/api/*", "GET") }},
		{"updatePermission", "permission.changed", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { updatePermission(role: "editors", id: $id, input: {pattern: "/api/**", verbs: [GET]}) { id } }`, vars{"id": permID})
		}},
		{"grantRole", "role.granted", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { grantRole(userId: $id, role: "editors") { id } }`, vars{"id": bobID})
		}},
		{"revokeRole", "role.revoked", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { revokeRole(userId: $id, role: "editors") { id } }`, vars{"id": bobID})
		}},
		{"removePermission", "permission.changed", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { removePermission(role: "editors", id: $id) }`, vars{"id": permID})
		}},
		{"updateUsers", "user.status_changed", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { updateUsers(filter: {ids: [$id]}, patch: {status: SUSPENDED}) }`, vars{"id": bobID})
		}},
		{"unlockAccount", "account.unlocked", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { unlockAccount(userId: $id) }`, vars{"id": bobID})
		}},
		{"deleteUser", "user.deleted", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { deleteUser(id: $id) }`, vars{"id": bobID})
		}},
		{"deleteUsers", "user.deleted", func(t *testing.T) {
			gql(root(), `mutation { deleteUsers(filter: {usernames: ["cid"]}, hard: true) }`, nil)
		}},
		{"deleteRole", "role.deleted", func(t *testing.T) { gql(root(), `mutation { deleteRole(name: "editors") }`, nil) }},
		{"loginAsGuest", "user.signed_up", func(t *testing.T) {
			r := gql("", guestMutation, nil)
			guest = dataField[auth](t, r, "loginAsGuest")
		}},
		{"upgradeGuest", "guest.upgraded", func(t *testing.T) {
			gql(guest.AccessToken, `mutation { upgradeGuest(input: {username: "dee", password: "dee's long password"}) { id } }`, nil)
		}},
		{"createApplication", "application.created", func(t *testing.T) { appID = createApp(t, ts, root(), "mobile").Application.ID }},
		{"applicationSession", "login.succeeded", func(t *testing.T) {
			c := dataField[credentials](t, gql(root(), `mutation($id: ID!) { rotateApplicationSecret(id: $id) { application { id clientId } clientSecret } }`,
				vars{"id": appID}), "rotateApplicationSecret")
			openAppSession(t, ts, c)
		}},
		{"rotateApplicationSecret", "application.secret_rotated", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { rotateApplicationSecret(id: $id) { clientSecret } }`, vars{"id": appID})
		}},
		{"updateApplication", "application.updated", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { updateApplication(id: $id, input: {name: "mobile 2"}) { id } }`, vars{"id": appID})
		}},
		{"deleteApplication", "application.deleted", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { deleteApplication(id: $id) }`, vars{"id": appID})
		}},
		{"renameDevice", "device.renamed", func(t *testing.T) {
			a := dataField[deviceAuth](t, gql("", `mutation { login(input: {identifier: "anne", password: "`+newPassword+`", deviceToken: "device-001"}) { `+
				authFields+` session { id device { id } } } }`, nil), "login")
			ann = a.auth
			gql(ann.AccessToken, `mutation($id: ID!) { renameDevice(id: $id, name: "phone") { id } }`, vars{"id": a.Session.Device.ID})
			devID = a.Session.Device.ID
		}},
		{"forgetDevice", "device.forgotten", func(t *testing.T) {
			gql(ann.AccessToken, `mutation($id: ID!) { forgetDevice(id: $id) }`, vars{"id": devID})
		}},
		{"createWebhook", "webhook.created", func(t *testing.T) {
			r := gql(root(), createWebhookMutation, vars{"in": vars{"url": "http://192.0.2.10/hook", "events": []string{"*"}}})
			hookID = dataField[struct {
				Webhook apiWebhook `json:"webhook"`
			}](t, r, "createWebhook").Webhook.ID
		}},
		{"updateWebhook", "webhook.updated", func(t *testing.T) {
			gql(root(), `mutation($id: ID!) { updateWebhook(id: $id, input: {url: "http://192.0.2.10/hook", events: ["login.failed"], active: false}) { id } }`,
				vars{"id": hookID})
		}},
		{"deleteWebhook", "webhook.deleted", func(t *testing.T) { gql(root(), `mutation($id: ID!) { deleteWebhook(id: $id) }`, vars{"id": hookID}) }},
		{"rotateSigningKey", "signing_key.rotated", func(t *testing.T) { gql(root(), `mutation { rotateSigningKey }`, nil) }},
		{"deleteAccount", "user.deleted", func(t *testing.T) {
			ann = ts.login(t, "anne", newPassword) // forgetDevice ended the session on it
			gql(ann.AccessToken, `mutation($pw: String!) { deleteAccount(password: $pw) }`, vars{"pw": newPassword})
		}},
	}

	// Every mutation of the schema has a step or a reason.
	var missing []string
	for _, f := range rootFields(loadSchema(t)) {
		if f.op != "mutation" {
			continue
		}
		_, excused := noEvent[f.field.Name]
		if !excused && f.field.Name != "initialize" && !slices.ContainsFunc(steps, func(s mutationStep) bool { return s.mutation == f.field.Name }) &&
			!strings.Contains("permitDevice restrictDevice", f.field.Name) {
			missing = append(missing, f.field.Name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("mutations with neither a step nor a reason to leave no event: %v", missing)
	}
	// initialize ran first (ts.admin): its event is the root's sign-up.
	if first := auditEvents(t, ts, root(), nil, 100); first[len(first)-1].Type != "user.signed_up" {
		t.Errorf("initialize left %s first, want user.signed_up", first[len(first)-1].Type)
	}
	runSteps(t, ts, root, steps)

	// permitDevice and restrictDevice need device control. Eve's device
	// waits for permission after her sign-up.
	t.Run("devices", func(t *testing.T) {
		dc := startServer(t, deviceControl)
		admin := adminOn(t, dc, "device-root").Auth.AccessToken
		r := signupOn(t, dc, "eve", "device-eve")
		eve := dataField[signedUp](t, r, "signup").User.ID
		runSteps(t, dc, func() string { return admin }, []mutationStep{
			{"permitDevice", "device.permitted", func(t *testing.T) {
				dc.mustGQL(t, admin, permitMutation, vars{"u": eve, "d": "device-eve"})
			}},
			{"restrictDevice", "device.restricted", func(t *testing.T) {
				dc.mustGQL(t, admin, restrictMutation, vars{"u": eve, "d": "device-eve"})
			}},
		})
	})
}

// mailsWithLink returns the mails to rcpt that carry a link with prefix.
func mailsWithLink(srv *mailtest.Server, rcpt, prefix string) []*mailtest.Received {
	var out []*mailtest.Received
	for _, m := range srv.To(rcpt) {
		if slices.ContainsFunc(m.Links(), func(l string) bool { return strings.HasPrefix(l, prefix) }) {
			out = append(out, m)
		}
	}
	return out
}

// waitLinkMail waits for the n-th mail to rcpt with a link with prefix.
func waitLinkMail(t *testing.T, srv *mailtest.Server, rcpt, prefix string, n int) *mailtest.Received {
	t.Helper()
	deadline := time.Now().Add(mailWithin)
	for {
		if got := mailsWithLink(srv, rcpt, prefix); len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d-th mail to %s with a link to %s within %v", n, rcpt, prefix, mailWithin)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
