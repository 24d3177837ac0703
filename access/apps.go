package access

import "slices"

// What an application's session (APP: no user) may change. It reads what
// any signed-in caller reads, and acts with the roles granted to the
// application (Principal.Roles): @hasPermission and @hasRole check those,
// so an application with roles administers as they allow. Without them it
// changes nothing, save through the mutations below: the ways a user's
// session starts and the account recovery flows, which an application
// relays for its users (ConnectyCube's application session). Every other
// mutation answers FORBIDDEN to it, @public ones included (refreshSession,
// initialize), and so do the @signedIn ones, which act on the caller's own
// account that an application does not have (upgradeGuest, logout, …).
// The resolvers' access directives apply the rule (resolvers/directives.go);
// an end-to-end test walks the schema with an APP session
// (e2e/apps_schema_walk_test.go).
var appMutations = []string{
	"signup", "login", "loginAsGuest",
	// Social sign-in, as ConnectyCube's application session signs users
	// in with a provider's keys. LINK is a user's, so an application
	// starting one is FORBIDDEN all the same (social/flow.go, linkTarget).
	"oauthStart", "oauthComplete", "loginWithIdToken",
	// Account recovery: each is a client's own request, authorized by
	// what it carries (an email address, a token, a code).
	"requestPasswordReset", "resetPassword", "requestPasswordResetBySms", "resetPasswordWithCode",
	"forgotUsername", "verifyEmail",
}

// AppMayCall reports whether an APP session may call the mutation named
// field whatever its roles.
func AppMayCall(field string) bool { return slices.Contains(appMutations, field) }

// AppMutations returns the mutations AppMayCall allows, for tests and docs.
func AppMutations() []string { return slices.Clone(appMutations) }
