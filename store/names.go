package store

// Names as user discovery finds them (docs/FILTERS.md, "Discovery"): by a
// name given exactly but in any case, and by how a username or a name
// starts. Both are answered from indexes on both backends, which a
// substring search (Search) cannot be: each name is stored a second time,
// folded (NameKeys), beside the username's key, and a prefix becomes a
// range over those keys, [prefix, PrefixEnd(prefix)).

// NameKeys are the folded names a user is found by: FoldKey of the first
// name, the last name and the full name as shown (DisplayFullName, so a
// user without a stored full name is found by "first last"). Backends
// store them beside the user and recompute them on every write, like
// SearchText.
func NameKeys(u *User) (first, last, full string) {
	return FoldKey(u.FirstName), FoldKey(u.LastName), FoldKey(u.DisplayFullName())
}

// NamePrefix selects the users whose UsernameKey starts with Username
// (compared as given: callers pass a prefix in the key's form), or one of
// whose name keys (NameKeys) starts with FoldKey(Name). An empty part
// selects nobody, so the zero NamePrefix matches no user.
type NamePrefix struct {
	Username string
	Name     string
}

// PrefixEnd is the exclusive upper bound of the keys that start with
// prefix: the prefix followed by U+10FFFF, the greatest code point, whose
// UTF-8 form sorts after that of every other character, so that keys
// compared byte for byte (no collation, in both backends) fall in
// [prefix, PrefixEnd(prefix)) exactly when they start with prefix — save
// keys with U+10FFFF itself right after the prefix, a noncharacter no name
// holds in practice.
func PrefixEnd(prefix string) string { return prefix + "\U0010FFFF" }
