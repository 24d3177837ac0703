package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
)

// assets serves static files embedded in the binary (GraphiQL's bundle;
// any page's styles and scripts): nothing a page needs comes from another
// origin, so pages work offline and under a strict Content-Security-Policy
// (pages.go). Each file is hashed once; URL gives its address with the
// hash as ?v=, and a request carrying the current hash may be cached for
// good (a new binary with another file changes the URL), while any other
// request revalidates by ETag.
type assets struct {
	fsys fs.FS
	hash map[string]string // file name → hex SHA-256 prefix of its content
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
	w.Header().Set("ETag", `"`+h+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(w, r, a.fsys, name)
}
