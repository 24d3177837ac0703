// Package recovery holds the rules of account recovery and email
// verification: password reset by a mailed link or an SMS code, the
// verification of addresses and its states, forgotten usernames, and the
// notices the account rules ask for (account.Notices). It knows nothing
// of GraphQL or HTTP: the resolvers and the hosted pages call the same
// methods.
//
// Everything it sends goes through the outbox (mail, SMS), so no request
// waits on a mail server or a gateway. Secrets are at least 128 random
// bits (SMS codes: six digits, bound to the user and to six tries), kept
// only hashed, used once, and replaced by the next request. The requests
// that name an account by what a client typed (an address, a username)
// answer the same and do the same store work whether or not the account
// exists (decoy.go); their limits count what was typed, never the account
// found. docs/RECOVERY.md describes the flows.
package recovery

import (
	"context"
	"log/slog"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/sms"
	"github.com/usergraph/usergraph/store"
)

// Config is what a deployment chooses.
type Config struct {
	// PublicURL is the base of the hosted pages' links
	// (USERGRAPH_PUBLIC_URL).
	PublicURL string
	// ResetPageURL and VerifyPageURL, when set, are the app's own pages
	// that mail links point at instead (USERGRAPH_RESET_PAGE_URL,
	// USERGRAPH_VERIFY_PAGE_URL); the token is added as ?token=.
	ResetPageURL, VerifyPageURL string
	// ResetByEmail offers reset by a mailed link (USERGRAPH_RESET_BY_EMAIL).
	ResetByEmail bool
	// NoticeUnknown mails an address without an account that asks for a
	// reset a notice naming the requester's IP (USERGRAPH_RESET_NOTICE_UNKNOWN).
	NoticeUnknown bool
	// How long secrets live (defaults below).
	ResetTTL, VerifyTTL, SMSCodeTTL time.Duration
	// MailInterval: an address gets at most one mail of each kind of
	// request per interval, across instances (default one minute).
	MailInterval time.Duration
	// AppName is in every SMS (USERGRAPH_APP_NAME).
	AppName string
}

// Defaults of Config.
const (
	DefaultResetTTL     = 20 * time.Minute
	DefaultVerifyTTL    = 5 * 24 * time.Hour
	DefaultSMSCodeTTL   = 10 * time.Minute
	DefaultMailInterval = time.Minute
)

// maxCodeFailures: the sixth wrong SMS code burns it.
const maxCodeFailures = 6

// Limits are the brute-force limits (nil limiters allow everything). Each
// counts one attempt per call, so GraphQL aliases and batches multiply
// nothing. Per-account limits count what the client typed (an address, a
// username) or the token's subject, never whether an account was found.
type Limits struct {
	RequestPerIP, RequestPerAccount *ratelimit.Limiter // reset, SMS, verification and username requests
	CheckPerIP, CheckPerAccount     *ratelimit.Limiter // tokens and codes presented
}

// DefaultLimitPerIP and DefaultLimitPerAccount are the rules of Limits
// (-recovery-limit-ip, -recovery-limit-account).
func DefaultLimitPerIP() ratelimit.Rule      { return ratelimit.Rule{Burst: 30, Per: time.Hour} }
func DefaultLimitPerAccount() ratelimit.Rule { return ratelimit.Rule{Burst: 10, Per: time.Hour} }

// Mailer builds mail outbox messages (*mail.Mailer).
type Mailer interface {
	NewMessage(to, template string, data mail.Data, ref string) (*store.OutboxMessage, error)
}

// SMS builds SMS outbox messages (*sms.Sender).
type SMS interface {
	NewMessage(m sms.Message, ref string) (*store.OutboxMessage, error)
}

// Queue stores messages in the outbox and wakes its worker
// (*outbox.Worker).
type Queue interface {
	Enqueue(ctx context.Context, msgs ...*store.OutboxMessage) error
}

// Deps are what the service builds on.
type Deps struct {
	Store    store.RecoveryStore
	Accounts *account.Service
	Queue    Queue
	Mail     Mailer
	SMS      SMS // nil: SMS reset is off (RESET_UNSUPPORTED 803)
	Limits   Limits
	Log      *slog.Logger
}

// Service is the recovery service.
type Service struct {
	store    store.RecoveryStore
	accounts *account.Service
	queue    Queue
	mail     Mailer
	sms      SMS
	limits   Limits
	cfg      Config
	log      *slog.Logger
}

// New returns the service; zero durations in cfg take the defaults. It
// hands the account service its notices (account.Service.SetNotices).
func New(d Deps, cfg Config) *Service {
	for _, f := range []struct {
		d   *time.Duration
		def time.Duration
	}{{&cfg.ResetTTL, DefaultResetTTL}, {&cfg.VerifyTTL, DefaultVerifyTTL}, {&cfg.SMSCodeTTL, DefaultSMSCodeTTL},
		{&cfg.MailInterval, DefaultMailInterval}} {
		if *f.d <= 0 {
			*f.d = f.def
		}
	}
	if cfg.AppName == "" {
		cfg.AppName = "usergraph"
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: d.Store, accounts: d.Accounts, queue: d.Queue, mail: d.Mail, sms: d.SMS,
		limits: d.Limits, cfg: cfg, log: d.Log}
	d.Accounts.SetNotices(s)
	return s
}

var _ account.Notices = (*Service)(nil)

// The answers about tokens and codes.
var (
	errInvalid = apperr.New(apperr.ResetTokenInvalid,
		"this link or code is not valid: it was used already, replaced by a newer one, or never issued")
	errExpired      = apperr.New(apperr.ResetTokenExpired, "this link or code has expired: ask for a new one")
	errNoEmailReset = apperr.New(apperr.ResetUnsupported, "password reset by email is not offered here").
			WithStatus(apperr.StatusNoEmailReset)
	errNoSMSReset = apperr.New(apperr.ResetUnsupported, "password reset by SMS is not offered here").
			WithStatus(apperr.StatusNoSMSReset)
	// errNotFound answers an administrator's request about an unknown user.
	errNotFound = apperr.New(apperr.NotFound, "no such user")
)

// event is the one place each action reports what happened (name is the
// event type of API.md's list). The audit trail will hook in here.
// withRequested returns ctx carrying the password.reset_requested event of
// u, which goes with the message the request queues; none for a request
// about no account (its decoy is no event).
func (s *Service) withRequested(ctx context.Context, u *store.User) context.Context {
	if u == nil {
		return ctx
	}
	return audit.With(ctx, audit.New(ctx, audit.PasswordResetRequest, u.ID, nil))
}

func (s *Service) event(ctx context.Context, name, userID string) {
	s.log.InfoContext(ctx, name, "user_id", userID)
}

// purgeEvery is how often Run deletes what expired; keepExpired how long
// an expired token stays, so that its link answers "expired" (not
// "invalid") for a day.
const (
	purgeEvery  = time.Hour
	keepExpired = 24 * time.Hour
)

// Run deletes expired tokens and old throttle turns every hour until ctx
// ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(purgeEvery)
	defer t.Stop()
	for {
		s.purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) purge(ctx context.Context) {
	now := store.Now()
	if _, err := s.store.PurgeRecoveryTokens(ctx, now.Add(-keepExpired)); err != nil && ctx.Err() == nil {
		s.log.Error("recovery: purging expired tokens failed", "err", err)
	}
	if _, err := s.store.PurgeTurns(ctx, now.Add(-s.cfg.MailInterval)); err != nil && ctx.Err() == nil {
		s.log.Error("recovery: purging old throttle turns failed", "err", err)
	}
}
