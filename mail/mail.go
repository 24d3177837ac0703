// Package mail renders usergraph's mails from templates and delivers them
// from the outbox: over SMTP (github.com/wneessen/go-mail) when an SMTP
// URL is configured, else to the log, so a developer can follow the links
// locally.
//
// A producer (the recovery service) never sends: it builds an outbox
// message with Mailer.NewMessage and enqueues it; the outbox worker later
// calls Mailer.Deliver, which renders the templates and hands the mail to
// the transport. The request that caused a mail therefore never waits on
// the SMTP server, and a crash loses nothing queued.
package mail

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Kind is the outbox kind of mail messages: the worker hands messages of
// this kind to the Mailer.
const Kind = "mail"

// Mail is the payload of a mail's outbox message: what to render for
// whom. The rendering happens at delivery, so a mail still queued when
// the templates change goes out in the new form.
type Mail struct {
	To       string `json:"to"`
	Template string `json:"template"`
	Data     Data   `json:"data"`
}

// Message is a rendered mail as a transport sends it.
type Message struct {
	From *mail.Address
	To   string
	// MessageID is the Message-ID without angle brackets, the same on
	// every attempt to send this mail.
	MessageID string
	// Date is when the mail was queued: also the same on every attempt.
	Date time.Time
	Rendered
}

// Transport sends a rendered mail. An error that reports Permanent() true
// (see Failure) means retrying cannot help; any other error is worth a
// retry.
type Transport interface {
	Send(ctx context.Context, m *Message) error
}

// Config sets up a Mailer. New checks the SMTP URL, the sender and the
// templates, so a bad setting fails at start, not at the first mail.
type Config struct {
	// SMTPURL (USERGRAPH_SMTP_URL): smtp://user:pass@host:port or smtps://…;
	// empty: mail goes to Log.
	SMTPURL string
	// From (USERGRAPH_MAIL_FROM): "addr" or "Name <addr>"; empty:
	// no-reply@ the host of PublicURL.
	From      string
	PublicURL string
	// AppName (USERGRAPH_APP_NAME) is in every mail (default "usergraph").
	AppName string
	// TemplatesDir (USERGRAPH_TEMPLATES_DIR): mail templates in its mail/
	// subdirectory replace the built-in ones file by file.
	TemplatesDir string
	// Timeout bounds one SMTP delivery: connecting, TLS, AUTH and the
	// transaction (default 30s). The outbox lease must be longer.
	Timeout time.Duration
	// RootCAs, when set, are the only authorities the SMTP server's
	// certificate is checked against (tests use it to trust their own);
	// nil: the system's. Verification is never switched off.
	RootCAs *x509.CertPool
	// Log receives the mails when there is no SMTP URL, and nothing else
	// (nil: discarded).
	Log *slog.Logger
}

// DefaultTimeout bounds one SMTP delivery unless Config.Timeout says otherwise.
const DefaultTimeout = 30 * time.Second

// Mailer renders and delivers mails; it is the outbox sender of Kind.
type Mailer struct {
	from      *mail.Address
	appName   string
	templates *Templates
	transport Transport
}

// New checks cfg and returns its Mailer: an SMTP transport if cfg.SMTPURL
// is set, else the log transport.
func New(cfg Config) (*Mailer, error) {
	from, err := ParseFrom(cfg.From, cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	templates, err := LoadTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var transport Transport = NewLogTransport(cfg.Log)
	if cfg.SMTPURL != "" {
		sc, err := ParseSMTPURL(cfg.SMTPURL)
		if err != nil {
			return nil, err
		}
		transport = NewSMTPTransport(sc, SMTPOptions{Timeout: cfg.Timeout, RootCAs: cfg.RootCAs})
	}
	return NewWithTransport(from, cfg.AppName, templates, transport), nil
}

// NewWithTransport builds a Mailer from parts already checked.
func NewWithTransport(from *mail.Address, appName string, templates *Templates, transport Transport) *Mailer {
	if appName == "" {
		appName = "usergraph"
	}
	return &Mailer{from: from, appName: appName, templates: templates, transport: transport}
}

// From is the sender of every mail.
func (m *Mailer) From() *mail.Address { return m.from }

// NewMessage builds the outbox message that will deliver mail template
// to the address to, with ref as the producer's reference (reported back
// with the delivery's outcome, e.g. "verify:<userID>"). It checks the
// address and the template name now, so a mistake fails the producer, not
// the delivery. The caller enqueues the result (outbox.Worker.Enqueue).
func (m *Mailer) NewMessage(to, template string, data Data, ref string) (*store.OutboxMessage, error) {
	addr, err := ParseRecipient(to)
	if err != nil {
		return nil, err
	}
	if !m.templates.Has(template) {
		return nil, fmt.Errorf("mail: no template %q", template)
	}
	payload, err := json.Marshal(Mail{To: addr, Template: template, Data: data})
	if err != nil {
		return nil, fmt.Errorf("mail: encode %s: %w", template, err)
	}
	return &store.OutboxMessage{ID: store.NewID(), Kind: Kind, Payload: payload, Ref: ref, CreatedAt: store.Now()}, nil
}

// Render produces the mail an outbox message carries, as Deliver sends it.
func (m *Mailer) Render(msg *store.OutboxMessage) (*Message, error) {
	var p Mail
	if err := json.Unmarshal(msg.Payload, &p); err != nil {
		return nil, fmt.Errorf("mail: payload of %s: %w", msg.ID, err)
	}
	p.Data.AppName = m.appName
	r, err := m.templates.Render(p.Template, p.Data)
	if err != nil {
		return nil, fmt.Errorf("mail: render %s: %w", p.Template, err)
	}
	date := msg.CreatedAt
	if date.IsZero() {
		date = time.Now() // a producer that did not say when it queued the mail
	}
	return &Message{From: m.from, To: p.To, MessageID: messageID(msg.ID, m.from), Date: date, Rendered: *r}, nil
}

// Deliver renders the outbox message and sends it: the outbox worker's
// sender for Kind. A payload or template that cannot be rendered is a
// permanent failure (retrying renders the same); the transport's errors
// say for themselves.
func (m *Mailer) Deliver(ctx context.Context, msg *store.OutboxMessage) error {
	rendered, err := m.Render(msg)
	if err != nil {
		return &Failure{Err: err}
	}
	return m.transport.Send(ctx, rendered)
}
