package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// assets serves static files embedded in the binary (GraphiQL's bundle;
// any page's styles and scripts): nothing a page needs comes from another
// origin, so pages work offline and under a strict Content-Security-Policy
// (pages.go). Each file is hashed once; URL gives its address with the
// hash as ?v=, and a request carrying the current hash may be cached for
// good (a new binary with another file changes the URL), while any other
// request revalidates by ETag. A client that accepts gzip gets the file
// compressed (GraphiQL's script and stylesheet go from 1.6 MB to 0.7 MB),
// once, at the first such request: compressing costs a tenth of a second,
// which a server whose pages nobody opens should not pay at every start.
type assets struct {
	fsys fs.FS
	hash map[string]string // file name → hex SHA-256 prefix of its content

	compress sync.Once
	gzip     map[string][]byte // file name → its gzip encoding, where that is smaller
}

// newAssets reads every file of fsys once, to hash it.
func newAssets(fsys fs.FS) (*assets, error) {
	a := &assets{fsys: fsys, hash: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hash[name] = hex.EncodeToString(sum[:8])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded assets: %w", err)
	}
	return a, nil
}

// URL is name's address relative to where the assets are mounted, with
// its version. An unknown name is an error, so a template that names a
// file the build did not make fails at start, not in a browser.
func (a *assets) URL(name string) (string, error) {
	h, ok := a.hash[name]
	if !ok {
		return "", fmt.Errorf("no embedded asset %q", name)
	}
	return name + "?v=" + h, nil
}

// ServeHTTP serves the file the path names (mounted with StripPrefix).
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path
	h, ok := a.hash[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == h {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if !acceptsGzip(r) {
		hd.Add("Vary", "Accept-Encoding")
		hd.Set("ETag", `"`+h+`"`)
		http.ServeFileFS(w, r, a.fsys, name)
		return
	}
	a.compress.Do(a.compressAll)
	gz, ok := a.gzip[name]
	if !ok { // gzip would not make it smaller
		hd.Set("ETag", `"`+h+`"`)
		http.ServeFileFS(w, r, a.fsys, name)
		return
	}
	hd.Add("Vary", "Accept-Encoding")
	hd.Set("ETag", `"`+h+`-gzip"`) // another representation, another tag
	hd.Set("Content-Encoding", "gzip")
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		hd.Set("Content-Type", ct)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(gz))
}

// compressAll fills a.gzip; newAssets has read every file once already.
func (a *assets) compressAll() {
	a.gzip = map[string][]byte{}
	for name := range a.hash {
		b, err := fs.ReadFile(a.fsys, name)
		if err != nil {
			continue // served uncompressed, as ServeFileFS will report
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		if gz.Len() < len(b) {
			a.gzip[name] = gz.Bytes()
		}
	}
}

// acceptsGzip reports whether the client takes gzip (Accept-Encoding,
// without q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
