package avatars

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"

	"github.com/usergraph/usergraph/apperr"
)

// What an upload must be, decided from its bytes alone: the name and
// content type a client declares are never read. The image is decoded in
// two steps: its header first (DecodeConfig), so that dimensions out of
// bounds are refused before any pixel memory is allocated — a 50 KB PNG
// can claim 100,000 × 100,000 pixels, a 40 GB decode — and then in full,
// so that a file that is not a whole image is refused too. What is stored
// is the decoded pixels encoded again, PNG or JPEG, by the standard
// library: EXIF, XMP, ICC profiles, comments and anything smuggled after
// the image data are gone, and what is served is always an image that
// this server wrote.

// A format is an image format uploads may be in: how to recognise it from
// its first bytes and how to decode it.
type format struct {
	name   string
	magic  func([]byte) bool
	config func(*bytes.Reader) (image.Config, error)
	decode func(*bytes.Reader) (image.Image, error)
}

var formats = []format{
	{name: "PNG", magic: prefix("\x89PNG\r\n\x1a\n"),
		config: func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) },
		decode: func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) }},
	{name: "JPEG", magic: prefix("\xff\xd8\xff"),
		config: func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) },
		decode: func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) }},
	// gif.Decode reads the first frame only: an animation's other frames
	// are never decoded (nor kept).
	{name: "GIF", magic: func(b []byte) bool { return prefix("GIF87a")(b) || prefix("GIF89a")(b) },
		config: func(r *bytes.Reader) (image.Config, error) { return gif.DecodeConfig(r) },
		decode: func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) }},
	{name: "WebP", magic: func(b []byte) bool { return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" },
		config: func(r *bytes.Reader) (image.Config, error) { return webp.DecodeConfig(r) },
		decode: func(r *bytes.Reader) (image.Image, error) { return webp.Decode(r) }},
}

func prefix(p string) func([]byte) bool {
	return func(b []byte) bool { return bytes.HasPrefix(b, []byte(p)) }
}

// Bounds are the dimensions an avatar may have.
type Bounds struct {
	MaxSide   int // pixels, either side
	MaxPixels int // width × height: what decoding allocates (about 4 bytes each)
}

// DefaultBounds: 8 megapixels (2896 × 2896, or 4000 × 2000 and the like),
// far more than an avatar shows, and in a 2 MiB upload. Decoding the
// largest allowed image takes about 32 MiB (4 bytes a pixel), a
// progressive JPEG up to 100 MiB (its coefficients, 4 bytes a pixel for
// each of 3 components), which is why decodes run one at a time (Service).
func DefaultBounds() Bounds { return Bounds{MaxSide: 8192, MaxPixels: 8 << 20} }

// Content types of stored avatars.
const (
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
)

// jpegQuality is the quality stored JPEGs are written at.
const jpegQuality = 90

// reencode checks data and returns it decoded and encoded again, with
// its content type. Every refusal is BAD_USER_INPUT on field "file".
func reencode(data []byte, b Bounds) ([]byte, string, error) {
	f, ok := sniff(data)
	if !ok {
		return nil, "", badFile("the file is not a PNG, JPEG, WebP or GIF image")
	}
	cfg, err := f.config(bytes.NewReader(data))
	if err != nil {
		return nil, "", badFile("the file is not a readable %s image", f.name)
	}
	if w, h := cfg.Width, cfg.Height; w < 1 || h < 1 || w > b.MaxSide || h > b.MaxSide || w*h > b.MaxPixels {
		return nil, "", badFile("the image is %d×%d pixels; at most %d pixels a side and %d in all are allowed", w, h, b.MaxSide, b.MaxPixels)
	}
	img, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", badFile("the file is not a complete %s image", f.name)
	}
	if r := img.Bounds(); r.Dx() != cfg.Width || r.Dy() != cfg.Height {
		// A decoder must not allocate beyond the header's promise; if one
		// ever does, this refuses the image rather than trusting it.
		return nil, "", badFile("the %s image's size does not match its header", f.name)
	}
	var out bytes.Buffer
	if photo(f, img) {
		if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
			return nil, "", err
		}
		return out.Bytes(), TypeJPEG, nil
	}
	if err := png.Encode(&out, img); err != nil {
		return nil, "", err
	}
	return out.Bytes(), TypePNG, nil
}

// sniff finds the format data is in.
func sniff(data []byte) (format, bool) {
	for _, f := range formats {
		if f.magic(data) {
			return f, true
		}
	}
	return format{}, false
}

// photo reports whether img is stored as JPEG: a JPEG, or a lossy WebP
// without alpha (which decodes to YCbCr). Re-encoding those as PNG would
// make them several times larger; everything else, lossless or with
// transparency, is stored as PNG.
func photo(f format, img image.Image) bool {
	_, ycbcr := img.(*image.YCbCr)
	return f.name == "JPEG" || ycbcr
}

func badFile(format string, args ...any) error {
	return apperr.Input("file", format, args...)
}
