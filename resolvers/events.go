package resolvers

import (
	"github.com/usergraph/usergraph/events"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/store"
)

// The audit trail and webhooks as the API shows them.

func toAuditEvent(e *store.Event) *model.AuditEvent {
	return &model.AuditEvent{ID: e.ID, Type: e.Type, At: e.At, ActorID: str(e.ActorID), SubjectID: str(e.SubjectID),
		IP: str(e.IP), UserAgent: str(e.UserAgent), Data: e.Data}
}

func auditFilter(f *model.AuditFilter) events.AuditFilter {
	if f == nil {
		return events.AuditFilter{}
	}
	out := events.AuditFilter{Types: f.Types, ActorID: val(f.ActorID), SubjectID: val(f.SubjectID), IP: val(f.IP)}
	if r := toRange(f.At); r != nil {
		out.At = *r
	}
	return out
}

func auditConnection(p *events.EventPage, after string) *model.AuditEventConnection {
	c := &model.AuditEventConnection{Edges: make([]*model.AuditEventEdge, len(p.Events)), Nodes: make([]*model.AuditEvent, len(p.Events)),
		PageInfo: &model.PageInfo{HasNextPage: p.HasNext, HasPreviousPage: after != ""}}
	for i, e := range p.Events {
		n := toAuditEvent(e)
		c.Edges[i], c.Nodes[i] = &model.AuditEventEdge{Cursor: events.Cursor(e.ID), Node: n}, n
	}
	if n := len(p.Events); n > 0 {
		start, end := events.Cursor(p.Events[0].ID), events.Cursor(p.Events[n-1].ID)
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &start, &end
	}
	return c
}

func toWebhook(w *store.Webhook) *model.Webhook {
	return &model.Webhook{ID: w.ID, URL: w.URL, Events: nonNil(w.Events), Active: w.Active, CreatedAt: w.CreatedAt,
		LastDeliveryAt: optTime(w.LastDeliveryAt), ConsecutiveFailures: w.ConsecutiveFailures}
}

func webhookOrErr(w *store.Webhook, err error) (*model.Webhook, error) {
	if err != nil {
		return nil, err
	}
	return toWebhook(w), nil
}

func webhookInput(in model.WebhookInput) events.WebhookInput {
	return events.WebhookInput{URL: in.URL, Events: in.Events, Active: in.Active}
}

func toDelivery(d *store.WebhookDelivery) *model.WebhookDelivery {
	out := &model.WebhookDelivery{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType,
		Attempt: d.Attempt, Error: str(d.Error), At: d.At, Delivered: d.Delivered}
	if d.Status != 0 {
		out.Status = &d.Status
	}
	return out
}

func deliveryConnection(p *events.DeliveryPage, after string) *model.WebhookDeliveryConnection {
	c := &model.WebhookDeliveryConnection{Edges: make([]*model.WebhookDeliveryEdge, len(p.Deliveries)),
		Nodes: make([]*model.WebhookDelivery, len(p.Deliveries)), PageInfo: &model.PageInfo{HasNextPage: p.HasNext, HasPreviousPage: after != ""}}
	for i, d := range p.Deliveries {
		n := toDelivery(d)
		c.Edges[i], c.Nodes[i] = &model.WebhookDeliveryEdge{Cursor: events.Cursor(d.ID), Node: n}, n
	}
	if n := len(p.Deliveries); n > 0 {
		start, end := events.Cursor(p.Deliveries[0].ID), events.Cursor(p.Deliveries[n-1].ID)
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &start, &end
	}
	return c
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}
