package lockout

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/store"
)

// CookieName is the device cookie's name (API.md).
const CookieName = "usergraph_device"

// Device cookies, after OWASP's scheme: each successful sign-in gives the
// client an entry "USERID.NONCE.EXPIRES.MAC", where MAC is an HMAC-SHA256
// under a key only the servers know. A sign-in that carries a valid entry
// for the account it signs in to comes from a client that signed in there
// before: its failures count against that entry's own budget (in memory,
// keyed by the nonce), not against the account, and the account's lockout
// does not apply to it. An entry that spends its budget counts as a stranger
// until the budget refills.
//
// One client, several accounts: the cookie holds one entry per account,
// newest first, up to maxEntries (joined by "~"); a sign-in replaces the
// entry of its account and keeps the others' valid ones, so a shared
// browser stays known to each account signed in from it. The oldest entry
// falls out past maxEntries.
const (
	deviceTTL  = 365 * 24 * time.Hour // long-lived: a client stays known for a year after its latest sign-in
	maxEntries = 4
	maxValue   = 1024 // longer values are not read at all
	keySetting = "device_cookie_key"
)

// Devices issues and checks device cookies.
type Devices struct {
	key    []byte
	budget *ratelimit.Limiter
}

// LoadDevices returns the device-cookie rules with budget as each cookie's
// allowance of failed sign-ins. The HMAC key is generated at the first start
// and kept in the store's settings, so every instance on the database
// accepts the cookies of every other.
func LoadDevices(ctx context.Context, settings store.SettingStore, budget ratelimit.Rule) (*Devices, error) {
	key, err := loadKey(ctx, settings)
	if err != nil {
		return nil, fmt.Errorf("device cookie key: %w", err)
	}
	return &Devices{key: key, budget: ratelimit.New(budget)}, nil
}

func loadKey(ctx context.Context, settings store.SettingStore) ([]byte, error) {
	v, err := settings.GetSetting(ctx, keySetting)
	if errors.Is(err, store.ErrNotFound) {
		b := make([]byte, 32)
		rand.Read(b)
		err = settings.CreateSetting(ctx, keySetting, base64.RawStdEncoding.EncodeToString(b))
		if err == nil || errors.Is(err, store.ErrAlreadyExists) { // another instance may have won
			v, err = settings.GetSetting(ctx, keySetting)
		}
	}
	if err != nil {
		return nil, err
	}
	key, err := base64.RawStdEncoding.DecodeString(v)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("the stored key is malformed")
	}
	return key, nil
}

// Trusted returns the budget key of value's entry for userID when that
// entry is genuine, unexpired and has budget left; ok is false otherwise
// (no cookie, a forged or expired one, another account's, or a spent one).
func (d *Devices) Trusted(value, userID string, now time.Time) (budgetKey string, ok bool) {
	if d == nil {
		return "", false
	}
	e, found := d.entryFor(value, userID, now)
	if !found || d.budget.Exhausted(e.budgetKey()) {
		return "", false
	}
	return e.budgetKey(), true
}

// Fail counts a failed sign-in against a trusted cookie's budget.
func (d *Devices) Fail(budgetKey string) {
	if d != nil {
		d.budget.Allow(budgetKey)
	}
}

// Issue returns the cookie for a client that just signed in to userID,
// carrying prev's other valid entries, and when the cookie expires.
func (d *Devices) Issue(userID, prev string, now time.Time) (string, time.Time) {
	expires := now.Add(deviceTTL)
	nonce := make([]byte, 16)
	rand.Read(nonce)
	entries := []string{d.sign(entry{userID: userID, nonce: base64.RawURLEncoding.EncodeToString(nonce), expires: expires.Unix()})}
	for _, e := range d.entries(prev, now) {
		if e.userID != userID && len(entries) < maxEntries {
			entries = append(entries, d.sign(e))
		}
	}
	return strings.Join(entries, "~"), expires
}

// entry is one account's part of a device cookie.
type entry struct {
	userID, nonce string
	expires       int64 // Unix seconds
}

func (e entry) payload() string {
	return e.userID + "." + e.nonce + "." + strconv.FormatInt(e.expires, 10)
}

func (e entry) budgetKey() string { return e.userID + "." + e.nonce }

func (d *Devices) mac(payload string) []byte {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte("usergraph device cookie v1\x00" + payload))
	return m.Sum(nil)
}

func (d *Devices) sign(e entry) string {
	p := e.payload()
	return p + "." + base64.RawURLEncoding.EncodeToString(d.mac(p))
}

// entries returns value's genuine, unexpired entries; anything else in it
// is ignored.
func (d *Devices) entries(value string, now time.Time) []entry {
	if value == "" || len(value) > maxValue {
		return nil
	}
	parts := strings.Split(value, "~")
	if len(parts) > maxEntries {
		parts = parts[:maxEntries]
	}
	var out []entry
	for _, s := range parts {
		if e, ok := d.verify(s, now); ok {
			out = append(out, e)
		}
	}
	return out
}

func (d *Devices) entryFor(value, userID string, now time.Time) (entry, bool) {
	for _, e := range d.entries(value, now) {
		if e.userID == userID {
			return e, true
		}
	}
	return entry{}, false
}

func (d *Devices) verify(s string, now time.Time) (entry, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return entry{}, false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || exp <= now.Unix() {
		return entry{}, false
	}
	e := entry{userID: parts[0], nonce: parts[1], expires: exp}
	sum, err := base64.RawURLEncoding.Strict().DecodeString(parts[3]) // strict: one MAC, one spelling
	if err != nil || !hmac.Equal(sum, d.mac(e.payload())) {
		return entry{}, false
	}
	return e, true
}
