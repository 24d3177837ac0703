package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/usergraph/usergraph/password/internal/argon2"
)

// ErrInvalidHash is returned (wrapped, with detail) for a stored hash that
// is malformed, of an unknown scheme or outside the parameter bounds. It
// means corrupt or hostile data, never a wrong password.
var ErrInvalidHash = errors.New("password: invalid hash")

const argon2idPrefix = "$argon2id$"

// b64 is the PHC string encoding: standard alphabet, no padding. Strict
// decoding rejects non-zero trailing bits, so each hash has one spelling.
var b64 = base64.RawStdEncoding.Strict()

// encodePHC formats an argon2id hash as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s",
		argon2.Version, paramString(p), b64.EncodeToString(salt), b64.EncodeToString(key))
}

func paramString(p Params) string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Iterations, p.Parallelism)
}

// decodePHC parses an argon2id PHC string and checks its parameters against
// the absolute bounds and lim before anything is computed with them. The
// returned Params carry the salt and key lengths found in the string.
func decodePHC(encoded string, lim storedLimits) (p Params, salt, key []byte, err error) {
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" || fields[1] != "argon2id" {
		return p, nil, nil, invalidHash("want $argon2id$v=..$m=..,t=..,p=..$salt$hash")
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, invalidHash("unsupported version %q", fields[2])
	}
	if p, err = parseParams(fields[3]); err != nil {
		return p, nil, nil, err
	}
	if err := lim.check(p); err != nil {
		return p, nil, nil, invalidHash("%v", err)
	}
	if salt, err = decodeB64(fields[4]); err != nil {
		return p, nil, nil, invalidHash("salt is not base64")
	}
	if key, err = decodeB64(fields[5]); err != nil {
		return p, nil, nil, invalidHash("hash is not base64")
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key))
	if err := p.Validate(); err != nil {
		return p, nil, nil, invalidHash("%v", err)
	}
	return p, salt, key, nil
}

// parseParams reads "m=..,t=..,p=..". The result must format back to the
// same text, which rejects signs, spaces, leading zeros and reordering.
func parseParams(s string) (Params, error) {
	var p Params
	var m, t, par uint64
	_, err := fmt.Sscanf(s, "m=%d,t=%d,p=%d", &m, &t, &par)
	if err != nil || m > MaxMemory || t > MaxIterations || par > 255 {
		return p, invalidHash("bad or out-of-range parameters %q", s)
	}
	p = Params{Memory: uint32(m), Iterations: uint32(t), Parallelism: uint8(par)}
	if paramString(p) != s {
		return p, invalidHash("non-canonical parameters %q", s)
	}
	return p, nil
}

// decodeB64 decodes s and insists that it is the one spelling of its
// bytes: the decoder skips line breaks, which would otherwise let one hash
// be stored in many forms.
func decodeB64(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err == nil && b64.EncodeToString(b) != s {
		err = errors.New("non-canonical base64")
	}
	return b, err
}

func invalidHash(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidHash, fmt.Sprintf(format, args...))
}
