package store

import (
	"context"
	"encoding/json"
	"time"
)

// Events: every state change and security-relevant act leaves an Event. It
// is written with the change it describes, never apart from it: a write
// method called with a context that carries events (WithEvents) stores them
// with its change. The embedded backend writes them in the change's
// transaction; a backend without multi-document transactions writes them
// into the changed document (a pending events field, set by the same
// write) and relays them to the audit trail and the outbox afterwards,
// idempotently, so a crash between the two loses nothing and duplicates
// nothing (see docs/EVENTS.md).
//
// A stored event goes two ways: into the audit trail (ListEvents), and
// into the outbox as one message per active webhook that wants its type
// (WebhookMessage), written with it: the fan-out costs no work of its own,
// and an event no webhook wants costs nothing in the outbox.

// Event is one entry of the audit trail. It holds ids, never names or
// addresses, so a hard-deleted user's trail keeps no personal data, and
// Data never holds a secret.
type Event struct {
	ID   string // NewID: time-ordered, so the trail pages by it
	Type string // a name from API.md's catalogue, e.g. "login.succeeded"
	At   time.Time
	// ActorID is who acted: a user's or an application's id; "" for the
	// server itself (the janitor, a lockout) or an unknown caller.
	ActorID string
	// ActorKind is "user", "application" or "" with ActorID.
	ActorKind string
	SubjectID string // whom or what the event is about (a user, role, …)
	IP        string
	UserAgent string
	Data      json.RawMessage // a JSON object; never nil once normalized
}

// Normalize puts e in the form the store keeps.
func (e *Event) Normalize() {
	e.At = Trunc(e.At)
	if len(e.Data) == 0 {
		e.Data = json.RawMessage(`{}`)
	}
}

type eventsKey struct{}

// WithEvents returns ctx carrying evs (besides any it carries already) for
// the next write made with it. Pass it to the one write that makes the
// change, not further: each write method stores every event its context
// carries (a repeat stores nothing new: events are kept by id).
func WithEvents(ctx context.Context, evs ...*Event) context.Context {
	if len(evs) == 0 {
		return ctx
	}
	all := append(append([]*Event(nil), EventsOf(ctx)...), evs...)
	return context.WithValue(ctx, eventsKey{}, all)
}

// EventsOf returns the events ctx carries, normalized.
func EventsOf(ctx context.Context) []*Event {
	evs, _ := ctx.Value(eventsKey{}).([]*Event)
	for _, e := range evs {
		e.Normalize()
	}
	return evs
}

// WithoutEvents returns ctx without events: for the writes a change makes
// besides the one that carries its events.
func WithoutEvents(ctx context.Context) context.Context {
	if ctx.Value(eventsKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, eventsKey{}, []*Event(nil))
}

type eventForKey struct{}

// WithEventFor returns ctx carrying mk, for a write that picks the records
// it changes itself (PurgeGuests): it calls mk with the id of each one it
// changes and stores the event returned with that change, as WithEvents'
// events are stored.
func WithEventFor(ctx context.Context, mk func(subjectID string) *Event) context.Context {
	return context.WithValue(ctx, eventForKey{}, mk)
}

// EventsForEach returns the events mk of ctx (WithEventFor) makes for the
// ids, normalized; none if ctx carries no mk.
func EventsForEach(ctx context.Context, ids []string) []*Event {
	mk, _ := ctx.Value(eventForKey{}).(func(string) *Event)
	if mk == nil {
		return nil
	}
	evs := make([]*Event, len(ids))
	for i, id := range ids {
		evs[i] = mk(id)
		evs[i].Normalize()
	}
	return evs
}

// EventsFor returns those of evs about subject.
func EventsFor(evs []*Event, subject string) []*Event {
	var out []*Event
	for _, e := range evs {
		if e.SubjectID == subject {
			out = append(out, e)
		}
	}
	return out
}

// AuditFilter selects events; zero fields select all.
type AuditFilter struct {
	Types     []string
	ActorID   string
	SubjectID string
	IP        string
	At        TimeRange
}

// EventQuery asks for one page of the trail, newest first (by ID).
type EventQuery struct {
	Filter AuditFilter
	First  int    // page size (at least 1)
	After  string // the ID of the last event of the previous page; "" starts at the newest
}

// EventStore keeps the audit trail.
type EventStore interface {
	// RecordEvents stores events that come with no other change (a failed
	// login for an unknown name, a reset requested): like any write with
	// WithEvents. Events stored already (same ID) are left as they are.
	RecordEvents(ctx context.Context, evs ...*Event) error
	// ListEvents returns up to q.First events matching q.Filter, newest
	// first, strictly after q.After, and whether more follow. It reads by
	// index (the id, or the actor's, subject's, IP's or type's), never the
	// whole trail. Returns ErrInvalid if First < 1.
	ListEvents(ctx context.Context, q EventQuery) ([]*Event, bool, error)
	// GetEvent returns ErrNotFound if no event has the id.
	GetEvent(ctx context.Context, id string) (*Event, error)
	// PurgeEvents deletes up to limit events whose At is before t, oldest
	// first, and returns how many.
	PurgeEvents(ctx context.Context, t time.Time, limit int) (int, error)
	// RelayEvents moves events that wait in changed records (a backend
	// without transactions keeps them there) to the trail and the outbox,
	// at most limit records' worth, and returns how many events it moved.
	// A backend that writes events in the change's transaction has none.
	RelayEvents(ctx context.Context, limit int) (int, error)
}
