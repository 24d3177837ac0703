package recovery

import (
	"context"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/store"
)

// ForgotUsername mails the username of the account with this address. It
// answers nil whether or not there is one, after the same work (decoy.go);
// an address gets at most one such mail per MailInterval. Returns
// INVALID_EMAIL, RATE_LIMITED.
func (s *Service) ForgotUsername(ctx context.Context, email string) error {
	addr, err := account.CheckEmail(email)
	if err != nil {
		return err
	}
	key := store.FoldKey(addr)
	if err := s.limitRequest(ctx, "forgot:"+key); err != nil {
		return err
	}
	u, err := s.findByEmail(ctx, key)
	if err != nil {
		return err
	}
	if granted, _, err := s.store.TakeTurn(ctx, throttleKey("forgot", key), store.Now(), s.cfg.MailInterval); err != nil || !granted {
		return err
	}
	msg := newDecoy()
	if u != nil {
		if msg, err = s.mail.NewMessage(u.Email, mail.ForgotUsername, mail.Data{Name: nameOf(u), Username: u.Username,
			Email: u.Email}, "username:"+u.ID); err != nil {
			return err
		}
	}
	return s.queue.Enqueue(ctx, msg)
}
