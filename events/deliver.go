package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/store"
)

// Payload is the JSON body of a delivery: the event as the trail holds it.
// Type, ID and At are Standard Webhooks' type, id and timestamp; Data is
// the event's own payload.
type Payload struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	At        time.Time       `json:"at"`
	ActorID   string          `json:"actorId,omitempty"`
	SubjectID string          `json:"subjectId,omitempty"`
	IP        string          `json:"ip,omitempty"`
	UserAgent string          `json:"userAgent,omitempty"`
	Data      json.RawMessage `json:"data"`
}

func payloadOf(e *store.Event) Payload {
	return Payload{Type: e.Type, ID: e.ID, At: e.At, ActorID: e.ActorID, SubjectID: e.SubjectID,
		IP: e.IP, UserAgent: e.UserAgent, Data: e.Data}
}

// lastDeliveryGrain is how far Webhook.lastDeliveryAt may lag behind the
// last successful delivery.
const lastDeliveryGrain = time.Minute

// maxResponseBytes is how much of a receiver's answer is read.
const maxResponseBytes = 1 << 10

// sender delivers WebhookKind messages.
type sender struct {
	s      *Service
	client *http.Client
}

func newSender(s *Service) *sender {
	return &sender{s: s, client: newClient(s.cfg.Timeout, s.cfg.AllowPrivate)}
}

// Deliver POSTs one event to one webhook, signed with the webhook's secret
// per Standard Webhooks: webhook-id is the event's id (the same on every
// attempt and redelivery, so receivers drop repeats), webhook-timestamp
// the attempt's. A 2xx answer delivers; anything else (a redirect
// included: none is followed) is a failure, retried by the outbox. Each
// attempt is recorded (webhookDeliveries) and moves the webhook's health
// (health).
func (d *sender) Deliver(ctx context.Context, m *store.OutboxMessage) error {
	var p store.WebhookPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Event == nil {
		return outbox.Permanent(fmt.Errorf("events: undecodable delivery %s", m.ID))
	}
	w, err := d.s.store.GetWebhook(ctx, p.WebhookID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil // deleted meanwhile: nobody to deliver to
	case err != nil:
		return err
	case !w.Active:
		return outbox.Permanent(errors.New("events: the webhook is disabled"))
	}
	status, sendErr := d.post(ctx, w, p.Event)
	now := store.Now()
	rec := &store.WebhookDelivery{ID: store.NewID(), WebhookID: w.ID, EventID: p.Event.ID, EventType: p.Event.Type,
		Attempt: m.Attempts, Status: status, At: now, Delivered: sendErr == nil}
	if sendErr != nil {
		rec.Error = truncate(sendErr.Error(), 500)
	}
	if err := d.s.store.AddWebhookDelivery(ctx, rec); err != nil {
		d.s.log.Error("events: recording a webhook delivery failed", "webhook", w.ID, "event", p.Event.ID, "err", err)
	}
	if d.s.health(ctx, w, sendErr == nil, now) {
		// The attempt that disables the webhook ends its delivery: a
		// retry after reactivation would send an event from before it.
		return outbox.Permanent(sendErr)
	}
	return sendErr
}

// post sends the signed request and returns the receiver's status (0 if
// none came) and nil for a 2xx.
func (d *sender) post(ctx context.Context, w *store.Webhook, e *store.Event) (int, error) {
	body, err := json.Marshal(payloadOf(e))
	if err != nil {
		return 0, outbox.Permanent(err)
	}
	hook, err := standardwebhooks.NewWebhook(w.Secret)
	if err != nil {
		return 0, outbox.Permanent(fmt.Errorf("events: the webhook's secret: %w", err))
	}
	now := time.Now()
	sig, err := hook.Sign(e.ID, now, body)
	if err != nil {
		return 0, outbox.Permanent(fmt.Errorf("events: sign: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, outbox.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "usergraph-webhooks")
	req.Header.Set(standardwebhooks.HeaderWebhookID, e.ID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	res, err := d.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("events: %w", err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return res.StatusCode, nil
	}
	return res.StatusCode, fmt.Errorf("events: the receiver answered %d: %s", res.StatusCode, strings.TrimSpace(string(answer)))
}

// health records an attempt's outcome on the webhook: a success clears the
// failures; a failure counts, and a webhook that has failed without a
// success for DisableAfter is disabled, with its webhook.disabled event
// in the same write. It reports whether this attempt disabled it.
func (s *Service) health(ctx context.Context, w *store.Webhook, ok bool, now time.Time) (disabled bool) {
	ctx = context.WithoutCancel(ctx)
	// A success writes only to clear failures, or to move lastDeliveryAt
	// on by a minute or more: not one more write per delivery.
	if ok && w.ConsecutiveFailures == 0 && now.Sub(w.LastDeliveryAt) < lastDeliveryGrain {
		return false
	}
	disable := !ok && w.Active && !w.FailingSince.IsZero() && now.Sub(w.FailingSince) >= s.cfg.DisableAfter
	if disable {
		ev := audit.New(ctx, audit.WebhookDisabled, w.ID, audit.Data{"consecutiveFailures": w.ConsecutiveFailures + 1,
			"failingSince": w.FailingSince})
		ctx = audit.With(ctx, ev)
	}
	_, err := s.store.UpdateWebhook(ctx, w.ID, func(w *store.Webhook) error {
		if ok {
			w.ConsecutiveFailures, w.FailingSince, w.LastDeliveryAt = 0, time.Time{}, now
			return nil
		}
		w.ConsecutiveFailures++
		if w.FailingSince.IsZero() {
			w.FailingSince = now
		}
		if disable {
			w.Active = false
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("events: recording a webhook's health failed", "webhook", w.ID, "err", err)
	}
	if disable {
		s.log.Warn("webhook.disabled: failing for too long", "webhook", w.ID, "since", w.FailingSince)
	}
	return disable && err == nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// Register makes the worker deliver to webhooks: the store writes one
// delivery per webhook that is to get an event, with the event
// (store.WebhookMessage). Deliveries retry with backoff and jitter (the
// first two within 30 seconds, then doubling up to an hour) for a day and
// two more longest waits: an attempt in that margin finds the webhook
// failing for a day and disables it.
func (s *Service) Register(w *outbox.Worker) {
	maxDelay := min(time.Hour, s.cfg.DisableAfter/8)
	w.Register(store.WebhookKind, s.sender, outbox.Policy{Timeout: s.cfg.Timeout, BaseDelay: s.cfg.BaseDelay,
		MaxDelay: maxDelay, MaxAttempts: 1000, MaxAge: s.cfg.DisableAfter + 2*maxDelay}, nil)
}
