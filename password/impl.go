package password

import (
	"fmt"

	upstream "golang.org/x/crypto/argon2"
)

// Impl names the argon2 implementation a Hasher computes argon2id with
// (USERGRAPH_ARGON2_IMPL). Both give the same keys for the same inputs, so
// hashes made with one verify with the other and the choice can change at
// any restart.
type Impl string

const (
	// ImplCopy is password/internal/argon2: x/crypto's argon2 with its
	// working memory owned by the hasher, which reuses it from one hash to
	// the next (mapped outside the Go heap where the platform allows). Its
	// files are checked against upstream's, and its keys against upstream's
	// IDKey. The default.
	ImplCopy Impl = "copy"
	// ImplUpstream is golang.org/x/crypto/argon2 itself, for deployments
	// that would rather run upstream's code than a copy of it. It allocates
	// and zeroes the working memory on every hash (19 MiB at the default
	// parameters), which the garbage collector then reclaims: more CPU and
	// memory per sign-in under load than the copy (docs/PERFORMANCE.md).
	ImplUpstream Impl = "upstream"
)

// ParseImpl returns the implementation named s ("" is the default,
// ImplCopy), or an error naming the choices.
func ParseImpl(s string) (Impl, error) {
	switch impl := Impl(s); impl {
	case "":
		return ImplCopy, nil
	case ImplCopy, ImplUpstream:
		return impl, nil
	}
	return "", fmt.Errorf("unknown argon2 implementation %q: want %q or %q", s, ImplCopy, ImplUpstream)
}

// Argon2Impl makes a Hasher compute argon2id with impl (default ImplCopy).
// It panics on an unknown impl, as NewHasher does on invalid params:
// callers that take it from configuration check it with ParseImpl first.
func Argon2Impl(impl Impl) Option {
	if _, err := ParseImpl(string(impl)); err != nil {
		panic("password: " + err.Error())
	}
	return func(h *Hasher) { h.impl = impl }
}

// kdf computes argon2id keys for one implementation.
type kdf interface {
	idKey(plain string, salt []byte, p Params) []byte
}

// upstreamKDF is ImplUpstream: every call allocates its own memory.
type upstreamKDF struct{}

func (upstreamKDF) idKey(plain string, salt []byte, p Params) []byte {
	return upstream.IDKey([]byte(plain), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
}

// newKDF returns impl's kdf for a hasher with params p and the given number
// of concurrency slots (the copy keeps at most one memory per slot).
func newKDF(impl Impl, p Params, slots int) kdf {
	if impl == ImplUpstream {
		return upstreamKDF{}
	}
	return newMemories(p.Memory, slots)
}
