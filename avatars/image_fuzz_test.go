package avatars

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/usergraph/usergraph/apperr"
)

// FuzzReencode: whatever the bytes, reencode answers BAD_USER_INPUT or
// an image within the bounds that decodes as the type it names, and never
// panics. The bounds are small, so a fuzzed header cannot make a run slow.
func FuzzReencode(f *testing.F) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2)))
	for _, seed := range [][]byte{b.Bytes(), []byte("GIF89a"), []byte("\xff\xd8\xff\xe0"), []byte("RIFF\x00\x00\x00\x00WEBPVP8L"), nil} {
		f.Add(seed)
	}
	bounds := Bounds{MaxSide: 64, MaxPixels: 1024}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, contentType, err := reencode(data, bounds)
		if err != nil {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput {
				t.Fatalf("error %v, want BAD_USER_INPUT", err)
			}
			return
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil || "image/"+format != contentType {
			t.Fatalf("output is %q (%v), want %s", format, err, contentType)
		}
		if cfg.Width > bounds.MaxSide || cfg.Height > bounds.MaxSide || cfg.Width*cfg.Height > bounds.MaxPixels {
			t.Fatalf("output is %d×%d, out of bounds", cfg.Width, cfg.Height)
		}
	})
}
