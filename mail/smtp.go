package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPOptions tune the SMTP transport. The zero value is usable.
type SMTPOptions struct {
	// Timeout bounds one delivery (default DefaultTimeout).
	Timeout time.Duration
	// RootCAs replaces the system's certificate authorities (tests).
	RootCAs *x509.CertPool
}

// SMTPTransport sends each mail over its own SMTP connection, with TLS
// (implicit for smtps, STARTTLS whenever the server offers it for smtp;
// the certificate is always verified) and AUTH when the URL has a user.
type SMTPTransport struct {
	cfg     SMTPConfig
	timeout time.Duration
	opts    []gomail.Option
}

// NewSMTPTransport prepares the transport; it does not connect.
func NewSMTPTransport(cfg SMTPConfig, o SMTPOptions) *SMTPTransport {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	tlsConfig := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: o.RootCAs}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(o.Timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithTLSPolicy(gomail.TLSOpportunistic),
	}
	if cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	}
	if cfg.Username != "" {
		// Auto-discovery takes the strongest mechanism the server offers,
		// and PLAIN or LOGIN only over TLS: a password never crosses the
		// network in clear.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	return &SMTPTransport{cfg: cfg, timeout: o.Timeout, opts: opts}
}

// Send delivers m in one SMTP transaction, bounded by the timeout and by
// ctx's deadline. It returns nil once the server accepted the mail, else
// a *Failure.
func (t *SMTPTransport) Send(ctx context.Context, m *Message) error {
	msg, err := buildMsg(m)
	if err != nil {
		return &Failure{Err: err} // the same mail would fail the same way again
	}
	opts := t.opts
	// go-mail follows ctx only while dialing; the connection's deadline
	// bounds the rest, so it must end no later than ctx (the outbox
	// lease is computed from it).
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return &Failure{Temporary: true, Err: fmt.Errorf("smtp: %w", context.DeadlineExceeded)}
		}
		if left < t.timeout {
			opts = append(slices.Clip(opts), gomail.WithTimeout(left))
		}
	}
	client, err := gomail.NewClient(t.cfg.Host, opts...)
	if err != nil {
		return &Failure{Err: fmt.Errorf("smtp: %w", err)}
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		return nil // accepted; a failure after that (RSET, QUIT) does not undo it
	}
	return classify(err)
}

// buildMsg writes m as a MIME message: multipart/alternative with the text
// part first and the HTML part preferred.
func buildMsg(m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(m.From)
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(m.Date)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// Failure is a delivery that did not succeed, classified for the outbox:
// Temporary failures are retried, the others are final.
type Failure struct {
	// Temporary: a 4xx reply, a network error, a timeout, a failed
	// connection, TLS handshake or login (the mail itself is fine; the
	// server or the settings may be fixed meanwhile).
	Temporary bool
	// Code is the SMTP reply code of a refusal; 0 if there was none.
	Code int
	// Recipient is true when the refusal answered the recipient (RCPT TO):
	// a bounce.
	Recipient bool
	Err       error
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Permanent tells the outbox worker not to retry.
func (f *Failure) Permanent() bool { return !f.Temporary }

// classify sorts go-mail's errors: a 5xx reply to a command of the mail
// transaction is final (RFC 5321: do not repeat the same command); a 4xx
// reply, or anything that is not a reply to the transaction, is
// temporary. go-mail's own IsTemp looks only at the first character of the
// message and so calls a broken connection permanent: the reply code
// decides here.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return &Failure{
			Temporary: code < 500 || code > 599,
			Code:      code,
			Recipient: se.Reason == gomail.ErrSMTPRcptTo,
			Err:       fmt.Errorf("smtp: %w", err),
		}
	}
	return &Failure{Temporary: true, Err: fmt.Errorf("smtp: %w", err)}
}
