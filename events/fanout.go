package events

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/store"
)

// WebhookKind is the outbox kind of one event's delivery to one webhook.
const WebhookKind = "webhook"

// delivery is the payload of a WebhookKind message: which webhook, and the
// event as the trail holds it.
type delivery struct {
	WebhookID string       `json:"webhook"`
	Event     *store.Event `json:"event"`
}

// fanOut is the sender of store.EventKind messages: it enqueues one
// delivery per active webhook that subscribes to the event's type. The
// deliveries' ids are the event's id followed by the webhook's, so a
// fan-out repeated after a crash enqueues nothing twice, and they sort
// like the events; their order key is the webhook's and the subject's, so
// one webhook gets one subject's events one at a time, in order. Event
// messages are themselves ordered by subject (store.Event.OutboxMessage),
// so a later event is never fanned out before an earlier one of its
// subject.
func (s *Service) fanOut(ctx context.Context, m *store.OutboxMessage) error {
	var e store.Event
	if err := json.Unmarshal(m.Payload, &e); err != nil {
		return outbox.Permanent(fmt.Errorf("events: undecodable event %s: %w", m.ID, err))
	}
	hooks, err := s.store.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	var msgs []*store.OutboxMessage
	for _, w := range hooks {
		// A webhook created after the event was not there when it happened.
		if !w.Active || !w.Wants(e.Type) || w.CreatedAt.After(e.At) {
			continue
		}
		key := ""
		if e.SubjectID != "" {
			key = w.ID + ":" + e.SubjectID
		}
		dm, err := deliveryMessage(e.ID+w.ID, w.ID, &e, key)
		if err != nil {
			return err
		}
		msgs = append(msgs, dm)
	}
	if len(msgs) == 0 {
		return nil
	}
	return s.queue.Enqueue(ctx, msgs...)
}

func deliveryMessage(id, webhookID string, e *store.Event, orderKey string) (*store.OutboxMessage, error) {
	body, err := json.Marshal(delivery{WebhookID: webhookID, Event: e})
	if err != nil {
		return nil, outbox.Permanent(fmt.Errorf("events: encode delivery: %w", err))
	}
	return &store.OutboxMessage{ID: id, Kind: WebhookKind, Payload: body, OrderKey: orderKey,
		Ref: webhookID, CreatedAt: store.Now()}, nil
}
