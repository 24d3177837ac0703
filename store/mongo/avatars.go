package mongo

import (
	"bytes"
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Avatars live in GridFS, MongoDB's standard way of storing files (the
// bucket "avatars": collections avatars.files and avatars.chunks), so
// that an image never comes near the 16 MiB document limit however large
// USERGRAPH_AVATAR_MAX_BYTES is set, and the usual tools (mongofiles,
// mongodump) see them as files. FerretDB serves GridFS as well (the
// conformance suite runs on it).
//
// A file's name is the avatar's id and its metadata the rest of the
// record. GridFS writes a file's chunks, then its files document, with no
// transaction, so two concurrent PutAvatar of one id may both write: each
// read takes the first file of the name, and a delete removes all of them
// — harmless, since files of one name hold the same image.

// avatarsBucket is the GridFS bucket's name.
const avatarsBucket = "avatars"

// avatarMeta is a GridFS file's metadata: the avatar record but its data.
type avatarMeta struct {
	UserID      string        `bson:"userId"`
	ContentType string        `bson:"contentType"`
	CreatedAt   bson.DateTime `bson:"createdAt"`
}

// avatarFile is a GridFS files document, as far as the store reads it.
type avatarFile struct {
	ID       bson.ObjectID `bson:"_id"`
	Filename string        `bson:"filename"`
	Meta     avatarMeta    `bson:"metadata"`
}

func (db *DB) avatarFiles() *mongo.Collection { return db.db.Collection(avatarsBucket + ".files") }

// PutAvatar uploads a unless a file of its id is stored already.
func (db *DB) PutAvatar(ctx context.Context, a *store.Avatar) error {
	a.Normalize()
	n, err := db.avatarFiles().CountDocuments(ctx, bson.D{{Key: "filename", Value: a.ID}}, options.Count().SetLimit(1))
	if err != nil {
		return wrap("find avatar", err)
	}
	if n > 0 {
		return nil
	}
	meta := avatarMeta{UserID: a.UserID, ContentType: a.ContentType, CreatedAt: bson.NewDateTimeFromTime(a.CreatedAt)}
	_, err = db.avatars.UploadFromStream(ctx, a.ID, bytes.NewReader(a.Data), options.GridFSUpload().SetMetadata(meta))
	return wrap("upload avatar", err)
}

// GetAvatar reads the first file of the id, with its chunks.
func (db *DB) GetAvatar(ctx context.Context, id string) (*store.Avatar, error) {
	var f avatarFile
	err := db.avatarFiles().FindOne(ctx, bson.D{{Key: "filename", Value: id}}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: 1}})).Decode(&f)
	if err != nil {
		return nil, wrap("find avatar", err)
	}
	var data bytes.Buffer
	if _, err := db.avatars.DownloadToStream(ctx, f.ID, &data); err != nil {
		return nil, wrap("download avatar", err)
	}
	return &store.Avatar{ID: f.Filename, UserID: f.Meta.UserID, ContentType: f.Meta.ContentType,
		Data: data.Bytes(), CreatedAt: f.Meta.CreatedAt.Time().UTC()}, nil
}

// DeleteAvatar deletes the user's files of the id.
func (db *DB) DeleteAvatar(ctx context.Context, userID, id string) error {
	n, err := db.deleteAvatarFiles(ctx, bson.D{{Key: "filename", Value: id}, {Key: "metadata.userId", Value: userID}})
	if err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}

// deleteAvatarFiles deletes the GridFS files that filter matches, each
// with its chunks, and returns how many.
func (db *DB) deleteAvatarFiles(ctx context.Context, filter bson.D) (int, error) {
	cur, err := db.avatarFiles().Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return 0, wrap("find avatars", err)
	}
	var files []avatarFile
	if err := cur.All(ctx, &files); err != nil {
		return 0, wrap("find avatars", err)
	}
	for _, f := range files {
		if err := db.avatars.Delete(ctx, f.ID); err != nil && err != mongo.ErrFileNotFound {
			return 0, wrap("delete avatar", err)
		}
	}
	return len(files), nil
}
