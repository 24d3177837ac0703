package account

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Guests (ConnectyCube's guest sessions, Kinvey's implicit users): an
// account made on the spot, with a generated username and no password,
// signed in at once in a GUEST session. A guest reads and edits its own
// profile and metadata like anyone, holds the guest role (by default the
// default role), deletes itself without a password (it has none), and
// becomes a full account with upgradeGuest. Guests idle longer than the
// guest TTL are deleted by the session janitor (PurgeGuests).

// GuestConfig is the guest rules a deployment chooses.
type GuestConfig struct {
	// Role is the role guests receive; "": the default role
	// (USERGRAPH_GUEST_ROLE).
	Role string
	// TTL is how long a guest may stay idle (no request; never: since its
	// creation) before it is deleted (USERGRAPH_GUEST_TTL; 0: DefaultGuestTTL).
	TTL time.Duration
}

// DefaultGuestTTL is USERGRAPH_GUEST_TTL's default (API.md).
const DefaultGuestTTL = 720 * time.Hour

// DefaultGuestPerIP is how many guests one client IP may create
// (USERGRAPH_GUEST_LIMIT_IP): each is a row in the store.
func DefaultGuestPerIP() ratelimit.Rule { return ratelimit.Rule{Burst: 20, Per: time.Hour} }

// guestPurgeBatch is how many guests one store call deletes; the janitor
// repeats it until fewer are left, so no write holds the store for long.
const guestPurgeBatch = 500

// GuestInput is what loginAsGuest gives.
type GuestInput struct {
	FullName    string
	Metadata    json.RawMessage
	DeviceToken string // the client's device (package devices)
}

var errNotGuest = apperr.New(apperr.Forbidden, "only a guest account can be upgraded")

// LoginAsGuest creates a guest and signs it in (a GUEST session). Under
// device control nothing is created (DEVICE_DENIED: nobody can have
// permitted the device of an account that does not exist yet). Limited
// per client IP.
func (s *Service) LoginAsGuest(ctx context.Context, in GuestInput) (*session.Tokens, error) {
	if ok, retry := s.limits.GuestPerIP.Allow(session.ClientFrom(ctx).IP); !ok {
		return nil, apperr.LimitedBy(apperr.RuleGuestIP, retry)
	}
	if err := s.deviceTokens.AdmitNewAccount(in.DeviceToken); err != nil {
		return nil, err
	}
	u, err := s.newGuest(in)
	if err != nil {
		return nil, err
	}
	if err := s.createGuest(ctx, u); err != nil {
		return nil, err
	}
	device, err := s.deviceTokens.Record(ctx, u.ID, in.DeviceToken)
	if err != nil {
		return nil, err
	}
	return s.sessions.OpenOn(ctx, u, store.SessionGuest, device)
}

// newGuest checks the input and returns the guest to store: ACTIVE
// whatever the sign-up status, since a guest is signed in at its creation
// (a PENDING guest could never be used).
func (s *Service) newGuest(in GuestInput) (*store.User, error) {
	u := &store.User{IsGuest: true, Status: store.StatusActive, Roles: []string{}}
	var err error
	if u.FullName, err = checkText("fullName", in.FullName); err != nil {
		return nil, err
	}
	if u.Metadata, err = checkObject("metadata", in.Metadata, s.cfg.MetadataMaxBytes); err != nil {
		return nil, err
	}
	if r := s.guestRole(); r != "" {
		u.Roles = []string{r}
	}
	now := store.Now()
	u.ID, u.CreatedAt, u.UpdatedAt, u.LastLoginAt = store.NewID(), now, now, now
	return u, nil
}

// createGuest stores u under a generated username, drawing another in the
// unlikely event that one is taken.
func (s *Service) createGuest(ctx context.Context, u *store.User) error {
	for attempt := 0; ; attempt++ {
		name, key, err := s.checkUsername(guestUsername())
		if err != nil {
			return err // the generated names pass the rules: a fault
		}
		setUsername(u, name, key)
		err = s.store.CreateUser(audit.With(ctx,
			audit.By(audit.New(ctx, audit.UserSignedUp, u.ID, audit.Data{"status": u.Status, "guest": true}), u.ID),
			audit.By(audit.New(ctx, audit.LoginSucceeded, u.ID, audit.Data{"method": "guest"}), u.ID)), u)
		if store.ConflictField(err) != store.FieldUsername || attempt == 2 {
			return userErr(err)
		}
	}
}

// guestUsername is "guest_" and 80 random bits in lower-case base32: a
// valid username (README, Usernames), never guessed or repeated.
func guestUsername() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "guest_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// guestRole is the role guests hold: the configured one, else the
// default role ("" for none).
func (s *Service) guestRole() string {
	if s.cfg.Guests.Role != "" {
		return s.cfg.Guests.Role
	}
	return s.access.DefaultRole()
}

// GuestUpgrade is what upgradeGuest gives: a username and/or an email, a
// password, and optionally a phone and names ("" keeps what the guest has).
type GuestUpgrade struct {
	Username, Email, Phone, Password string
	FirstName, LastName, FullName    string
}

// UpgradeGuest makes the caller, a guest, a full account: the same id,
// metadata, devices, sessions and creation time, now with a username
// and/or an email and a password (the policy applies), and isGuest false.
// A username not given drops the generated one: the account is then known
// by its email. Holding the guest role, it gets the default role instead,
// when the two differ. Everything is written in one update, so a taken
// username or email (ALREADY_EXISTS) changes nothing. The caller's session
// goes on as a USER session (session.Manager.Promote). Counted against the
// sign-up limit, since ALREADY_EXISTS tells whether a name is taken.
func (s *Service) UpgradeGuest(ctx context.Context, p *session.Principal, in GuestUpgrade) (*store.User, error) {
	if p == nil || p.User == nil || !p.User.IsGuest {
		return nil, errNotGuest
	}
	if err := s.limitSignup(ctx); err != nil {
		return nil, err
	}
	id, err := s.identify(NewUser{Username: in.Username, Email: in.Email, Phone: in.Phone})
	if err != nil {
		return nil, err
	}
	names := Profile{FirstName: in.FirstName, LastName: in.LastName, FullName: in.FullName}
	if err := s.applyProfile(id, names); err != nil {
		return nil, err
	}
	if err := s.checkPassword("password", in.Password, id.Username, id.Email); err != nil {
		return nil, err
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	ev := audit.New(ctx, audit.GuestUpgraded, p.UserID, nil)
	u, err := s.update(audit.With(ctx, ev), p.UserID, func(u *store.User) error {
		if !u.IsGuest {
			return errNotGuest // upgraded meanwhile
		}
		s.becomeFull(u, id, hash)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.sessions.Promote(ctx, u.ID); err != nil {
		return nil, err
	}
	// An email given at the upgrade is unconfirmed (becomeFull), as at a
	// sign-up: with verification on it gets its link. The guest's session
	// goes on; under enforce the next sign-in waits for the confirmation.
	if s.cfg.Verification.On() {
		s.askToVerify(ctx, u)
	}
	return u, nil
}

// becomeFull writes an upgrade on the stored guest u: the identifiers and
// names of id (names only where given), the password hash, the roles.
func (s *Service) becomeFull(u *store.User, id *store.User, hash string) {
	setUsername(u, id.Username, id.UsernameKey)
	u.Email, u.Phone, u.EmailVerified = id.Email, id.Phone, false
	s.setKeys(u)
	for _, f := range []struct{ src, dst *string }{
		{&id.FirstName, &u.FirstName}, {&id.LastName, &u.LastName}, {&id.FullName, &u.FullName},
	} {
		if *f.src != "" {
			*f.dst = *f.src
		}
	}
	u.PasswordHash, u.IsGuest = hash, false
	guest, def := s.guestRole(), s.access.DefaultRole()
	if guest != def && slices.Contains(u.Roles, guest) {
		u.Roles = slices.DeleteFunc(u.Roles, func(r string) bool { return r == guest })
		if def != "" && !slices.Contains(u.Roles, def) {
			u.Roles = append(u.Roles, def)
		}
	}
}

// confirmDeletion is deleteAccount's check: the caller's password, or
// nothing for a guest, which has none (whatever it sends is accepted).
func (s *Service) confirmDeletion(ctx context.Context, p *session.Principal, plain string) (*store.User, error) {
	if err := checkBytes("password", plain, maxPassword); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, userErr(err)
	}
	if u.IsGuest {
		return u, nil
	}
	return s.confirmPassword(ctx, p, plain)
}

// PurgeGuests deletes the guests idle longer than the guest TTL, a batch
// at a time, with their sessions and devices: the session janitor runs it
// on its schedule (session.Manager.AlsoPurge). Each deletion stores a
// user.deleted event by the server itself (no actor) with it. Failures
// are logged; the next run picks up what is left.
func (s *Service) PurgeGuests(ctx context.Context) {
	idleBefore := store.Now().Add(-s.cfg.Guests.TTL)
	ctx = store.WithEventFor(ctx, func(id string) *store.Event {
		return audit.New(ctx, audit.UserDeleted, id, audit.Data{"hard": true, "by": "janitor", "guest": true})
	})
	total := 0
	for {
		n, err := s.store.PurgeGuests(ctx, idleBefore, guestPurgeBatch)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("deleting idle guests", "err", err, "deleted", total)
			}
			return
		}
		if n < guestPurgeBatch {
			break
		}
	}
	if total > 0 {
		s.log.Info("deleted idle guests", "guests", total, "idle_since_before", idleBefore)
	}
}
