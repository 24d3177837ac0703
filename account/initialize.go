package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Settings that record the bootstrap state.
const (
	settingBootstrapHash = "bootstrap_token_sha256"
	settingInitialized   = "initialized_at"
)

// PrepareBootstrap runs at start. Until the service is initialized it makes
// sure a bootstrap token exists: the configured one, or one generated on the
// very first start, which it returns (once) so the caller can print it.
func (s *Service) PrepareBootstrap(ctx context.Context) (generated string, initialized bool, err error) {
	if _, err := s.store.GetSetting(ctx, settingInitialized); err == nil {
		return "", true, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", false, err
	}
	if s.cfg.BootstrapToken != "" {
		return "", false, nil
	}
	b := make([]byte, 24)
	rand.Read(b)
	token := "ugb_" + base64.RawURLEncoding.EncodeToString(b)
	err = s.store.CreateSetting(ctx, settingBootstrapHash, sha256Hex(token))
	if errors.Is(err, store.ErrAlreadyExists) {
		return "", false, nil // printed at an earlier start
	}
	if err != nil {
		return "", false, err
	}
	return token, false, nil
}

// Admin is the first administrator's account. Without a password one is
// generated (generatePassword); under device control a device token is
// required, and that device is registered permitted (devices.Enroll), so
// the first administrator can never lock themselves out.
type Admin struct {
	Username, Email, Password string
	DeviceToken               string
}

// firstAdmin is what initialize made.
type firstAdmin struct {
	user      *store.User
	device    *store.Device // nil: no device token was given
	generated string        // the generated password; "" if one was given
}

var errNotBootstrappable = apperr.New(apperr.Forbidden, "usergraph is already initialized")

// Initialize creates the built-in roles and the first administrator, once,
// for the holder of the bootstrap token, and signs them in on their
// device. It returns the generated password, if it made one: the caller
// shows it to the administrator, once, and writes it nowhere else.
func (s *Service) Initialize(ctx context.Context, bootstrapToken string, a Admin) (tokens *session.Tokens, generated string, err error) {
	if err := s.checkBootstrapToken(ctx, bootstrapToken); err != nil {
		return nil, "", err
	}
	first, err := s.initialize(ctx, a, true)
	if err != nil {
		return nil, "", err
	}
	tokens, err = s.sessions.OpenOn(ctx, first.user, store.SessionUser, first.device)
	return tokens, first.generated, err
}

// InitializeTrusted is Initialize for callers with direct access to the
// database (the command line), which need no token. It signs nobody in.
func (s *Service) InitializeTrusted(ctx context.Context, a Admin) (u *store.User, generated string, err error) {
	first, err := s.initialize(ctx, a, false)
	if err != nil {
		return nil, "", err
	}
	return first.user, first.generated, nil
}

// generatePassword makes the first administrator's password when none is
// given, as umpack does: 192 random bits, base64url (32 characters).
func generatePassword() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// initialize creates the built-in roles and the first administrator. With
// signIn, the caller opens a session at once, so the account is stored with
// that first sign-in as LastLoginAt (as a sign-up that signs in is).
func (s *Service) initialize(ctx context.Context, a Admin, signIn bool) (*firstAdmin, error) {
	if err := s.deviceTokens.CheckToken(a.DeviceToken); err != nil {
		return nil, err
	}
	first := &firstAdmin{}
	if a.Password == "" {
		first.generated = generatePassword()
		a.Password = first.generated
	}
	if err := s.access.EnsureBuiltIns(ctx); err != nil {
		return nil, err
	}
	admins, err := s.store.CountUsers(ctx, &store.UserFilter{Roles: &store.SetMatch{Any: []string{access.AdminRole}}})
	if err != nil {
		return nil, err
	}
	if admins > 0 {
		return nil, errNotBootstrappable
	}
	roles := []string{access.AdminRole}
	if def := s.access.DefaultRole(); def != "" && def != access.AdminRole {
		roles = append(roles, def)
	}
	u, err := s.build(ctx, NewUser{Username: a.Username, Email: a.Email, Password: a.Password,
		Roles: roles, Status: store.StatusActive}, true)
	if err != nil {
		return nil, err
	}
	if signIn {
		u.LastLoginAt = u.CreatedAt
	}
	// The setting is the lock: of two concurrent initializations one wins.
	if err := s.store.CreateSetting(ctx, settingInitialized, u.CreatedAt.Format("2006-01-02T15:04:05.000Z")); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, errNotBootstrappable
		}
		return nil, err
	}
	ev := audit.By(audit.New(ctx, audit.UserSignedUp, u.ID, audit.Data{"status": u.Status, "by": "initialize"}), u.ID)
	if err := s.store.CreateUser(audit.With(ctx, ev), u); err != nil {
		return nil, s.undoInitialize(ctx, "", userErr(err))
	}
	if first.device, err = s.deviceTokens.Enroll(ctx, u.ID, a.DeviceToken); err != nil {
		return nil, s.undoInitialize(ctx, u.ID, err) // without the device, they might be locked out
	}
	// A bootstrap hash left behind does no harm: initialized_at refuses the token.
	s.store.DeleteSetting(ctx, settingBootstrapHash)
	s.log.InfoContext(ctx, "initialized: first administrator created", "user", u.ID)
	first.user = u
	return first, nil
}

// undoInitialize takes back a failed initialization (the administrator
// userID, if created, and the setting), to let a corrected retry through,
// and returns err. If that fails too, the service is stuck "initialized"
// without an administrator: a fault for the operator, whatever the client
// got wrong.
func (s *Service) undoInitialize(ctx context.Context, userID string, err error) error {
	ctx = context.WithoutCancel(ctx)
	var derr error
	if userID != "" {
		derr = s.store.DeleteUser(ctx, userID)
	}
	if derr == nil {
		derr = s.store.DeleteSetting(ctx, settingInitialized)
	}
	if derr != nil {
		return fmt.Errorf("initialize: creating the administrator failed (%w), and undoing %s failed: %w", err, settingInitialized, derr)
	}
	return err
}

// checkBootstrapToken compares in constant time with the configured token
// or the hash of the generated one.
func (s *Service) checkBootstrapToken(ctx context.Context, token string) error {
	if err := checkBytes("bootstrapToken", token, maxTokenBytes); err != nil {
		return err
	}
	if _, err := s.store.GetSetting(ctx, settingInitialized); err == nil {
		return errNotBootstrappable
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	want := sha256Hex(s.cfg.BootstrapToken)
	if s.cfg.BootstrapToken == "" {
		h, err := s.store.GetSetting(ctx, settingBootstrapHash)
		if errors.Is(err, store.ErrNotFound) {
			return errNotBootstrappable
		}
		if err != nil {
			return err
		}
		want = h
	}
	if subtle.ConstantTimeCompare([]byte(sha256Hex(token)), []byte(want)) != 1 {
		return apperr.New(apperr.Forbidden, "the bootstrap token is wrong").OnField("bootstrapToken")
	}
	return nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
