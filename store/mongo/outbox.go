package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Claims are written as inserts under a unique key (claims.go): a claimer
// first inserts {_id: "<messageID>:<seq>"} into outbox_claims, where seq is
// one more than the message's leaseSeq as read, held until its lease ends;
// only the winner then writes the lease onto the message, conditioned on
// leaseSeq still being the one read. A claim whose claimer died between
// its two writes is stepped over once that lease has ended, so such a
// message is claimable again when it would have been anyway.

type outboxDoc struct {
	ID            string        `bson:"_id"`
	Kind          string        `bson:"kind"`
	Payload       []byte        `bson:"payload"`
	OrderKey      string        `bson:"orderKey"`
	Ref           string        `bson:"ref"`
	State         string        `bson:"state"`
	Attempts      int64         `bson:"attempts"`
	NextAttemptAt bson.DateTime `bson:"nextAttemptAt"`
	LeaseOwner    string        `bson:"leaseOwner"`
	LeaseSeq      int64         `bson:"leaseSeq"`
	LeaseUntil    bson.DateTime `bson:"leaseUntil"`
	LastError     string        `bson:"lastError"`
	CreatedAt     bson.DateTime `bson:"createdAt"`
	DoneAt        bson.DateTime `bson:"doneAt"`
}

func toOutboxDoc(m *store.OutboxMessage) *outboxDoc {
	return &outboxDoc{ID: m.ID, Kind: m.Kind, Payload: nonNilBytes(m.Payload), OrderKey: m.OrderKey, Ref: m.Ref,
		State: string(m.State), Attempts: int64(m.Attempts), NextAttemptAt: dateOf(m.NextAttemptAt),
		LeaseOwner: m.Lease.Owner, LeaseSeq: m.Lease.Seq, LeaseUntil: dateOf(m.Lease.Until),
		LastError: m.LastError, CreatedAt: dateOf(m.CreatedAt), DoneAt: dateOf(m.DoneAt)}
}

func (d *outboxDoc) message() *store.OutboxMessage {
	return &store.OutboxMessage{ID: d.ID, Kind: d.Kind, Payload: nonNilBytes(d.Payload), OrderKey: d.OrderKey, Ref: d.Ref,
		State: store.OutboxState(d.State), Attempts: int(d.Attempts), NextAttemptAt: timeOf(d.NextAttemptAt),
		Lease:     store.OutboxLease{Owner: d.LeaseOwner, Seq: d.LeaseSeq, Until: timeOf(d.LeaseUntil)},
		LastError: d.LastError, CreatedAt: timeOf(d.CreatedAt), DoneAt: timeOf(d.DoneAt)}
}

// enqueueOutbox inserts the messages unordered, so that an id stored
// already (a duplicate key, ignored) does not stop the others. Each
// carries evs as its pending events (pending.go): the events of the act
// that queues them.
func (db *DB) enqueueOutbox(ctx context.Context, evs []*store.Event, msgs ...*store.OutboxMessage) error {
	docs := make([]any, len(msgs))
	for i, m := range msgs {
		if m.ID == "" || m.Kind == "" {
			return store.Invalidf("an outbox message needs an id and a kind")
		}
		m.Normalize()
		d, err := withPending(toOutboxDoc(m), evs)
		if err != nil {
			return err
		}
		docs[i] = d
	}
	if len(docs) == 0 {
		return nil
	}
	_, err := db.outbox.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil || onlyDuplicates(err) {
		return nil
	}
	return wrap("enqueue outbox", err)
}

// onlyDuplicates reports whether every write error of a bulk insert is a
// duplicate key.
func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || len(bwe.WriteErrors) == 0 || bwe.WriteConcernError != nil {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if !we.HasErrorCode(11000) {
			return false
		}
	}
	return true
}

// claimPage is how many candidates a claim reads at a time: enough that
// claimers racing for the same head of the queue still find a free one.
func claimPage(limit int) int64 { return int64(min(max(2*limit, 20), 500)) }

// ClaimOutbox reads due candidates a page at a time, oldest due first,
// and claims each that heads its order key (claimOne) until it holds
// c.Limit or no candidate is left.
func (db *DB) ClaimOutbox(ctx context.Context, c store.OutboxClaim) ([]*store.OutboxMessage, error) {
	if c.Kind == "" || c.Owner == "" || c.Lease <= 0 {
		return nil, store.Invalidf("an outbox claim needs a kind, an owner and a positive lease")
	}
	now, until := dateOf(store.Trunc(c.Now)), dateOf(store.Trunc(c.Now.Add(c.Lease)))
	var out []*store.OutboxMessage
	var after *outboxDoc
	for len(out) < c.Limit {
		page, err := db.claimCandidates(ctx, c.Kind, now, after, claimPage(c.Limit))
		if err != nil {
			return out, err
		}
		heads, err := db.orderHeads(ctx, page)
		if err != nil {
			return out, err
		}
		for _, d := range page {
			if d.OrderKey != "" && heads[d.OrderKey] != d.ID {
				continue // an older message of its key is pending
			}
			m, err := db.claimOne(ctx, d, c.Owner, now, until)
			if err != nil {
				return out, err
			}
			if m != nil {
				out = append(out, m)
			}
			if len(out) == c.Limit {
				break
			}
		}
		if int64(len(page)) < claimPage(c.Limit) {
			break
		}
		after = page[len(page)-1]
	}
	return out, nil
}

// claimCandidates reads one page of pending, due, unleased messages of
// kind in (nextAttemptAt, _id) order, after the candidate after.
func (db *DB) claimCandidates(ctx context.Context, kind string, now bson.DateTime, after *outboxDoc, n int64) ([]*outboxDoc, error) {
	f := bson.D{
		{Key: "kind", Value: kind},
		{Key: "state", Value: string(store.OutboxPending)},
		{Key: "nextAttemptAt", Value: bson.D{{Key: "$lte", Value: now}}},
		{Key: "leaseUntil", Value: bson.D{{Key: "$lte", Value: now}}},
	}
	if after != nil {
		f = append(f, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "nextAttemptAt", Value: bson.D{{Key: "$gt", Value: after.NextAttemptAt}}}},
			bson.D{{Key: "nextAttemptAt", Value: after.NextAttemptAt}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: after.ID}}}},
		}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "nextAttemptAt", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(n)
	cur, err := db.outbox.Find(ctx, f, opts)
	if err != nil {
		return nil, wrap("find outbox candidates", err)
	}
	var docs []*outboxDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("find outbox candidates", err)
	}
	return docs, nil
}

// orderHeads returns, for each order key in page, the id of its oldest
// pending message: the only one of the key that may be claimed.
func (db *DB) orderHeads(ctx context.Context, page []*outboxDoc) (map[string]string, error) {
	heads := map[string]string{}
	for _, d := range page {
		if d.OrderKey == "" {
			continue
		}
		if _, ok := heads[d.OrderKey]; ok {
			continue
		}
		var head struct {
			ID string `bson:"_id"`
		}
		err := db.outbox.FindOne(ctx,
			bson.D{{Key: "orderKey", Value: d.OrderKey}, {Key: "state", Value: string(store.OutboxPending)}},
			options.FindOne().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.D{{Key: "_id", Value: 1}}),
		).Decode(&head)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, wrap("find outbox order head", err)
		}
		heads[d.OrderKey] = head.ID
	}
	return heads, nil
}

// claimOne claims the candidate d as read, or returns nil if another
// claimer has it or it changed since it was read.
func (db *DB) claimOne(ctx context.Context, d *outboxDoc, owner string, now, until bson.DateTime) (*store.OutboxMessage, error) {
	seq, ok, err := takeClaim(ctx, db.outboxClaims, d.ID, d.LeaseSeq+1, owner, now, until)
	if err != nil || !ok {
		return nil, err
	}
	var got outboxDoc
	err = db.outbox.FindOneAndUpdate(ctx,
		bson.D{
			{Key: "_id", Value: d.ID},
			{Key: "state", Value: string(store.OutboxPending)},
			{Key: "leaseSeq", Value: d.LeaseSeq},
			{Key: "nextAttemptAt", Value: bson.D{{Key: "$lte", Value: now}}},
		},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "leaseOwner", Value: owner}, {Key: "leaseSeq", Value: seq}, {Key: "leaseUntil", Value: until}}},
			{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
		},
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&got)
	if errors.Is(err, mongo.ErrNoDocuments) {
		// Settled, retried or purged since it was read: give the claim
		// back, so the next claimer of this seq is not held up by it.
		giveBackClaim(ctx, db.outboxClaims, d.ID, seq)
		return nil, nil
	}
	if err != nil {
		return nil, wrap("claim outbox message", err)
	}
	return got.message(), nil
}

// CompleteOutbox marks a message sent, holder only.
func (db *DB) CompleteOutbox(ctx context.Context, id string, lease store.OutboxLease, at time.Time) error {
	return db.settleOutbox(ctx, "complete outbox message", id, lease, bson.D{
		{Key: "state", Value: string(store.OutboxSent)},
		{Key: "doneAt", Value: dateOf(store.Trunc(at))},
		{Key: "payload", Value: []byte{}},
	})
}

// RetryOutbox makes a message due again at next, holder only.
func (db *DB) RetryOutbox(ctx context.Context, id string, lease store.OutboxLease, next time.Time, errText string) error {
	return db.settleOutbox(ctx, "retry outbox message", id, lease, bson.D{
		{Key: "nextAttemptAt", Value: dateOf(store.Trunc(next))},
		{Key: "lastError", Value: errText},
	})
}

// DropOutbox marks a message dead, holder only.
func (db *DB) DropOutbox(ctx context.Context, id string, lease store.OutboxLease, at time.Time, errText string) error {
	return db.settleOutbox(ctx, "drop outbox message", id, lease, bson.D{
		{Key: "state", Value: string(store.OutboxDead)},
		{Key: "doneAt", Value: dateOf(store.Trunc(at))},
		{Key: "payload", Value: []byte{}},
		{Key: "lastError", Value: errText},
	})
}

// settleOutbox applies set to a pending message whose lease is still the
// caller's and releases the lease; ErrNotFound or ErrConflict otherwise.
func (db *DB) settleOutbox(ctx context.Context, op, id string, lease store.OutboxLease, set bson.D) error {
	if lease.Owner == "" {
		return store.ErrConflict // a released lease has no owner: nobody holds it
	}
	set = append(set, bson.E{Key: "leaseOwner", Value: ""}, bson.E{Key: "leaseUntil", Value: never})
	res, err := db.outbox.UpdateOne(ctx,
		bson.D{
			{Key: "_id", Value: id},
			{Key: "state", Value: string(store.OutboxPending)},
			{Key: "leaseOwner", Value: lease.Owner},
			{Key: "leaseSeq", Value: lease.Seq},
		},
		bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return wrap(op, err)
	}
	if res.MatchedCount == 1 {
		return nil
	}
	n, err := db.outbox.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// NextOutboxDue returns the earliest moment after after at which a
// pending message of kind comes due or its lease runs out; zero if none.
func (db *DB) NextOutboxDue(ctx context.Context, kind string, after time.Time) (time.Time, error) {
	at := dateOf(store.Trunc(after))
	due, err := db.earliestAfter(ctx, kind, "nextAttemptAt", at) // follows the claim's index
	if err != nil {
		return time.Time{}, err
	}
	leaseEnd, err := db.earliestAfter(ctx, kind, "leaseUntil", at)
	if err != nil {
		return time.Time{}, err
	}
	if due.IsZero() || (!leaseEnd.IsZero() && leaseEnd.Before(due)) {
		return leaseEnd, nil
	}
	return due, nil
}

// earliestAfter returns the smallest date in field after at of kind's
// pending messages; zero if none.
func (db *DB) earliestAfter(ctx context.Context, kind, field string, at bson.DateTime) (time.Time, error) {
	var doc bson.Raw
	err := db.outbox.FindOne(ctx,
		bson.D{
			{Key: "kind", Value: kind},
			{Key: "state", Value: string(store.OutboxPending)},
			{Key: field, Value: bson.D{{Key: "$gt", Value: at}}},
		},
		options.FindOne().SetSort(bson.D{{Key: field, Value: 1}}).SetProjection(bson.D{{Key: field, Value: 1}}),
	).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, wrap("find the next due outbox message", err)
	}
	d, _ := doc.Lookup(field).DateTimeOK()
	return timeOf(bson.DateTime(d)), nil
}

// GetOutbox returns store.ErrNotFound if no message has the id.
func (db *DB) GetOutbox(ctx context.Context, id string) (*store.OutboxMessage, error) {
	var d outboxDoc
	if err := db.outbox.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return nil, wrap("find outbox message", err)
	}
	return d.message(), nil
}

// PurgeOutbox deletes the done messages before t, then the claims whose
// lease ended before t: a claim matters only while its lease holds.
func (db *DB) PurgeOutbox(ctx context.Context, t time.Time) (int, error) {
	cutoff := dateOf(store.Trunc(t))
	res, err := db.outbox.DeleteMany(ctx, bson.D{
		{Key: "state", Value: bson.D{{Key: "$in", Value: bson.A{string(store.OutboxSent), string(store.OutboxDead)}}}},
		{Key: "doneAt", Value: bson.D{{Key: "$lt", Value: cutoff}}},
	})
	if err != nil {
		return 0, wrap("purge outbox", err)
	}
	if _, err := db.outboxClaims.DeleteMany(ctx, bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: cutoff}}}}); err != nil {
		return int(res.DeletedCount), wrap("purge outbox claims", err)
	}
	return int(res.DeletedCount), nil
}

// outboxIndexSpecs are the outbox's indexes: the claim's candidate scan,
// the order-key head look-up, the purges.
func (db *DB) outboxIndexSpecs(k func(...string) bson.D) []indexSpec {
	return []indexSpec{
		{coll: db.outbox, name: "kind_state_nextAttemptAt_id", keys: k("kind", "state", "nextAttemptAt", "_id")},
		{coll: db.outbox, name: "orderKey_state_id", keys: k("orderKey", "state", "_id")},
		{coll: db.outbox, name: "state_doneAt", keys: k("state", "doneAt")},
		{coll: db.outboxClaims, name: "until", keys: k("until")},
	}
}
