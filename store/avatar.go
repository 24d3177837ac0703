package store

import (
	"context"
	"time"
)

// Avatar is an image a user uploaded, as GET /avatars/{ID} serves it:
// already checked and re-encoded by package avatars, which also derives
// the ID from the image and its owner, so that a new image always gets a
// new ID and caches never serve an old one under it.
type Avatar struct {
	ID          string
	UserID      string
	ContentType string // image/png or image/jpeg
	Data        []byte
	CreatedAt   time.Time
}

// AvatarStore keeps avatar images. A user's avatars go with the user
// (DeleteUser, DeleteUsers, PurgeGuests); which one a user shows is the
// user's AvatarURL, not the store's concern.
type AvatarStore interface {
	// PutAvatar stores a (caller sets every field). If an avatar with a.ID
	// is stored already, it stays as it is and PutAvatar returns nil: an
	// ID names one image of one user, so storing it again changes nothing.
	PutAvatar(ctx context.Context, a *Avatar) error
	// GetAvatar returns ErrNotFound if no avatar has the id.
	GetAvatar(ctx context.Context, id string) (*Avatar, error)
	// DeleteAvatar removes the avatar with the id if userID owns it.
	// Returns ErrNotFound if the user has no avatar with that id.
	DeleteAvatar(ctx context.Context, userID, id string) error
}

// Normalize puts a in its stored form (CreatedAt in UTC, milliseconds).
func (a *Avatar) Normalize() { a.CreatedAt = Trunc(a.CreatedAt) }
