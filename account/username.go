package account

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// Usernames: one rule for every place a username is set or looked up, so
// that a look-alike can neither sign up beside a name nor fail to find it.
//
//   - PRECIS (RFC 8265): the name shown is UsernameCasePreserved's form of
//     what was typed (full-width letters mapped to their usual width, NFC),
//     so `ｒｏｏｔ` is stored and shown as `root`. The unique key is
//     UsernameCaseMapped's form (also lower-cased), or the shown form when
//     usernames are case-sensitive.
//   - The character rule of validUsername, on the shown form.
//   - One script (Unicode TS #39 "highly restrictive", see script.go), so
//     `rооt` with Cyrillic o is refused.
//
// Keys written before these rules (see MigrateUsernameKeys) stay findable:
// lookups also try the old key of what was typed.

// maxUsernameBytes bounds what is read as a username before any Unicode
// work: 64 characters of at most 4 bytes each.
const maxUsernameBytes = 64 * utf8.UTFMax

var errUsernameChars = apperr.New(apperr.InvalidUsername,
	"a username is 2 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit").OnField("username")

// checkUsername returns the username to store and show for what was typed,
// and its unique key.
func (s *Service) checkUsername(typed string) (name, key string, err error) {
	if len(typed) > maxUsernameBytes {
		return "", "", errUsernameChars
	}
	name, err = precis.UsernameCasePreserved.String(strings.TrimSpace(typed))
	if err != nil || !validUsername(name) {
		return "", "", errUsernameChars
	}
	if mixed := scriptsOf(name); !highlyRestrictive(mixed) {
		return "", "", apperr.New(apperr.InvalidUsername,
			"a username mixes the scripts %s; use one script (digits and '.', '_', '-' go with any, and Latin, Han, Hiragana, Katakana, Hangul and Bopomofo mix as Japanese, Chinese and Korean names do)",
			strings.Join(mixed, " and ")).OnField("username")
	}
	if key, err = s.usernameKeyOf(name); err != nil {
		return "", "", errUsernameChars
	}
	return name, key, nil
}

// usernameKeyOf is the unique key of a username already in its shown form.
func (s *Service) usernameKeyOf(name string) (string, error) {
	if s.cfg.UsernameCaseSensitive {
		return name, nil
	}
	return precis.UsernameCaseMapped.String(name)
}

// validUsername is the character rule: 2 to 64 letters, digits, '.', '_'
// and '-' starting with a letter or digit. No '@', so a login identifier
// with one is an email. A loop over unicode's tables rather than a regular
// expression with \p{L}: compiling that one costs a megabyte of heap for
// the life of the process.
func validUsername(u string) bool {
	n := 0
	for i, r := range u {
		alnum := unicode.IsLetter(r) || unicode.IsNumber(r)
		if !alnum && (i == 0 || !strings.ContainsRune("._-", r)) {
			return false
		}
		n++
	}
	return n >= 2 && n <= 64
}

// setUsername gives u a checked username and its key.
func setUsername(u *store.User, name, key string) {
	u.Username, u.UsernameKey = name, key
}

// legacyUsernameKey is the key usernames had before PRECIS: trimmed, and
// lower-cased unless usernames are case-sensitive. Accounts whose keys the
// migration had to leave (see MigrateUsernameKeys) still hold it.
func (s *Service) legacyUsernameKey(typed string) string {
	if s.cfg.UsernameCaseSensitive {
		return strings.TrimSpace(typed)
	}
	return store.FoldKey(typed)
}

// lookupKeys returns the keys a typed username may be stored under, in the
// order to try them: the pre-PRECIS key first when it differs, so that of
// a pair that collided at the migration the account that kept its old key
// is still found by what its owner typed before; then the key of the
// current rules, which alone finds every account written since. A name
// the current rules refuse can only have the old key.
func (s *Service) lookupKeys(typed string) []string {
	if len(typed) > maxUsernameBytes {
		return nil
	}
	var keys []string
	if k := s.legacyUsernameKey(typed); k != "" {
		keys = append(keys, k)
	}
	if _, k, err := s.checkUsername(typed); err == nil && !slices.Contains(keys, k) {
		keys = append(keys, k)
	}
	return keys
}

// findByUsername returns the user a typed username names (lookupKeys).
// Returns store.ErrNotFound if there is none.
func (s *Service) findByUsername(ctx context.Context, typed string) (*store.User, error) {
	for _, k := range s.lookupKeys(typed) {
		u, err := s.store.GetUserByKey(ctx, store.KeyUsername, k)
		if !errors.Is(err, store.ErrNotFound) {
			return u, err
		}
	}
	return nil, store.ErrNotFound
}

// withUsernameKeys returns a copy of a filter whose usernames, at every
// level, are replaced by the keys they may be stored under (lookupKeys):
// the store compares them with UsernameKey as given.
func (s *Service) withUsernameKeys(f *store.UserFilter) *store.UserFilter {
	if f == nil {
		return nil
	}
	out := *f
	if f.Usernames != nil {
		out.Usernames = make([]string, 0, len(f.Usernames))
		seen := make(map[string]bool, len(f.Usernames))
		for _, u := range f.Usernames {
			for _, k := range s.lookupKeys(u) {
				if !seen[k] {
					seen[k] = true
					out.Usernames = append(out.Usernames, k)
				}
			}
		}
	}
	out.And = s.withUsernameKeysAll(f.And)
	out.Or = s.withUsernameKeysAll(f.Or)
	out.Not = s.withUsernameKeys(f.Not)
	return &out
}

func (s *Service) withUsernameKeysAll(fs []store.UserFilter) []store.UserFilter {
	if fs == nil {
		return nil
	}
	out := make([]store.UserFilter, len(fs))
	for i := range fs {
		out[i] = *s.withUsernameKeys(&fs[i])
	}
	return out
}
