package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Every error this package returns is one of the store's sentinels
// (store.ErrNotFound, a *store.ConflictError, store.ErrConflict,
// store.ErrInvalid) or a *fault. A fault's message names the operation and
// the kind of failure only; the driver's own text, which may quote
// documents, stays out of error strings and reaches logs through LogValue.

// fault is a database failure that is none of the store's sentinels.
type fault struct {
	op  string
	err error
}

func (f *fault) Error() string { return "mongodb: " + f.op + " failed (" + describe(f.err) + ")" }

// Unwrap keeps errors.Is(err, context.Canceled) and the like working.
func (f *fault) Unwrap() error { return f.err }

// LogValue gives logs the driver's message as well.
func (f *fault) LogValue() slog.Value { return slog.StringValue(f.Error() + ": " + f.err.Error()) }

// describe classifies a driver error without quoting it.
func describe(err error) string {
	var ce mongo.CommandError
	var se mongo.ServerError
	switch {
	case errors.Is(err, errClaimHeld):
		return errClaimHeld.Error()
	case errors.Is(err, context.Canceled):
		return "canceled"
	case mongo.IsTimeout(err):
		return "timeout"
	case mongo.IsNetworkError(err):
		return "network error"
	case mongo.IsDuplicateKeyError(err):
		return "duplicate key"
	case errors.As(err, &ce) && ce.Name != "":
		return ce.Name
	case errors.As(err, &se) && len(se.ErrorCodes()) > 0:
		return fmt.Sprintf("server error %d", se.ErrorCodes()[0])
	}
	return "driver error"
}

// wrap maps a driver error: no document is store.ErrNotFound, the store's
// own sentinels pass, everything else becomes a fault of op.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return store.ErrNotFound
	case isStoreError(err):
		return err
	}
	return &fault{op: op, err: err}
}

func isStoreError(err error) bool {
	for _, s := range []error{store.ErrNotFound, store.ErrAlreadyExists, store.ErrConflict, store.ErrInvalid} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// Index names, as the duplicate-key errors of MongoDB report them.
const (
	indexUsername = "unique_username"
	indexEmail    = "unique_email"
	indexPhone    = "unique_phone"
	indexRoleName = "unique_name"
	// indexDeviceToken is devices' unique (userId, token).
	indexDeviceToken = "unique_userId_token"
	indexClientID    = "unique_clientId" // applications'
)

// indexFields maps a unique index to the field a collision on it names.
var indexFields = map[string]string{
	indexUsername: store.FieldUsername,
	indexEmail:    store.FieldEmail,
	indexPhone:    store.FieldPhone,
	indexRoleName: store.FieldName,
}

// dupIndex returns the index a duplicate-key error names, if the server
// names one: MongoDB does ("… index: unique_email dup key: …"), FerretDB 1.x
// does not. ok is false for any other error.
func dupIndex(err error) (index string, ok bool) {
	if !mongo.IsDuplicateKeyError(err) {
		return "", false
	}
	msg := err.Error()
	i := strings.Index(msg, " index: ")
	if i < 0 {
		return "", true
	}
	name, _, _ := strings.Cut(msg[i+len(" index: "):], " ")
	return name, true
}

// failedIndex is the index of the document an ordered insert of n
// documents stopped at (0 if the error does not say).
func failedIndex(err error, n int) int {
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 {
		if i := bwe.WriteErrors[0].Index; i >= 0 && i < n {
			return i
		}
	}
	return 0
}

// onServer reports whether the server refused the write (as opposed to a
// network failure or a timeout), which makes a look-up worth trying.
func onServer(err error) bool {
	var se mongo.ServerError
	return errors.As(err, &se) && !mongo.IsTimeout(err) && !mongo.IsNetworkError(err)
}

// idConflict maps the failed insert of a record whose only unique key is
// its _id (sessions, tokens, keys, settings): a duplicate key is field.
func idConflict(op string, err error, field string) error {
	if _, dup := dupIndex(err); dup {
		return store.AlreadyExists(field)
	}
	return wrap(op, err)
}

// userConflict maps a failed insert or replace of the user document d.
// When MongoDB names the index the answer is immediate. Servers that do
// not (FerretDB reports "E11000" without an index on insert, and a unique
// violation on update as an internal error) get a look-up of which unique
// value another document holds; if none does, the error stays a fault.
func (db *DB) userConflict(ctx context.Context, op string, err error, d *userDoc, insert bool) error {
	if index, dup := dupIndex(err); dup && index != "" {
		if field, ok := indexFields[index]; ok {
			return store.AlreadyExists(field)
		}
		return store.AlreadyExists(store.FieldID)
	}
	if !onServer(err) {
		return wrap(op, err)
	}
	if field := db.takenUserKey(ctx, d, insert); field != "" {
		return store.AlreadyExists(field)
	}
	return wrap(op, err)
}

// takenUserKey finds which unique value of d another user holds (or, for
// an insert, whether the id is taken), in the order id, username, email,
// phone; "" if none.
func (db *DB) takenUserKey(ctx context.Context, d *userDoc, insert bool) string {
	f := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "_id", Value: d.ID}},
		bson.D{{Key: fieldUniqueUsername, Value: d.Unique.Username}},
		bson.D{{Key: fieldUniqueEmail, Value: d.Unique.Email}},
		bson.D{{Key: fieldUniquePhone, Value: d.Unique.Phone}},
	}}}
	cur, err := db.users.Find(ctx, f, options.Find().SetProjection(bson.D{{Key: "unique", Value: 1}}).SetLimit(4))
	if err != nil {
		return ""
	}
	var others []userDoc
	if cur.All(ctx, &others) != nil {
		return ""
	}
	for _, o := range others {
		if insert && o.ID == d.ID {
			return store.FieldID
		}
	}
	for _, o := range others {
		switch {
		case o.ID == d.ID:
		case o.Unique.Username == d.Unique.Username:
			return store.FieldUsername
		case o.Unique.Email == d.Unique.Email:
			return store.FieldEmail
		case o.Unique.Phone == d.Unique.Phone:
			return store.FieldPhone
		}
	}
	return ""
}

// roleConflict is userConflict for roles: the id or the name.
func (db *DB) roleConflict(ctx context.Context, op string, err error, d *roleDoc, insert bool) error {
	if index, dup := dupIndex(err); dup && index != "" {
		if index == indexRoleName {
			return store.AlreadyExists(store.FieldName)
		}
		return store.AlreadyExists(store.FieldID)
	}
	if !onServer(err) {
		return wrap(op, err)
	}
	if insert {
		if n, _ := db.roles.CountDocuments(ctx, bson.D{{Key: "_id", Value: d.ID}}); n > 0 {
			return store.AlreadyExists(store.FieldID)
		}
	}
	f := bson.D{{Key: "name", Value: d.Name}, {Key: "_id", Value: bson.D{{Key: "$ne", Value: d.ID}}}}
	if n, _ := db.roles.CountDocuments(ctx, f); n > 0 {
		return store.AlreadyExists(store.FieldName)
	}
	return wrap(op, err)
}

// notImplemented reports whether the server refused a command as a
// feature it lacks (FerretDB: NotImplemented; others: CommandNotSupported
// or a message saying so), as opposed to a real failure.
func notImplemented(err error) bool {
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return false
	}
	if se.HasErrorCode(238) || se.HasErrorCode(115) { // NotImplemented, CommandNotSupported
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "not implemented") || strings.Contains(msg, "not supported")
}
