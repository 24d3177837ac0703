package transfer

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/store"
)

// firebaseReader reads the users of a Firebase Auth export
// (`firebase auth:export users.json --format=json`): {"users": [ … ]},
// streamed one user at a time.
type firebaseReader struct {
	dec    *json.Decoder
	in     *boundedReader          // under dec: no user may take more than maxLine bytes
	params password.FirebaseParams // the project's hash parameters; no signer key: none given
	n      int
	inside bool // the users array is open
}

// NewFirebase reads a Firebase Auth JSON export. p are the project's
// password hash parameters (the console's Password hash parameters); users
// with a password are refused without them.
func NewFirebase(r io.Reader, p password.FirebaseParams) Reader {
	in := &boundedReader{r: r, max: maxLine}
	return &firebaseReader{dec: json.NewDecoder(in), in: in, params: p}
}

// boundedReader fails a read once more than max bytes were read since the
// last reset: one user of a Firebase export is decoded whole, so a
// malformed file with a giant entry stops with an error instead of
// filling memory. The decoder reads ahead, so the bound holds to within
// its buffer.
type boundedReader struct {
	r   io.Reader
	n   int
	max int
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n > b.max {
		return 0, fmt.Errorf("an entry longer than %d bytes", b.max)
	}
	n, err := b.r.Read(p)
	b.n += n
	return n, err
}

func (f *firebaseReader) Next() (Row, error) {
	if !f.inside {
		if err := f.openUsers(); err != nil {
			return Row{}, err
		}
		f.inside = true
	}
	if !f.dec.More() {
		return Row{}, io.EOF // the rest of the file is not read: it holds no users
	}
	var raw json.RawMessage
	f.in.n = 0
	if err := f.dec.Decode(&raw); err != nil {
		return Row{}, fmt.Errorf("firebase export, user %d: %w", f.n+1, err)
	}
	f.n++
	row := Row{N: f.n, Raw: string(raw)}
	var u firebaseUser
	if err := json.Unmarshal(raw, &u); err != nil {
		row.Err = fmt.Errorf("not a Firebase user: %v", err)
		return row, nil
	}
	row.Rec, row.Err = u.record(f.params)
	return row, nil
}

// openUsers reads up to the users array's opening bracket, skipping any
// other member of the top-level object.
func (f *firebaseReader) openUsers() error {
	if err := f.expect(json.Delim('{')); err != nil {
		return err
	}
	for f.dec.More() {
		key, err := f.dec.Token()
		if err != nil {
			return fmt.Errorf("firebase export: %w", err)
		}
		if key == "users" {
			return f.expect(json.Delim('['))
		}
		var skip json.RawMessage
		if err := f.dec.Decode(&skip); err != nil {
			return fmt.Errorf("firebase export: %w", err)
		}
	}
	return errors.New(`firebase export: no "users" array`)
}

func (f *firebaseReader) expect(want json.Delim) error {
	tok, err := f.dec.Token()
	if err != nil {
		return fmt.Errorf("firebase export: %w", err)
	}
	if tok != want {
		return fmt.Errorf(`firebase export: want %v, got %v (the file is not {"users": [...]})`, want, tok)
	}
	return nil
}

// firebaseUser is one user of the export, the fields usergraph keeps.
type firebaseUser struct {
	LocalID          string `json:"localId"`
	Email            string `json:"email"`
	EmailVerified    bool   `json:"emailVerified"`
	PasswordHash     string `json:"passwordHash"`
	Salt             string `json:"salt"`
	DisplayName      string `json:"displayName"`
	PhotoURL         string `json:"photoUrl"`
	PhoneNumber      string `json:"phoneNumber"`
	Disabled         bool   `json:"disabled"`
	CreatedAt        millis `json:"createdAt"`
	LastSignedInAt   millis `json:"lastSignedInAt"`
	CustomAttributes string `json:"customAttributes"` // a JSON object, as text
	ProviderUserInfo []struct {
		ProviderID string `json:"providerId"`
		RawID      string `json:"rawId"`
		Email      string `json:"email"`
	} `json:"providerUserInfo"`
}

// record maps a Firebase user to usergraph's: displayName is the full
// name, custom claims the appMetadata, a disabled user SUSPENDED, and the
// providers other than password and phone its identities.
func (u *firebaseUser) record(p password.FirebaseParams) (*Record, error) {
	r := &Record{ID: u.LocalID, Email: u.Email, EmailVerified: u.EmailVerified, Phone: u.PhoneNumber,
		FullName: u.DisplayName, AvatarURL: u.PhotoURL,
		CreatedAt: time.Time(u.CreatedAt), LastLoginAt: time.Time(u.LastSignedInAt)}
	if u.Disabled {
		r.Status = string(store.StatusSuspended)
	}
	if u.CustomAttributes != "" {
		r.AppMetadata = json.RawMessage(u.CustomAttributes)
	}
	for _, info := range u.ProviderUserInfo {
		if info.ProviderID == "password" || info.ProviderID == "phone" {
			continue
		}
		r.Identities = append(r.Identities, Identity{Provider: strings.TrimSuffix(info.ProviderID, ".com"),
			Subject: info.RawID, Email: info.Email})
	}
	if u.PasswordHash == "" {
		return r, nil
	}
	if len(p.SignerKey) == 0 {
		return r, errors.New("the user has a password: give the project's hash parameters (-firebase-signer-key and the others)")
	}
	hash, err1 := decodeFirebaseB64(u.PasswordHash)
	salt, err2 := decodeFirebaseB64(u.Salt)
	if err := errors.Join(err1, err2); err != nil {
		return r, fmt.Errorf("passwordHash or salt: %v", err)
	}
	r.PasswordHash = password.EncodeFirebase(p, salt, hash)
	return r, nil
}

// decodeFirebaseB64 reads the export's base64: standard, or the URL-safe
// alphabet some tools rewrite it in.
func decodeFirebaseB64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.URLEncoding.DecodeString(s)
}

// millis is a time the export writes as milliseconds since the epoch, in
// a string or a number.
type millis time.Time

func (m *millis) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("time %s: want milliseconds since 1970", b)
	}
	*m = millis(time.UnixMilli(ms).UTC())
	return nil
}
