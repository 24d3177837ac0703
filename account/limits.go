package account

import (
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/password"
)

// Bounds on every string and list a client gives the account service. Each
// is checked before the value is looked at (trimmed, decoded, folded,
// compared), so refusing a huge input costs no more than accepting a
// sensible one. Strings are bounded in bytes first; where the rule counts
// characters, the byte bound is four bytes (UTF-8's widest) per character.
// Lists are bounded in items before their items are checked; duplicates are
// found with a set, never by comparing each item with the others.
const (
	maxUsernameLen = 64                        // characters, the rule of checkUsername
	maxEmailBytes  = 320                       // before trimming; the address itself is at most 254
	maxPhoneBytes  = 64                        // before parsing
	maxIdentifier  = maxEmailBytes             // login: a username, an email or a phone number
	maxIDBytes     = 64                        // record ids (store.NewID makes 32)
	maxTokenBytes  = 256                       // the bootstrap token
	maxTags        = 64                        // tags of one user, and of one list of tags
	maxTagLen      = 64                        // characters of one tag
	maxRoles       = 64                        // roles in one list of roles
	maxRoleBytes   = 256                       // a role name before it is normalized (64 characters)
	maxPassword    = password.MaxPasswordBytes // a password given to be checked, not set
)

// Field limits, in characters.
var textLimits = map[string]int{
	"firstName": 128, "lastName": 128, "fullName": 256, "website": 2048,
	"avatarUrl": 2048, "address": 1024, "additionalInfo": 4096,
}

// charBytes is the byte bound of a value of n characters.
func charBytes(n int) int { return 4 * n }

// checkBytes refuses a string longer than limit bytes, naming the field.
func checkBytes(field, s string, limit int) error {
	if len(s) > limit {
		return apperr.Input(field, "%s is longer than %d bytes", field, limit)
	}
	return nil
}

// checkID refuses an id no record can have before it reaches the store.
func checkID(field, id string) error { return checkBytes(field, id, maxIDBytes) }

// checkCount refuses a list longer than limit, naming the field.
func checkCount(field string, n, limit int) error {
	if n > limit {
		return apperr.Input(field, "%s has more than %d items", field, limit)
	}
	return nil
}
