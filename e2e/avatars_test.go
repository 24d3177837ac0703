package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/client"
)

// Avatars go up as GraphQL multipart requests, as a browser's FormData or
// apollo-upload-client sends them, and come back from GET /avatars/{id}.

const uploadAvatarOp = `mutation($file: Upload!) { uploadAvatar(file: $file) { id avatarUrl } }`

// file is one file part of a multipart request.
type file struct {
	name, contentType string
	data              []byte
}

// multipartBody builds a GraphQL multipart request: operations, map (the
// file fills variables.file), the file.
func multipartBody(t *testing.T, operations string, f file) (contentType string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("operations", operations)
	w.WriteField("map", `{"0": ["variables.file"]}`)
	writeFile(t, w, "0", f)
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func writeFile(t *testing.T, w *multipart.Writer, key string, f file) {
	t.Helper()
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, key, f.name))
	h.Set("Content-Type", f.contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(f.data)
}

// filesIn returns the variables of v that are files.
func filesIn(v vars) map[string]file {
	files := map[string]file{}
	for name, val := range v {
		if f, ok := val.(file); ok {
			files[name] = f
		}
	}
	return files
}

// multipartRequest is query with variables v as a GraphQL multipart
// request: each file in v is sent as a part of its own, null in the
// operations.
func multipartRequest(t *testing.T, query string, v vars, files map[string]file) (contentType string, body []byte) {
	t.Helper()
	plain, fileMap := vars{}, map[string][]string{}
	for name, val := range v {
		if _, ok := files[name]; ok {
			val = nil
			fileMap[name] = []string{"variables." + name}
		}
		plain[name] = val
	}
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": plain})
	m, _ := json.Marshal(fileMap)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("operations", string(ops))
	w.WriteField("map", string(m))
	for name, f := range files {
		writeFile(t, w, name, f)
	}
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

// upload sends uploadAvatar with the file, as token, with extra headers
// (name, value pairs), and checks the errors of the answer.
func (ts *testServer) upload(t *testing.T, token string, f file, headers ...string) *gqlResponse {
	t.Helper()
	if token != "" {
		headers = append(headers, "Authorization", "Bearer "+token)
	}
	r := ts.post(t, uploadAvatarOp, vars{"file": f}, headers...)
	checkClientErrors(t, r, false)
	return r
}

// mustUpload uploads f and returns the avatarUrl the answer gives.
func (ts *testServer) mustUpload(t *testing.T, token string, f file) string {
	t.Helper()
	r := ts.upload(t, token, f)
	if len(r.Errors) > 0 {
		t.Fatalf("uploadAvatar(%s): %d %+v", f.name, r.Status, r.Errors)
	}
	u := dataField[apiUser](t, r, "uploadAvatar")
	if u.AvatarURL == nil || !strings.HasPrefix(*u.AvatarURL, ts.url+"/avatars/") {
		t.Fatalf("uploadAvatar(%s): avatarUrl = %v, want %s/avatars/{id}", f.name, userStr(u.AvatarURL), ts.url)
	}
	return *u.AvatarURL
}

// myAvatar reads the caller's avatarUrl ("" when null).
func (ts *testServer) myAvatar(t *testing.T, token string) string {
	t.Helper()
	if u := dataField[apiUser](t, ts.mustGQL(t, token, `{ me { avatarUrl } }`, nil), "me").AvatarURL; u != nil {
		return *u
	}
	return ""
}

// fetchAvatar GETs an avatar URL with extra headers.
func fetchAvatar(t *testing.T, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, body := roundTrip(t, req)
	return res, []byte(body)
}

// wantGone fails unless the avatar URL answers 404.
func wantGone(t *testing.T, what, url string) {
	t.Helper()
	if res, _ := fetchAvatar(t, url); res.StatusCode != http.StatusNotFound {
		t.Errorf("%s: GET %s = %d, want 404", what, url, res.StatusCode)
	}
}

// wantImage fetches an avatar and decodes it, failing unless it is an
// image of the content type and size.
func wantImage(t *testing.T, url, contentType string, w, h int) []byte {
	t.Helper()
	res, body := fetchAvatar(t, url)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", url, res.StatusCode)
	}
	if got := res.Header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type = %q, want %q", got, contentType)
	}
	img, format, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the served avatar does not decode: %v", err)
	}
	if got, want := "image/"+format, contentType; got != want {
		t.Errorf("the served bytes are %s, want %s", got, want)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("served image is %d×%d, want %d×%d", b.Dx(), b.Dy(), w, h)
	}
	return body
}

// gradient is a w×h opaque image with some detail.
func gradient(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255})
		}
	}
	return img
}

func pngFile(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, gradient(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifMarker is the text the EXIF block of jpegWithEXIF carries, as a
// camera's GPS position or serial number would be.
const exifMarker = "SECRET-GPS-48.8584N-2.2945E"

// jpegWithEXIF is a JPEG whose APP1 segment is an EXIF block (a TIFF
// header and an IFD with one ASCII entry, ImageDescription, holding
// exifMarker), right after the start-of-image marker, where cameras put it.
func jpegWithEXIF(t *testing.T, w, h int) []byte {
	t.Helper()
	var img bytes.Buffer
	if err := jpeg.Encode(&img, gradient(w, h), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	text := exifMarker + "\x00"
	var tiff bytes.Buffer
	le := binary.LittleEndian
	tiff.WriteString("II")
	binary.Write(&tiff, le, uint16(42))
	binary.Write(&tiff, le, uint32(8))      // the IFD follows the header
	binary.Write(&tiff, le, uint16(1))      // one entry
	binary.Write(&tiff, le, uint16(0x010e)) // ImageDescription
	binary.Write(&tiff, le, uint16(2))      // ASCII
	binary.Write(&tiff, le, uint32(len(text)))
	binary.Write(&tiff, le, uint32(8+2+12+4)) // the text, after the IFD
	binary.Write(&tiff, le, uint32(0))        // no next IFD
	tiff.WriteString(text)
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(img.Bytes()[:2]) // SOI
	out.Write([]byte{0xff, 0xe1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(img.Bytes()[2:])
	return out.Bytes()
}

// truncated returns the first half of b.
func truncated(b []byte) []byte { return bytes.Clone(b[:len(b)/2]) }

// pngBomb is a PNG whose header claims side × side pixels, with the image
// data of one pixel: a decoder that believed the header would allocate
// side² × 4 bytes before finding out.
func pngBomb(t *testing.T, side uint32) []byte {
	t.Helper()
	b := pngFile(t, 1, 1)
	ihdr := b[8 : 8+8+13+4] // length, "IHDR", 13 bytes of data, CRC
	binary.BigEndian.PutUint32(ihdr[8:], side)
	binary.BigEndian.PutUint32(ihdr[12:], side)
	binary.BigEndian.PutUint32(ihdr[21:], crc32.ChecksumIEEE(ihdr[4:21]))
	return b
}

func TestAvatarUploads(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ann := ts.signup(t, "annavatar", testPassword)

	var first string
	t.Run("a PNG becomes the avatar, served with immutable caching", func(t *testing.T) {
		first = ts.mustUpload(t, ann.AccessToken, file{"me.png", "image/png", pngFile(t, 64, 48)})
		if got := ts.myAvatar(t, ann.AccessToken); got != first {
			t.Errorf("me.avatarUrl = %q, want the uploaded %q", got, first)
		}
		wantImage(t, first, "image/png", 64, 48)
		res, _ := fetchAvatar(t, first)
		id := strings.TrimPrefix(first, ts.url+"/avatars/")
		for _, h := range []struct{ name, want string }{
			{"Cache-Control", "public, max-age=31536000, immutable"},
			{"ETag", `"` + id + `"`},
			{"X-Content-Type-Options", "nosniff"},
		} {
			if got := res.Header.Get(h.name); got != h.want {
				t.Errorf("%s = %q, want %q", h.name, got, h.want)
			}
		}
		res, body := fetchAvatar(t, first, "If-None-Match", `"`+id+`"`)
		if res.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("GET with the ETag in If-None-Match = %d with %d bytes, want 304 and none", res.StatusCode, len(body))
		}
	})

	t.Run("a JPEG's EXIF is gone from what is stored and served", func(t *testing.T) {
		data := jpegWithEXIF(t, 40, 30)
		if !bytes.Contains(data, []byte(exifMarker)) {
			t.Fatal("the test JPEG carries no EXIF marker")
		}
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			t.Fatalf("the test JPEG does not decode: %v", err)
		}
		url := ts.mustUpload(t, ann.AccessToken, file{"holiday.jpg", "image/jpeg", data})
		body := wantImage(t, url, "image/jpeg", 40, 30)
		for _, marker := range []string{exifMarker, "Exif\x00\x00"} {
			if bytes.Contains(body, []byte(marker)) {
				t.Errorf("the served avatar still contains %q", marker)
			}
		}
		wantGone(t, "the replaced PNG's URL", first)
		first = url
	})

	t.Run("a GIF and WebP are stored re-encoded", func(t *testing.T) {
		var g bytes.Buffer
		pal := image.NewPaletted(image.Rect(0, 0, 20, 10), []color.Color{color.Black, color.White})
		pal.SetColorIndex(3, 3, 1)
		if err := gif.Encode(&g, pal, nil); err != nil {
			t.Fatal(err)
		}
		url := ts.mustUpload(t, ann.AccessToken, file{"anim.gif", "image/gif", g.Bytes()})
		wantImage(t, url, "image/png", 20, 10)
		for _, c := range []struct {
			path, contentType string
			w, h              int
		}{
			{"testdata/blue-purple-pink.lossy.webp", "image/jpeg", 0, 0},  // lossy and opaque: JPEG
			{"testdata/gopher-doc.1bpp.lossless.webp", "image/png", 0, 0}, // lossless: PNG
		} {
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", c.path, err)
			}
			url := ts.mustUpload(t, ann.AccessToken, file{"pic.webp", "image/webp", data})
			wantImage(t, url, c.contentType, cfg.Width, cfg.Height)
		}
		first = ts.myAvatar(t, ann.AccessToken)
	})

	// Every refusal: BAD_USER_INPUT on "file", and the avatar stays.
	refusals := []struct {
		name string
		f    file
		want string // in the message
	}{
		{"a text file named .png", file{"avatar.png", "image/png", []byte("I am not an image, whatever my name says.\n")}, "not a PNG, JPEG, WebP or GIF"},
		{"a truncated PNG", file{"cut.png", "image/png", truncated(pngFile(t, 64, 64))}, "not a complete PNG"},
		{"a decompression bomb", file{"bomb.png", "image/png", pngBomb(t, 60000)}, "60000×60000"},
		{"an SVG", file{"x.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)}, "not a PNG"},
	}
	for _, c := range refusals {
		t.Run("refused: "+c.name, func(t *testing.T) {
			r := ts.upload(t, ann.AccessToken, c.f)
			wantCode(t, r, "BAD_USER_INPUT", 0)
			if r.field() != "file" || !strings.Contains(r.Errors[0].Message, c.want) {
				t.Errorf("error %q on field %q, want one on file saying %q", r.Errors[0].Message, r.field(), c.want)
			}
			if got := ts.myAvatar(t, ann.AccessToken); got != first {
				t.Errorf("avatarUrl after a refused upload = %q, want the previous %q", got, first)
			}
			if res, _ := fetchAvatar(t, first); res.StatusCode != http.StatusOK {
				t.Errorf("the previous avatar after a refused upload: GET = %d, want 200", res.StatusCode)
			}
		})
	}

	t.Run("removeAvatar clears avatarUrl and deletes the image", func(t *testing.T) {
		r := ts.mustGQL(t, ann.AccessToken, `mutation { removeAvatar { avatarUrl } }`, nil)
		if got := dataField[apiUser](t, r, "removeAvatar").AvatarURL; got != nil {
			t.Errorf("avatarUrl after removeAvatar = %q, want null", *got)
		}
		wantGone(t, "the removed avatar", first)
	})

	t.Run("signed out: UNAUTHENTICATED", func(t *testing.T) {
		wantCode(t, ts.upload(t, "", file{"me.png", "image/png", pngFile(t, 8, 8)}), "UNAUTHENTICATED", 606)
	})

	t.Run("an unknown avatar id is 404", func(t *testing.T) {
		wantGone(t, "an id never stored", ts.url+"/avatars/0123456789abcdef0123456789abcdef")
	})
}

// The avatar goes with its user.
func TestAvatarDeletedWithUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	bob := ts.signup(t, "bobavatar", testPassword)
	url := ts.mustUpload(t, bob.AccessToken, file{"bob.png", "image/png", pngFile(t, 16, 16)})
	ts.mustGQL(t, bob.AccessToken, `mutation($pw: String!) { deleteAccount(password: $pw) }`, vars{"pw": testPassword})
	wantGone(t, "a deleted user's avatar", url)
}

// An upload may exceed the JSON body limit by the avatar limit, with its
// file and nothing else.
func TestAvatarSizeLimits(t *testing.T) {
	t.Parallel()
	const maxBody, maxAvatar = 64 << 10, 100 << 10
	ts := startServer(t, withConfig(func(c *app.Config) {
		c.HTTP.MaxBodyBytes = maxBody
		c.Avatars.MaxBytes = maxAvatar
	}))
	cat := ts.signup(t, "catavatar", testPassword)
	big := pngFile(t, 8, 8)
	big = append(big, bytes.Repeat([]byte{0}, maxAvatar+1-len(big))...) // a PNG with junk after its end

	t.Run("a file over the avatar limit is BAD_USER_INPUT", func(t *testing.T) {
		r := ts.upload(t, cat.AccessToken, file{"big.png", "image/png", big})
		wantCode(t, r, "BAD_USER_INPUT", 0)
		if r.field() != "file" || !strings.Contains(r.Errors[0].Message, fmt.Sprint(maxAvatar)) {
			t.Errorf("error %q on %q, want one on file naming the limit %d", r.Errors[0].Message, r.field(), maxAvatar)
		}
		if got := ts.myAvatar(t, cat.AccessToken); got != "" {
			t.Errorf("avatarUrl = %q, want none", got)
		}
	})
	t.Run("a file of the limit, in a body over the JSON limit, is taken", func(t *testing.T) {
		exact := big[:maxAvatar] // the trailing junk is never decoded, and not stored
		ts.mustUpload(t, cat.AccessToken, file{"exact.png", "image/png", exact})
	})
	t.Run("a body over both limits is 413", func(t *testing.T) {
		huge := append(bytes.Clone(big), make([]byte, maxBody)...)
		r := ts.upload(t, cat.AccessToken, file{"huge.png", "image/png", huge})
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", r.Status)
		}
		wantCode(t, r, "BAD_USER_INPUT", 0)
	})
	t.Run("operations over the JSON limit are 413, even in a multipart request", func(t *testing.T) {
		pad := strings.Repeat(" ", maxBody)
		ops := `{"query": "` + uploadAvatarOp + pad + `", "variables": {"file": null}}`
		ct, body := multipartBody(t, ops, file{"a.png", "image/png", pngFile(t, 4, 4)})
		r := postChecked(t, ts, ct, string(body), "Authorization", "Bearer "+cat.AccessToken)
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413 (%+v)", r.Status, r.Errors)
		}
		wantCode(t, r, "BAD_USER_INPUT", 0)
	})
	t.Run("a JSON body over the JSON limit is still 413", func(t *testing.T) {
		r := postChecked(t, ts, "application/json", bigPadded(maxBody+1))
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", r.Status)
		}
	})
	t.Run("a multipart request that is not the spec's is BAD_USER_INPUT", func(t *testing.T) {
		r := postChecked(t, ts, "multipart/form-data; boundary=x", signupBody("notmultipart"))
		if r.Status != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", r.Status)
		}
		wantCode(t, r, "BAD_USER_INPUT", 0)
		wantNotStored(t, ts, "notmultipart")
	})
	t.Run("a map that is not JSON, or names no variable, is BAD_USER_INPUT", func(t *testing.T) {
		for _, m := range []string{`not json`, `{"0": ["variables.nothere.deeper"]}`} {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			w.WriteField("operations", `{"query": "mutation($file: Upload!) { uploadAvatar(file: $file) { id } }", "variables": {"file": null}}`)
			w.WriteField("map", m)
			fw, _ := w.CreateFormFile("0", "a.png")
			fw.Write(pngFile(t, 2, 2))
			w.Close()
			r := postChecked(t, ts, w.FormDataContentType(), buf.String(), "Authorization", "Bearer "+cat.AccessToken)
			if r.Status != http.StatusBadRequest {
				t.Errorf("map %s: status = %d, want 400 (%+v)", m, r.Status, r.Errors)
			}
			wantCode(t, r, "BAD_USER_INPUT", 0)
		}
	})
}

// bigPadded is a signup request padded with JSON whitespace to n bytes.
func bigPadded(n int) string {
	b := signupBody("padded")
	return b[:len(b)-1] + strings.Repeat(" ", n-len(b)) + "}"
}

// The cross-origin check covers uploads: a form on another site cannot
// change a signed-in user's avatar with the user's cookie.
func TestAvatarCrossOrigin(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	dee := ts.signup(t, "deeavatar", testPassword)
	r := ts.upload(t, dee.AccessToken, file{"x.png", "image/png", pngFile(t, 8, 8)},
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if r.Status != http.StatusForbidden {
		t.Errorf("status = %d, want 403", r.Status)
	}
	wantCode(t, r, "FORBIDDEN", 609)
	if got := ts.myAvatar(t, dee.AccessToken); got != "" {
		t.Errorf("avatarUrl after a cross-site upload = %q, want none", got)
	}
	ts.mustUpload(t, dee.AccessToken, file{"x.png", "image/png", pngFile(t, 8, 8)}) // same request, same origin: fine
}

// avatarUrl, given as a URL, must be https.
func TestAvatarURLHTTPSOnly(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	eve := ts.signup(t, "eveavatar", testPassword)
	for _, u := range []string{"http://img.example/eve.png", "javascript:alert(1)", "data:image/png;base64,iVBORw0KGgo="} {
		r := updateProfile(t, ts, eve.AccessToken, vars{"avatarUrl": u})
		wantCode(t, r, "BAD_USER_INPUT", 0)
		if r.field() != "avatarUrl" {
			t.Errorf("%s: error on %q, want avatarUrl", u, r.field())
		}
	}
	uploaded := ts.mustUpload(t, eve.AccessToken, file{"eve.png", "image/png", pngFile(t, 8, 8)})
	r := updateProfile(t, ts, eve.AccessToken, vars{"avatarUrl": "https://img.example/eve.png"})
	if len(r.Errors) > 0 {
		t.Fatalf("an https avatarUrl: %+v", r.Errors)
	}
	if got := ts.myAvatar(t, eve.AccessToken); got != "https://img.example/eve.png" {
		t.Errorf("avatarUrl = %q, want the https URL set", got)
	}
	// The uploaded image it replaced is deleted, as an upload's would be:
	// else uploading and setting a URL in turn would pile images up.
	wantGone(t, "the uploaded avatar a URL replaced", uploaded)
}

// The typed client (package client) sends uploadAvatar as a multipart
// request of its own: a JPEG goes up, is served back, and a file that is
// not an image comes back as BAD_USER_INPUT on file; removeAvatar clears it.
func TestAvatarThroughTheTypedClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	bo := ts.api(ts.signup(t, "boavatar", testPassword).AccessToken)

	res, err := client.UploadAvatar(t.Context(), bo, client.Upload{Name: "me.jpg", Body: bytes.NewReader(jpegWithEXIF(t, 40, 30))})
	if err != nil {
		t.Fatalf("uploadAvatar: %v", err)
	}
	url := deref(res.UploadAvatar.AvatarUrl)
	if !strings.HasPrefix(url, ts.url+"/avatars/") {
		t.Fatalf("avatarUrl = %q, want %s/avatars/{id}", url, ts.url)
	}
	wantImage(t, url, "image/jpeg", 40, 30)

	_, err = client.UploadAvatar(t.Context(), bo, client.Upload{Name: "notes.png", Body: strings.NewReader("not an image")})
	wantErr(t, err, "BAD_USER_INPUT", 0)
	if got := client.Field(err); got != "file" {
		t.Errorf("field = %q, want file", got)
	}

	removed, err := client.RemoveAvatar(t.Context(), bo)
	if err != nil {
		t.Fatalf("removeAvatar: %v", err)
	}
	if removed.RemoveAvatar.AvatarUrl != nil {
		t.Errorf("avatarUrl after removeAvatar = %q, want null", *removed.RemoveAvatar.AvatarUrl)
	}
	wantGone(t, "after removeAvatar", url)
}
