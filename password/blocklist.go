package password

import (
	"strings"
	"sync"

	"github.com/trustelem/zxcvbn/frequency"
)

// commonPasswords is the blocklist: the 30,000 most common passwords of the
// zxcvbn frequency lists (github.com/trustelem/zxcvbn frequency.FrequencyLists
// ["passwords"], a Go port of Dropbox's zxcvbn, built from leaked password
// corpora), lower-cased. The set is built on first use so that processes
// that never check a password pay nothing for it.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]struct{}, len(list))
	for _, pw := range list {
		set[strings.ToLower(pw)] = struct{}{}
	}
	return set
})

// isCommon reports whether pw is on the blocklist, ignoring case.
func isCommon(pw string) bool {
	_, ok := commonPasswords()[strings.ToLower(pw)]
	return ok
}
