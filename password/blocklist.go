package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strings"
	"sync"
)

//go:generate go run ./internal/genblocklist common-passwords.txt.gz

// commonPasswordsGz is the blocklist: the 30,000 most common passwords of
// the zxcvbn frequency lists, lower-cased (see internal/genblocklist).
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords is the blocklist as a set, built on first use so that
// processes that never check a password pay nothing for it.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 30_000)
	r, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("password: embedded blocklist is corrupt: " + err.Error())
	}
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		set[lines.Text()] = struct{}{}
	}
	if err := lines.Err(); err != nil {
		panic("password: embedded blocklist is corrupt: " + err.Error())
	}
	return set
})

// isCommon reports whether pw is on the blocklist, ignoring case.
func isCommon(pw string) bool {
	_, ok := commonPasswords()[strings.ToLower(pw)]
	return ok
}
