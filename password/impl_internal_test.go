package password

import (
	"bytes"
	"testing"
)

// The two implementations compute the same keys, the copy in memory its
// earlier computations left dirty (and sometimes larger than needed).
func TestImplsComputeTheSameKeys(t *testing.T) {
	copyKDF, upstreamKDF := newKDF(ImplCopy, cheapParams, 1), newKDF(ImplUpstream, cheapParams, 1)
	for i, p := range []Params{
		cheapParams,
		{Memory: 256, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 48, Iterations: 3, Parallelism: 4, SaltLength: 8, KeyLength: 64},
		cheapParams,
	} {
		salt := random(p.SaltLength)
		plain := string(random(uint32(1 + 7*i)))
		if got, want := copyKDF.idKey(plain, salt, p), upstreamKDF.idKey(plain, salt, p); !bytes.Equal(got, want) {
			t.Errorf("%+v: copy %x, upstream %x", p, got, want)
		}
	}
}

// Argon2Impl chooses the implementation the hasher computes with; the
// default is the copy.
func TestArgon2ImplChoosesTheKDF(t *testing.T) {
	if h := NewHasher(cheapParams, 1); h.Impl() != ImplCopy {
		t.Errorf("default Impl() = %q, want %q", h.Impl(), ImplCopy)
	} else if _, ok := h.kdf.(*memories); !ok {
		t.Errorf("default hasher computes with %T, want the copy's *memories", h.kdf)
	}
	h := NewHasher(cheapParams, 1, Argon2Impl(ImplUpstream))
	if h.Impl() != ImplUpstream {
		t.Errorf("Impl() = %q, want %q", h.Impl(), ImplUpstream)
	}
	if _, ok := h.kdf.(upstreamKDF); !ok {
		t.Errorf("upstream hasher computes with %T, want upstreamKDF", h.kdf)
	}
}
