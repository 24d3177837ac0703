package devices

import (
	"unicode"
	"unicode/utf8"

	"github.com/usergraph/usergraph/apperr"
)

// MaxTokenChars is the longest device token, in characters.
const MaxTokenChars = 256

var (
	errNoToken  = apperr.New(apperr.InvalidDevice, "a device token is required: device control is on").OnField("deviceToken")
	errBadToken = apperr.New(apperr.InvalidDevice, "a device token is 1 to %d printable characters", MaxTokenChars).OnField("deviceToken")
)

// CheckToken answers INVALID_DEVICE for a device token that is not 1 to
// MaxTokenChars printable characters, and for none at all while device
// control is on. With control off a client may send none. Every way in
// checks its token with this before it creates or verifies anything.
func (s *Service) CheckToken(token string) error {
	switch {
	case token == "" && s.cfg.Control:
		return errNoToken
	case token != "" && !wellFormed(token):
		return errBadToken
	}
	return nil
}

// wellFormed reports whether token is 1 to MaxTokenChars printable
// characters (unicode.IsPrint: letters, marks, numbers, punctuation,
// symbols and the ASCII space) of valid UTF-8.
func wellFormed(token string) bool {
	if len(token) > utf8.UTFMax*MaxTokenChars || !utf8.ValidString(token) {
		return false
	}
	n := 0
	for _, r := range token {
		if !unicode.IsPrint(r) {
			return false
		}
		n++
	}
	return n >= 1 && n <= MaxTokenChars
}
