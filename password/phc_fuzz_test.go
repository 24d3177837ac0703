package password

import (
	"errors"
	"testing"
)

// FuzzDecodePHC feeds stored-hash strings to the decoder, as a tampered or
// corrupt record would. Nothing may panic; an error is always
// ErrInvalidHash; whatever is accepted is the one canonical spelling of
// its parameters, salt and key, and within the bounds of the configured
// parameters, so no accepted string can ask for more work than they allow.
// The seeds (testdata/fuzz/FuzzDecodePHC) are attack inputs: overflowing,
// signed, padded and non-canonical numbers and base64, huge and zero
// parameters, wrong field counts.
func FuzzDecodePHC(f *testing.F) {
	configured := DefaultParams()
	lim := limitsFor(configured)
	f.Add(encodePHC(configured, make([]byte, 16), make([]byte, 32)))
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := decodePHC(encoded, lim)
		if err != nil {
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("decodePHC(%q) error %v does not match ErrInvalidHash", encoded, err)
			}
			return
		}
		if got := encodePHC(p, salt, key); got != encoded {
			t.Fatalf("decodePHC(%q) accepted it, but it re-encodes as %q", encoded, got)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decodePHC(%q) accepted params outside the absolute bounds: %v", encoded, err)
		}
		if err := lim.check(p); err != nil {
			t.Fatalf("decodePHC(%q) accepted params beyond the configured ones' limits: %v", encoded, err)
		}
		if int(p.SaltLength) != len(salt) || int(p.KeyLength) != len(key) {
			t.Fatalf("decodePHC(%q): lengths %d/%d, salt and key %d/%d bytes", encoded, p.SaltLength, p.KeyLength, len(salt), len(key))
		}
	})
}
