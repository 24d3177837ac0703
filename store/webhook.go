package store

import (
	"context"
	"encoding/json"
	"time"
)

// Webhook is a receiver of events: the events whose Type it lists (or all,
// with "*") are POSTed to URL, signed with Secret (Standard Webhooks).
type Webhook struct {
	ID     string
	URL    string
	Events []string // event types, or ["*"]
	// Secret signs the deliveries ("whsec_" + base64). It is kept as is,
	// not hashed: the server signs with it on every delivery.
	Secret string
	Active bool
	// ConsecutiveFailures counts failed attempts since the last delivered
	// one; FailingSince is when the first of them happened (zero while
	// deliveries succeed). A webhook failing for a day is disabled.
	ConsecutiveFailures int
	FailingSince        time.Time
	LastDeliveryAt      time.Time
	CreatedAt           time.Time
	Version             int64
}

// Normalize puts w in the form the store keeps.
func (w *Webhook) Normalize() {
	w.CreatedAt, w.LastDeliveryAt, w.FailingSince = Trunc(w.CreatedAt), Trunc(w.LastDeliveryAt), Trunc(w.FailingSince)
	if w.Events == nil {
		w.Events = []string{}
	}
}

// Wants reports whether the webhook subscribes to events of type t.
func (w *Webhook) Wants(t string) bool {
	for _, e := range w.Events {
		if e == "*" || e == t {
			return true
		}
	}
	return false
}

// WebhookKind is the outbox kind of one event's delivery to one webhook.
const WebhookKind = "webhook"

// WebhookPayload is the payload of a WebhookKind message: the webhook and
// the event as the trail holds it.
type WebhookPayload struct {
	WebhookID string `json:"webhook"`
	Event     *Event `json:"event"`
}

// Gets reports whether w is to get e: active, subscribed to its type, and
// there when it happened (a webhook created later does not get it).
func (w *Webhook) Gets(e *Event) bool {
	return w.Active && w.Wants(e.Type) && !w.CreatedAt.After(e.At)
}

// WebhookMessage is the outbox message that delivers e to w. Its id is the
// event's followed by the webhook's, so writing it twice (a relay repeated
// after a crash) stores it once, and such ids sort like the events; its
// order key is the webhook's and the subject's, so one webhook gets one
// subject's events one at a time, in order (store.OutboxMessage.OrderKey).
func WebhookMessage(e *Event, webhookID string) *OutboxMessage {
	body, _ := json.Marshal(WebhookPayload{WebhookID: webhookID, Event: e}) // always encodes
	key := ""
	if e.SubjectID != "" {
		key = webhookID + ":" + e.SubjectID
	}
	return &OutboxMessage{ID: e.ID + webhookID, Kind: WebhookKind, Payload: body, OrderKey: key, Ref: webhookID, CreatedAt: e.At}
}

// WebhookDelivery is one attempt to deliver an event to a webhook.
type WebhookDelivery struct {
	ID        string
	WebhookID string
	EventID   string
	EventType string
	Attempt   int
	Status    int    // the receiver's HTTP status; 0 if none came
	Error     string // why it failed; "" when delivered
	At        time.Time
	Delivered bool
}

// WebhookStore keeps webhooks and the record of their deliveries.
type WebhookStore interface {
	// CreateWebhook inserts w (caller sets ID and CreatedAt). Returns
	// ErrAlreadyExists if the id is taken.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// GetWebhook returns ErrNotFound if no webhook has the id.
	GetWebhook(ctx context.Context, id string) (*Webhook, error)
	// ListWebhooks returns every webhook, oldest first.
	ListWebhooks(ctx context.Context) ([]*Webhook, error)
	// UpdateWebhook is UpdateUser for webhooks. Returns ErrNotFound.
	UpdateWebhook(ctx context.Context, id string, update func(*Webhook) error) (*Webhook, error)
	// DeleteWebhook removes a webhook and its deliveries. Returns ErrNotFound.
	DeleteWebhook(ctx context.Context, id string) error
	// AddWebhookDelivery records one attempt (caller sets ID and At).
	AddWebhookDelivery(ctx context.Context, d *WebhookDelivery) error
	// GetWebhookDelivery returns ErrNotFound if no delivery has the id.
	GetWebhookDelivery(ctx context.Context, id string) (*WebhookDelivery, error)
	// ListWebhookDeliveries returns up to first deliveries of the webhook
	// (all webhooks for ""), newest first, strictly after the id after,
	// and whether more follow.
	ListWebhookDeliveries(ctx context.Context, webhookID string, first int, after string) ([]*WebhookDelivery, bool, error)
	// PurgeWebhookDeliveries deletes up to limit deliveries older than t.
	PurgeWebhookDeliveries(ctx context.Context, t time.Time, limit int) (int, error)
}
