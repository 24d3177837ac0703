package events

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// Paging bounds of auditEvents and webhookDeliveries.
const (
	DefaultFirst = 50
	MaxFirst     = 500
	maxTypes     = 64
	maxIDBytes   = 128
)

// AuditFilter is auditEvents' filter (API.md's AuditFilter).
type AuditFilter struct {
	Types     []string
	ActorID   string
	SubjectID string
	IP        string
	At        store.TimeRange
}

// EventPage is one page of the trail, newest first.
type EventPage struct {
	Events  []*store.Event
	HasNext bool
}

// Cursor is the opaque position after e (its id, encoded).
func Cursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func fromCursor(field, c string) (string, error) {
	if c == "" {
		return "", nil
	}
	id, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(id) == 0 || len(id) > maxIDBytes {
		return "", apperr.Input(field, "not a cursor this query returned")
	}
	return string(id), nil
}

func checkFirst(first int) (int, error) {
	switch {
	case first == 0:
		return DefaultFirst, nil
	case first < 0 || first > MaxFirst:
		return 0, apperr.Input("first", "first must be between 1 and %d", MaxFirst)
	}
	return first, nil
}

// Events returns a page of the audit trail matching f, newest first, after
// the cursor after. Unknown types are refused (a typo would otherwise
// match nothing, silently).
func (s *Service) Events(ctx context.Context, f AuditFilter, first int, after string) (*EventPage, error) {
	first, err := checkFirst(first)
	if err != nil {
		return nil, err
	}
	afterID, err := fromCursor("after", after)
	if err != nil {
		return nil, err
	}
	if len(f.Types) > maxTypes {
		return nil, apperr.Input("types", "at most %d types", maxTypes)
	}
	for _, t := range f.Types {
		if !audit.Known(t) {
			return nil, apperr.Input("types", "%q is not an event type (see API.md's catalogue)", t)
		}
	}
	for field, v := range map[string]string{"actorId": f.ActorID, "subjectId": f.SubjectID, "ip": f.IP} {
		if len(v) > maxIDBytes {
			return nil, apperr.Input(field, "at most %d bytes", maxIDBytes)
		}
	}
	evs, more, err := s.store.ListEvents(ctx, store.EventQuery{First: first, After: afterID, Filter: store.AuditFilter{
		Types: f.Types, ActorID: f.ActorID, SubjectID: f.SubjectID, IP: f.IP, At: f.At}})
	if err != nil {
		return nil, err
	}
	return &EventPage{Events: evs, HasNext: more}, nil
}

// purgeTrail deletes what is older than the retention, in batches.
func (s *Service) purgeTrail(ctx context.Context, now time.Time) {
	cut := now.Add(-s.cfg.Retention)
	for _, purge := range []func(context.Context, time.Time, int) (int, error){s.store.PurgeEvents, s.store.PurgeWebhookDeliveries} {
		for range 100 { // at most 100 batches a round; the next round goes on
			n, err := purge(ctx, cut, 1000)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("events: purging the audit trail failed", "err", err)
				}
				break
			}
			if n < 1000 {
				break
			}
		}
	}
}
