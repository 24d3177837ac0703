// Package session opens, refreshes, checks and ends sessions. A request is
// authenticated only when its access token verifies AND its session is still
// live, so logout, password changes and suspension end access at once.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/token"
)

// Config sets session lifetimes.
type Config struct {
	IdleTimeout time.Duration // a session ends this long after its last request
	Lifetime    time.Duration // and at the latest this long after sign-in
	// CacheTTL is how long a checked session is trusted without reading the
	// store again. Changes made through this process invalidate at once;
	// changes made by another instance are seen within CacheTTL. Zero:
	// no cache, every request reads the store (docs/SCALING.md has
	// the trade).
	CacheTTL time.Duration
	// FlushEvery is how often observed activity is written to the store.
	FlushEvery time.Duration
	// PurgeEvery is how often sessions expired for longer than
	// store.ExpiredRetention are deleted with their refresh tokens.
	PurgeEvery time.Duration
	// ReuseWindow is how long after a rotation a repeat of the rotated
	// refresh token gets a sibling successor instead of ending the session
	// (refresh.go). Zero: never.
	ReuseWindow time.Duration
}

// Manager is the session service.
type Manager struct {
	store    store.SessionManagerStore
	tokens   *token.Service
	cfg      Config
	log      *slog.Logger
	cache    *cache
	activity *activity
	gate     DeviceGate              // nil: sessions are not checked against their devices
	janitor  []func(context.Context) // run beside each purge (AlsoPurge)
	now      func() time.Time
}

// Tokens is what a client receives when a session opens or refreshes.
type Tokens struct {
	Access          string
	AccessExpiresAt time.Time
	Refresh         string
	Session         *store.Session
	User            *store.User        // nil for an APP session
	Application     *store.Application // an APP session's (OpenApp)

	// DeviceCookie and its expiry are set by a sign-in (not a refresh): the
	// usergraph_device cookie the client gets (see package lockout).
	DeviceCookie        string
	DeviceCookieExpires time.Time
}

// New returns a Manager. Call Run to flush activity in the background.
func New(st store.SessionManagerStore, tokens *token.Service, cfg Config, log *slog.Logger) *Manager {
	return &Manager{
		store:    st,
		tokens:   tokens,
		cfg:      cfg,
		log:      log,
		cache:    newCache(100_000),
		activity: newActivity(),
		now:      store.Now,
	}
}

// Open starts a session for an active user and returns its first tokens.
func (m *Manager) Open(ctx context.Context, u *store.User, kind store.SessionKind) (*Tokens, error) {
	return m.OpenOn(ctx, u, kind, nil)
}

// OpenOn is Open on a device (nil: none), which the session remembers
// (Session.device; the device gate, devices.go). The sign-in counts as
// the device's use: its LastUsedAt moves with the next activity flush.
func (m *Manager) OpenOn(ctx context.Context, u *store.User, kind store.SessionKind, device *store.Device) (*Tokens, error) {
	now := m.now()
	c := ClientFrom(ctx)
	s := &store.Session{
		ID:         store.NewID(),
		UserID:     u.ID,
		Kind:       kind,
		UserAgent:  truncate(c.UserAgent, 512),
		IP:         c.IP,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(m.cfg.Lifetime),
	}
	refresh, hash := newRefreshToken()
	first := &store.RefreshToken{
		Hash:      hash,
		SessionID: s.ID,
		UserID:    u.ID,
		CreatedAt: now,
		ExpiresAt: s.ExpiresAt,
	}
	if device != nil {
		s.DeviceID = device.ID
	}
	if err := m.store.CreateSession(ctx, s, first); err != nil {
		return nil, err
	}
	if device != nil {
		m.activity.record(s, now)
	}
	return m.signUser(u, s, refresh)
}

// signUser signs an access token of user u's session s (sign).
func (m *Manager) signUser(u *store.User, s *store.Session, refresh string) (*Tokens, error) {
	t, err := m.sign(u.ID, u.Roles, s, refresh)
	if err != nil {
		return nil, err
	}
	t.User = u
	return t, nil
}

// sign signs an access token for s, naming subject (the user, or the
// application of an APP session) and its roles, that expires no later
// than the session, and returns it with the refresh token the client gets.
// The token says the session's kind as stored now: after a guest's
// upgrade, USER.
func (m *Manager) sign(subject string, roles []string, s *store.Session, refresh string) (*Tokens, error) {
	if !m.now().Add(time.Second).Before(s.ExpiresAt) { // JWT expiry has whole seconds
		return nil, apperr.New(apperr.Unauthenticated, "the session has expired").WithStatus(apperr.StatusExpiredToken)
	}
	access, exp, err := m.tokens.Issue(token.Claims{
		UserID:    subject,
		SessionID: s.ID,
		Kind:      string(s.Kind),
		Roles:     roles,
		ID:        store.NewID(),
		ExpiresAt: s.ExpiresAt,
	})
	if err != nil {
		return nil, err
	}
	return &Tokens{Access: access, AccessExpiresAt: exp, Refresh: refresh, Session: s}, nil
}

// refreshPrefix marks usergraph refresh tokens so secret scanners and people
// can recognize one.
const refreshPrefix = "ugr_"

func newRefreshToken() (plain, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	plain = refreshPrefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, hashToken(plain)
}

// hashToken is how refresh tokens are kept: a SHA-256 of 256 random bits
// cannot be reversed or guessed, so no slow hash is needed.
func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// Live reports whether s may still be used at now, counting activity not
// yet written to the store.
func (m *Manager) Live(s *store.Session, now time.Time) bool {
	return m.liveErr(s, now) == nil
}

func (m *Manager) liveErr(s *store.Session, now time.Time) error {
	switch {
	case s.Revoked():
		return apperr.New(apperr.Unauthenticated, "the session has ended").WithStatus(apperr.StatusInvalidToken)
	case !now.Before(s.ExpiresAt):
		return apperr.New(apperr.Unauthenticated, "the session has expired").WithStatus(apperr.StatusExpiredToken)
	case !now.Before(m.lastSeen(s).Add(m.cfg.IdleTimeout)):
		return apperr.New(apperr.Unauthenticated, "the session expired after inactivity").WithStatus(apperr.StatusExpiredToken)
	}
	return nil
}

// EndsAt is when s ends unless it is used again: at its absolute expiry,
// or IdleTimeout after its last request, whichever comes first. Requests
// this process has seen but not yet written count, as they do in Live.
func (m *Manager) EndsAt(s *store.Session) time.Time {
	return minTime(s.ExpiresAt, m.lastSeen(s).Add(m.cfg.IdleTimeout))
}

func (m *Manager) lastSeen(s *store.Session) time.Time {
	if at, ok := m.activity.seen(s.ID); ok && at.After(s.LastSeenAt) {
		return at
	}
	return s.LastSeenAt
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// notFoundAs maps store.ErrNotFound to replacement, keeping other errors.
func notFoundAs(err, replacement error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) {
		return replacement
	}
	return err
}
