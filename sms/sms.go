// Package sms delivers text messages from the outbox as signed webhooks:
// each SMS is a JSON POST to one URL (USERGRAPH_SMS_WEBHOOK_URL), signed
// per the Standard Webhooks scheme (webhook-id, webhook-timestamp,
// webhook-signature; github.com/standard-webhooks/standard-webhooks), so
// that any SMS gateway can be bridged by a small receiver that checks the
// signature and forwards the text. docs/RECOVERY.md shows the payload.
//
// As with mail, a producer only builds an outbox message (Sender.NewMessage)
// and enqueues it; the outbox worker calls Sender.Deliver.
package sms

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/store"
)

// Kind is the outbox kind of SMS messages.
const Kind = "sms"

// TypePasswordResetCode is the Type of a password reset code.
const TypePasswordResetCode = "password_reset_code"

// Message is the JSON body POSTed for one SMS, and the outbox payload.
type Message struct {
	// Type says what the SMS is for (TypePasswordResetCode), so a receiver
	// can pick its own wording or route.
	Type string `json:"type"`
	// To is the phone number in E.164 form (+14155550123).
	To string `json:"to"`
	// Text is the message to send, ready to use.
	Text string `json:"text"`
	// Code is the one-time code the text carries, for receivers that
	// write their own text.
	Code string `json:"code,omitempty"`
	// ExpiresAt is when Code stops working.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// App is USERGRAPH_APP_NAME.
	App string `json:"app"`
}

// Config sets up a Sender.
type Config struct {
	// URL (USERGRAPH_SMS_WEBHOOK_URL) receives the POSTs: http or https.
	URL string
	// Secret (USERGRAPH_SMS_WEBHOOK_SECRET) signs them: "whsec_" followed
	// by the key in base64, as Standard Webhooks writes it.
	Secret string
	// Timeout bounds one POST (default 30s); the outbox lease must be
	// longer.
	Timeout time.Duration
	// Client sends the POSTs (nil: a client of its own with Timeout).
	Client *http.Client
}

// DefaultTimeout bounds one POST unless Config.Timeout says otherwise.
const DefaultTimeout = 30 * time.Second

// maxResponseBytes is how much of a receiver's answer is read (for the
// error kept with a failed attempt).
const maxResponseBytes = 1 << 10

// Sender POSTs SMS messages; it is the outbox sender of Kind.
type Sender struct {
	url    string
	hook   *standardwebhooks.Webhook
	client *http.Client
}

// New checks cfg and returns its Sender.
func New(cfg Config) (*Sender, error) {
	if err := CheckURL(cfg.URL); err != nil {
		return nil, err
	}
	hook, err := ParseSecret(cfg.Secret)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	}
	return &Sender{url: cfg.URL, hook: hook, client: client}, nil
}

// CheckURL accepts an absolute http or https URL.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("SMS webhook URL %q: want an absolute http:// or https:// URL", s)
	}
	return nil
}

// ParseSecret reads a Standard Webhooks secret: "whsec_" and at least 24
// bytes (192 bits) of key in standard base64.
func ParseSecret(secret string) (*standardwebhooks.Webhook, error) {
	key, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New(`SMS webhook secret: want "whsec_" followed by the key in base64`)
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(raw) < 24 {
		return nil, errors.New("SMS webhook secret: the key after whsec_ must be base64 of at least 24 bytes")
	}
	return standardwebhooks.NewWebhook(secret)
}

// NewMessage builds the outbox message that will deliver m, with ref as
// the producer's reference. The caller enqueues it.
func (s *Sender) NewMessage(m Message, ref string) (*store.OutboxMessage, error) {
	if m.To == "" || m.Text == "" {
		return nil, errors.New("sms: a message needs a number and a text")
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("sms: encode: %w", err)
	}
	return &store.OutboxMessage{ID: store.NewID(), Kind: Kind, Payload: payload, Ref: ref, CreatedAt: store.Now()}, nil
}

// Deliver POSTs the payload, signed. The webhook-id is the outbox
// message's id, the same on every attempt, so a receiver that got an
// attempt this side thinks failed can tell the retry is a duplicate; the
// timestamp is the attempt's, as receivers refuse old ones. A 2xx answer
// delivers; 408, 429 and 5xx answers and network failures are retried; any
// other answer is a permanent refusal.
func (s *Sender) Deliver(ctx context.Context, m *store.OutboxMessage) error {
	now := time.Now()
	sig, err := s.hook.Sign(m.ID, now, m.Payload)
	if err != nil {
		return outbox.Permanent(fmt.Errorf("sms: sign: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(m.Payload))
	if err != nil {
		return outbox.Permanent(fmt.Errorf("sms: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(standardwebhooks.HeaderWebhookID, m.ID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	res, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	switch code := res.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("sms: the receiver answered %d: %s", code, strings.TrimSpace(string(body)))
	default:
		return outbox.Permanent(fmt.Errorf("sms: the receiver refused the message with %d: %s", code, strings.TrimSpace(string(body))))
	}
}
