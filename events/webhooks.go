package events

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// Administrators' webhooks (createWebhook, updateWebhook, deleteWebhook,
// webhooks, webhookDeliveries, redeliverWebhook).

const maxEvents = 64

var errNoWebhook = apperr.New(apperr.NotFound, "no such webhook")

// WebhookInput is createWebhook's and updateWebhook's input.
type WebhookInput struct {
	URL    string
	Events []string // types from the catalogue, or "*"
	Active *bool    // nil: true on creation, unchanged on update
}

// Created is a new webhook with its secret, shown this once.
type Created struct {
	Webhook *store.Webhook
	Secret  string
}

func (s *Service) checkInput(ctx context.Context, in WebhookInput) ([]string, error) {
	if err := s.checkURL(ctx, in.URL); err != nil {
		return nil, err
	}
	if len(in.Events) == 0 || len(in.Events) > maxEvents {
		return nil, apperr.Input("events", "name 1 to %d event types, or \"*\" for all", maxEvents)
	}
	var out []string
	for _, e := range in.Events {
		if e != "*" && !audit.Known(e) {
			return nil, apperr.Input("events", "%q is not an event type (see API.md's catalogue)", e)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// newSecret returns a Standard Webhooks secret: whsec_ and 32 random bytes.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// CreateWebhook stores a webhook and returns it with its secret.
func (s *Service) CreateWebhook(ctx context.Context, in WebhookInput) (*Created, error) {
	evs, err := s.checkInput(ctx, in)
	if err != nil {
		return nil, err
	}
	w := &store.Webhook{ID: store.NewID(), URL: in.URL, Events: evs, Secret: newSecret(), Active: true, CreatedAt: store.Now()}
	if in.Active != nil {
		w.Active = *in.Active
	}
	ev := audit.New(ctx, audit.WebhookCreated, w.ID, audit.Data{"events": evs})
	if err := s.store.CreateWebhook(audit.With(ctx, ev), w); err != nil {
		return nil, err
	}
	return &Created{Webhook: w, Secret: w.Secret}, nil
}

// UpdateWebhook replaces a webhook's URL and events, and its activity if
// given. Reactivating a webhook starts its failures over.
func (s *Service) UpdateWebhook(ctx context.Context, id string, in WebhookInput) (*store.Webhook, error) {
	evs, err := s.checkInput(ctx, in)
	if err != nil {
		return nil, err
	}
	ev := audit.New(ctx, audit.WebhookUpdated, id, audit.Data{"events": evs, "active": in.Active})
	w, err := s.store.UpdateWebhook(audit.With(ctx, ev), id, func(w *store.Webhook) error {
		w.URL, w.Events = in.URL, evs
		if in.Active != nil {
			if *in.Active && !w.Active {
				w.ConsecutiveFailures, w.FailingSince = 0, time.Time{}
			}
			w.Active = *in.Active
		}
		return nil
	})
	return w, notFound(err)
}

// DeleteWebhook removes a webhook; its queued deliveries are dropped.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	return notFound(s.store.DeleteWebhook(audit.With(ctx, audit.New(ctx, audit.WebhookDeleted, id, nil)), id))
}

// Webhooks lists the webhooks, oldest first.
func (s *Service) Webhooks(ctx context.Context) ([]*store.Webhook, error) {
	return s.store.ListWebhooks(ctx)
}

// Webhook returns one webhook, or NOT_FOUND.
func (s *Service) Webhook(ctx context.Context, id string) (*store.Webhook, error) {
	w, err := s.store.GetWebhook(ctx, id)
	return w, notFound(err)
}

// DeliveryPage is one page of delivery attempts, newest first.
type DeliveryPage struct {
	Deliveries []*store.WebhookDelivery
	HasNext    bool
}

// Deliveries pages the attempts to deliver to the webhook webhookID (every
// webhook's for "").
func (s *Service) Deliveries(ctx context.Context, webhookID string, first int, after string) (*DeliveryPage, error) {
	first, err := checkFirst(first)
	if err != nil {
		return nil, err
	}
	afterID, err := fromCursor("after", after)
	if err != nil {
		return nil, err
	}
	if len(webhookID) > maxIDBytes {
		return nil, errNoWebhook
	}
	ds, more, err := s.store.ListWebhookDeliveries(ctx, webhookID, first, afterID)
	if err != nil {
		return nil, err
	}
	return &DeliveryPage{Deliveries: ds, HasNext: more}, nil
}

// Redeliver queues the event of a past delivery to its webhook again, as
// a new message (the receiver sees the same webhook-id: the event's).
func (s *Service) Redeliver(ctx context.Context, deliveryID string) error {
	if len(deliveryID) > maxIDBytes {
		return apperr.New(apperr.NotFound, "no such delivery")
	}
	d, err := s.store.GetWebhookDelivery(ctx, deliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.New(apperr.NotFound, "no such delivery")
	}
	if err != nil {
		return err
	}
	if _, err := s.Webhook(ctx, d.WebhookID); err != nil {
		return err
	}
	e, err := s.store.GetEvent(ctx, d.EventID)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.New(apperr.NotFound, "the event is no longer in the audit trail")
	}
	if err != nil {
		return err
	}
	m := store.WebhookMessage(e, d.WebhookID)
	m.ID, m.OrderKey, m.CreatedAt = store.NewID(), "", store.Now() // a message of its own, in no sequence
	return s.queue.Enqueue(ctx, m)
}

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errNoWebhook
	}
	return err
}
