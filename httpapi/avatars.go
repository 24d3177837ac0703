package httpapi

import (
	"bytes"
	"log/slog"
	"net/http"
	"time"

	"github.com/usergraph/usergraph/apperr"
)

// avatars serves GET /avatars/{id}: an image that package avatars checked
// and wrote, under an id derived from its content. Because an id never
// names other bytes, the answer may be cached for a year without
// revalidation (immutable); a new avatar is a new URL. The ETag is the id,
// for caches that revalidate anyway. nosniff and a sandboxing CSP make
// sure the bytes are only ever taken for the declared image type.
type avatars struct {
	source Avatars
	log    *slog.Logger
}

// avatarCache is the Cache-Control of a stored avatar.
const avatarCache = "public, max-age=31536000, immutable"

func (a avatars) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	img, err := a.source.Avatar(r.Context(), id)
	if err != nil {
		writeFault(w, r, a.log, http.StatusInternalServerError, "reading an avatar failed", err)
		return
	}
	if img == nil {
		writeError(w, http.StatusNotFound, apperr.New(apperr.NotFound, "no avatar has this id"))
		return
	}
	h.Set("Content-Type", img.ContentType)
	h.Set("Cache-Control", avatarCache)
	h.Set("ETag", `"`+id+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	// ServeContent answers If-None-Match (304), ranges and HEAD.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(img.Data))
}
