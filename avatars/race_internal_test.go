package avatars

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// Uploads racing for one user leave the user pointing at a stored image,
// and every other image of the race deleted: each upload deletes the one
// its own switch replaced, never one another upload is about to point at.
func TestConcurrentUploads(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "race.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u := &store.User{ID: store.NewID(), Username: "ann", UsernameKey: "ann", Status: store.StatusActive, CreatedAt: store.Now()}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	svc := New(Deps{Store: db, Log: slog.New(slog.DiscardHandler), Forget: func(...string) {}}, Config{PublicURL: "https://id.example"})
	const n = 8
	files := make([][]byte, n)
	for i := range files {
		m := image.NewGray(image.Rect(0, 0, 4+i, 4))
		m.Set(0, 0, color.Gray{uint8(i)})
		var b bytes.Buffer
		png.Encode(&b, m)
		files[i] = b.Bytes()
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := svc.Upload(ctx, u.ID, bytes.NewReader(files[i])); err != nil {
				t.Errorf("Upload %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got, err := db.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	current := svc.idOf(got.AvatarURL)
	if _, err := db.GetAvatar(ctx, current); err != nil {
		t.Fatalf("the user points at %q, which is not stored: %v", got.AvatarURL, err)
	}
	for i, f := range files {
		img, _, err := reencode(f, DefaultBounds())
		if err != nil {
			t.Fatal(err)
		}
		id := avatarID(u.ID, img)
		_, err = db.GetAvatar(ctx, id)
		if stored := err == nil; stored != (id == current) {
			t.Errorf("upload %d (%s): stored %v, want stored only if current (%s)", i, id, stored, current)
		}
	}
}
