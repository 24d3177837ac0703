package avatars_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/avatars"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

const publicURL = "https://id.example"

// env is a service on a real SQLite store, with one user.
type env struct {
	db      *sqlite.DB
	svc     *avatars.Service
	user    string
	forgot  []string // users whose cached sessions the service dropped
	forgotM sync.Mutex
}

func newEnv(t *testing.T, cfg avatars.Config) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "avatars.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u := &store.User{ID: store.NewID(), Username: "ann", UsernameKey: "ann", Status: store.StatusActive, CreatedAt: store.Now()}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, user: u.ID}
	cfg.PublicURL = publicURL
	e.svc = avatars.New(avatars.Deps{Store: db, Log: slog.New(slog.DiscardHandler), Forget: func(ids ...string) {
		e.forgotM.Lock()
		defer e.forgotM.Unlock()
		e.forgot = append(e.forgot, ids...)
	}}, cfg)
	return e
}

// img is a w×h opaque image.
func img(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	return m
}

func encode(t *testing.T, enc func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(t *testing.T, w, h int) []byte {
	return encode(t, func(b io.Writer) error { return png.Encode(b, img(w, h)) })
}

// idOf is the avatar id in an avatarUrl.
func idOf(t *testing.T, url string) string {
	t.Helper()
	id, ok := strings.CutPrefix(url, publicURL+"/avatars/")
	if !ok || id == "" {
		t.Fatalf("avatarUrl %q is not %s/avatars/{id}", url, publicURL)
	}
	return id
}

func (e *env) upload(t *testing.T, data []byte) string {
	t.Helper()
	u, err := e.svc.Upload(context.Background(), e.user, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	return idOf(t, u.AvatarURL)
}

func wantInput(t *testing.T, what string, err error, inMessage string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.BadUserInput || e.Field != "file" || !strings.Contains(e.Message, inMessage) {
		t.Errorf("%s: error %v, want BAD_USER_INPUT on file saying %q", what, err, inMessage)
	}
}

// The bounds are checked on the header's dimensions, both sides and the
// product, at and just past each limit.
func TestBounds(t *testing.T) {
	e := newEnv(t, avatars.Config{Bounds: avatars.Bounds{MaxSide: 40, MaxPixels: 1000}})
	for _, c := range []struct {
		w, h int
		ok   bool
	}{{40, 25, true}, {25, 40, true}, {41, 10, false}, {10, 41, false}, {40, 26, false}, {1, 1, true}} {
		_, err := e.svc.Upload(context.Background(), e.user, bytes.NewReader(pngOf(t, c.w, c.h)))
		if c.ok && err != nil {
			t.Errorf("%d×%d: %v, want it taken", c.w, c.h, err)
		}
		if !c.ok {
			wantInput(t, "an image out of bounds", err, "pixels")
		}
	}
}

func TestSizeLimit(t *testing.T) {
	e := newEnv(t, avatars.Config{MaxBytes: 4096})
	data := pngOf(t, 8, 8)
	padded := append(bytes.Clone(data), make([]byte, 4096-len(data))...) // trailing bytes after IEND
	e.upload(t, padded)
	_, err := e.svc.Upload(context.Background(), e.user, bytes.NewReader(append(padded, 0)))
	wantInput(t, "one byte over the limit", err, "larger than 4096 bytes")
}

// Metadata chunks of a PNG (text, here) are not stored; neither are
// bytes after its end.
func TestPNGMetadataDropped(t *testing.T) {
	e := newEnv(t, avatars.Config{})
	data := pngOf(t, 8, 8)
	// A tEXt chunk before IEND (its CRC is not checked by Go's decoder for
	// ancillary chunks it skips, but write a right one anyway).
	text := []byte("tEXtComment\x00private note")
	chunk := append([]byte{0, 0, 0, byte(len(text) - 4)}, text...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(text))
	iend := len(data) - 12
	withText := append(append(bytes.Clone(data[:iend]), chunk...), data[iend:]...)
	withText = append(withText, []byte("TRAILER")...)
	id := e.upload(t, withText)
	a, err := e.db.GetAvatar(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"private note", "TRAILER", "tEXt"} {
		if bytes.Contains(a.Data, []byte(s)) {
			t.Errorf("the stored avatar contains %q", s)
		}
	}
	if a.ContentType != avatars.TypePNG {
		t.Errorf("ContentType = %q, want %q", a.ContentType, avatars.TypePNG)
	}
}

// An animated GIF keeps its first frame, as a PNG.
func TestGIFFirstFrame(t *testing.T) {
	e := newEnv(t, avatars.Config{})
	pal := []color.Color{color.Black, color.White}
	frame := func(i uint8) *image.Paletted {
		p := image.NewPaletted(image.Rect(0, 0, 4, 4), pal)
		p.SetColorIndex(0, 0, i)
		return p
	}
	data := encode(t, func(b io.Writer) error {
		return gif.EncodeAll(b, &gif.GIF{Image: []*image.Paletted{frame(1), frame(0)}, Delay: []int{10, 10}})
	})
	a, err := e.db.GetAvatar(context.Background(), e.upload(t, data))
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(bytes.NewReader(a.Data))
	if err != nil {
		t.Fatalf("the stored GIF is not a PNG: %v", err)
	}
	if r, _, _, _ := got.At(0, 0).RGBA(); r != 0xffff {
		t.Errorf("pixel (0,0) is %v, want the first frame's white", got.At(0, 0))
	}
}

// A replaced avatar is deleted; uploading the same image again keeps its
// id and its record; removal deletes the last one.
func TestReplaceAndRemove(t *testing.T) {
	e := newEnv(t, avatars.Config{})
	ctx := context.Background()
	first := e.upload(t, pngOf(t, 8, 8))
	second := e.upload(t, encode(t, func(b io.Writer) error { return jpeg.Encode(b, img(8, 8), nil) }))
	if first == second {
		t.Fatal("two images got one id")
	}
	if _, err := e.db.GetAvatar(ctx, first); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the replaced avatar: GetAvatar error %v, want ErrNotFound", err)
	}
	if again := e.upload(t, encode(t, func(b io.Writer) error { return jpeg.Encode(b, img(8, 8), nil) })); again != second {
		t.Errorf("the same image again got id %s, want %s", again, second)
	}
	if _, err := e.db.GetAvatar(ctx, second); err != nil {
		t.Errorf("re-uploading the current image deleted it: %v", err)
	}
	u, err := e.svc.Remove(ctx, e.user)
	if err != nil || u.AvatarURL != "" {
		t.Fatalf("Remove: avatarUrl %q, %v; want none", u.AvatarURL, err)
	}
	if _, err := e.db.GetAvatar(ctx, second); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the removed avatar: GetAvatar error %v, want ErrNotFound", err)
	}
	if len(e.forgot) != 4 || e.forgot[0] != e.user {
		t.Errorf("sessions forgotten for %v, want the user after each of the 4 changes", e.forgot)
	}
}

// An https avatarUrl set by the user is not ours: uploading over it or
// removing it deletes nothing and fails nothing.
func TestForeignURLLeftAlone(t *testing.T) {
	e := newEnv(t, avatars.Config{})
	ctx := context.Background()
	if _, err := e.db.UpdateUser(ctx, e.user, func(u *store.User) error {
		u.AvatarURL = "https://cdn.example/avatars/x"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.upload(t, pngOf(t, 4, 4))
	if _, err := e.svc.Remove(ctx, e.user); err != nil {
		t.Fatal(err)
	}
}

// Two users with the same picture each own a copy: ids differ, and one's
// removal leaves the other's.
func TestSamePictureTwoUsers(t *testing.T) {
	e := newEnv(t, avatars.Config{})
	ctx := context.Background()
	bob := &store.User{ID: store.NewID(), Username: "bob", UsernameKey: "bob", Status: store.StatusActive, CreatedAt: store.Now()}
	if err := e.db.CreateUser(ctx, bob); err != nil {
		t.Fatal(err)
	}
	data := pngOf(t, 6, 6)
	annID := e.upload(t, data)
	u, err := e.svc.Upload(ctx, bob.ID, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	bobID := idOf(t, u.AvatarURL)
	if annID == bobID {
		t.Fatal("two users' avatars share an id")
	}
	if _, err := e.svc.Remove(ctx, e.user); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.GetAvatar(ctx, bobID); err != nil {
		t.Errorf("bob's avatar after ann removed hers: %v", err)
	}
}

// Release deletes only the user's own uploaded avatar a URL names.
func TestRelease(t *testing.T) {
	e := newEnv(t, avatars.Config{})
	ctx := context.Background()
	id := e.upload(t, pngOf(t, 5, 5))
	e.svc.Release(ctx, "someone-else", publicURL+"/avatars/"+id)
	e.svc.Release(ctx, e.user, "https://cdn.example/avatars/"+id)
	if _, err := e.db.GetAvatar(ctx, id); err != nil {
		t.Fatalf("after releasing another user's and a foreign URL: %v", err)
	}
	e.svc.Release(ctx, e.user, publicURL+"/avatars/"+id)
	if _, err := e.db.GetAvatar(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after releasing the user's own: GetAvatar error %v, want ErrNotFound", err)
	}
}
