// Package avatars holds the rules of uploaded avatars: which files are
// images (image.go), how they are stored, and how a user's avatarUrl
// comes to point at one and moves on to the next. The HTTP surface
// serves them at GET /avatars/{id} (httpapi/avatars.go).
package avatars

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// DefaultMaxBytes is the largest upload by default (USERGRAPH_AVATAR_MAX_BYTES).
const DefaultMaxBytes = 2 << 20

// Config is what a deployment chooses.
type Config struct {
	MaxBytes  int64  // the largest upload, in bytes (0: DefaultMaxBytes)
	Bounds    Bounds // dimensions (zero: DefaultBounds)
	PublicURL string // the server's base URL: avatar URLs are PublicURL/avatars/{id}
}

// Deps are what the service builds on.
type Deps struct {
	Store store.AvatarsStore
	// Forget is called with a user whose avatarUrl changed, so that
	// cached sessions read the user again (session.Manager.ForgetUsers).
	Forget func(userIDs ...string)
	Log    *slog.Logger
}

// Service stores and removes users' avatars.
type Service struct {
	store  store.AvatarsStore
	forget func(userIDs ...string)
	cfg    Config
	prefix string // PublicURL + "/avatars/": what a stored avatar's URL starts with
	// decoding admits one decode at a time: each may take tens of
	// megabytes (DefaultBounds), and avatars change seldom.
	decoding chan struct{}
	log      *slog.Logger
}

// New returns the service.
func New(d Deps, cfg Config) *Service {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Bounds == (Bounds{}) {
		cfg.Bounds = DefaultBounds()
	}
	return &Service{store: d.Store, forget: d.Forget, cfg: cfg, prefix: strings.TrimSuffix(cfg.PublicURL, "/") + "/avatars/",
		decoding: make(chan struct{}, 1), log: d.Log}
}

// Upload checks the image file holds, stores it re-encoded and points the
// user's avatarUrl at it, then deletes the avatar it replaces. A file that
// is refused (BAD_USER_INPUT on "file") changes nothing.
//
// The steps are ordered so that no user ever points at a missing image:
// store the new one, then switch the user to it, then delete the old one
// — the one this very switch replaced, so two uploads racing each delete
// only what the other will not point at. A failure between the steps
// leaves an unreferenced image, which goes with its user.
func (s *Service) Upload(ctx context.Context, userID string, file io.Reader) (*store.User, error) {
	if userID == "" {
		return nil, apperr.New(apperr.Forbidden, "only a user has an avatar")
	}
	data, err := s.read(file)
	if err != nil {
		return nil, err
	}
	img, contentType, err := s.reencode(ctx, data)
	if err != nil {
		return nil, err
	}
	a := &store.Avatar{ID: avatarID(userID, img), UserID: userID, ContentType: contentType, Data: img, CreatedAt: store.Now()}
	if err := s.store.PutAvatar(ctx, a); err != nil {
		return nil, err
	}
	u, old, err := s.point(ctx, userID, s.prefix+a.ID)
	if errors.Is(err, store.ErrNotFound) { // the user is gone: nobody will point at it
		s.delete(ctx, userID, a.ID)
	}
	if err != nil {
		return nil, err
	}
	if old != a.ID {
		s.delete(ctx, userID, old)
	}
	return u, nil
}

// Remove clears the user's avatarUrl and deletes the image it pointed
// at, if it was an uploaded one.
func (s *Service) Remove(ctx context.Context, userID string) (*store.User, error) {
	if userID == "" {
		return nil, apperr.New(apperr.Forbidden, "only a user has an avatar")
	}
	u, old, err := s.point(ctx, userID, "")
	if err != nil {
		return nil, err
	}
	s.delete(ctx, userID, old)
	return u, nil
}

// Release deletes the uploaded avatar url names, once a change that is
// not an upload (updateProfile, updateUser) pointed the user elsewhere;
// any other URL is left alone. (An upload of this very image racing the
// change may see it deleted under it; the user then uploads again.)
func (s *Service) Release(ctx context.Context, userID, url string) {
	s.delete(ctx, userID, s.idOf(url))
}

// Get returns a stored avatar (GET /avatars/{id}); ErrNotFound if none.
func (s *Service) Get(ctx context.Context, id string) (*store.Avatar, error) {
	return s.store.GetAvatar(ctx, id)
}

// read reads the whole upload, refusing one over MaxBytes after reading
// at most one byte more.
func (s *Service) read(file io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(file, s.cfg.MaxBytes+1))
	if err != nil {
		return nil, apperr.Input("file", "the upload could not be read")
	}
	if int64(len(data)) > s.cfg.MaxBytes {
		return nil, apperr.Input("file", "the file is larger than %d bytes", s.cfg.MaxBytes)
	}
	return data, nil
}

// reencode is the package's reencode, one at a time.
func (s *Service) reencode(ctx context.Context, data []byte) ([]byte, string, error) {
	select {
	case s.decoding <- struct{}{}:
		defer func() { <-s.decoding }()
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	return reencode(data, s.cfg.Bounds)
}

// point sets the user's avatarUrl to url and returns the user and the id
// of the uploaded avatar the url replaced ("" if it was none of ours).
// old is from the update's last run, the one that was written.
func (s *Service) point(ctx context.Context, userID, url string) (*store.User, string, error) {
	var old string
	ev := audit.New(ctx, audit.UserUpdated, userID, audit.Data{"fields": []string{"avatarUrl"}})
	u, err := s.store.UpdateUser(audit.With(ctx, ev), userID, func(u *store.User) error {
		old = s.idOf(u.AvatarURL)
		u.AvatarURL = url
		u.UpdatedAt = store.Now()
		return nil
	})
	s.forget(userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", apperr.Wrap(apperr.NotFound, err, "no such user")
	}
	return u, old, err
}

// idOf returns the avatar id of an uploaded avatar's URL, "" for any other.
func (s *Service) idOf(url string) string {
	id, ok := strings.CutPrefix(url, s.prefix)
	if !ok || strings.ContainsAny(id, "/?#") {
		return ""
	}
	return id
}

// delete deletes an avatar of the user that nobody points at any more.
// A failure only leaves the image until the user goes, so it is logged,
// not returned: the change the caller asked for is done.
func (s *Service) delete(ctx context.Context, userID, id string) {
	if id == "" {
		return
	}
	if err := s.store.DeleteAvatar(ctx, userID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.ErrorContext(ctx, "avatars: deleting a replaced avatar failed", "user_id", userID, "avatar_id", id, "err", err)
	}
}

// avatarID names an image of a user: a hash of both, so that it changes
// with the image (caches may keep an id's answer for ever) and two users
// with the same picture each own their copy.
func avatarID(userID string, img []byte) string {
	h := sha256.New()
	h.Write([]byte(userID))
	h.Write([]byte{0})
	h.Write(img)
	return hex.EncodeToString(h.Sum(nil)[:16])
}
