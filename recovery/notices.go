package recovery

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// The notices of account.Notices besides verification mails: each tells
// the owner of an address about something done with it or to its account.
// Those that a stranger can cause (someone used your address, someone is
// moving your account to another) are throttled per address like the
// requests: at most one per MailInterval.

// AddressInUse tells the owner of address that someone tried to sign up
// with it, or to move another account to it. Nothing is queued if no
// account has the address any more, or within MailInterval of the last
// such notice.
func (s *Service) AddressInUse(ctx context.Context, address string) error {
	key := store.FoldKey(address)
	owner, err := s.store.GetUserByKey(ctx, store.KeyEmail, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if granted, _, err := s.store.TakeTurn(ctx, throttleKey("in-use", key), store.Now(), s.cfg.MailInterval); err != nil || !granted {
		return err
	}
	msg, err := s.mail.NewMessage(owner.Email, mail.AddressInUse, mail.Data{Name: nameOf(owner), Email: owner.Email,
		RequestedAt: store.Now(), IP: session.ClientFrom(ctx).IP}, "in-use:"+owner.ID)
	if err != nil {
		return err
	}
	return s.queue.Enqueue(ctx, msg)
}

// EmailChangeRequested tells u's current address that a change to
// newAddress waits for confirmation, so that an owner whose session was
// stolen learns of it before the change completes.
func (s *Service) EmailChangeRequested(ctx context.Context, u *store.User, newAddress string) error {
	if u.Email == "" {
		return nil
	}
	if granted, _, err := s.store.TakeTurn(ctx, throttleKey("change", u.EmailKey), store.Now(), s.cfg.MailInterval); err != nil || !granted {
		return err
	}
	msg, err := s.mail.NewMessage(u.Email, mail.EmailChangeNotice, mail.Data{Name: nameOf(u), Email: u.Email,
		NewEmail: newAddress, RequestedAt: store.Now(), IP: session.ClientFrom(ctx).IP}, "change:"+u.ID)
	if err != nil {
		return err
	}
	if err := s.queue.Enqueue(ctx, msg); err != nil {
		return err
	}
	s.event(ctx, "email.change_requested", u.ID)
	return nil
}

// PasswordChanged tells u's address that its password was changed or
// reset. Not throttled: only the owner (or a reset link) causes it.
func (s *Service) PasswordChanged(ctx context.Context, u *store.User) error {
	if u.Email == "" {
		return nil
	}
	msg, err := s.mail.NewMessage(u.Email, mail.PasswordChanged, mail.Data{Name: nameOf(u), ChangedAt: store.Now(),
		IP: session.ClientFrom(ctx).IP}, "password:"+u.ID)
	if err != nil {
		return err
	}
	return s.queue.Enqueue(ctx, msg)
}
