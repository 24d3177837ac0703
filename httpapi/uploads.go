package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/usergraph/usergraph/apperr"
)

// File uploads (uploadAvatar) come as GraphQL multipart requests
// (github.com/jaydenseric/graphql-multipart-request-spec): a form whose
// first part, "operations", is the JSON request, its second, "map", says
// which variable each file fills, and the files follow. The body limit
// lets such a request exceed MaxBodyBytes by MaxUploadBytes
// (withBodyLimit); multipartUploads makes sure that only files use that
// allowance: the operations and the map together stay within
// MaxBodyBytes, as a JSON request's body does. Then gqlgen's transport
// reads the request, in memory (it is bounded), and the upload's own rules
// (package avatars) judge each file.

// multipartUploads is gqlgen's multipart transport behind that check, with
// coded errors for a form that does not follow the spec.
type multipartUploads struct {
	transport.MultipartForm
	maxFields int64 // MaxBodyBytes: what the parts that are not files may take
}

func newMultipartUploads(maxBody, maxUpload int64) multipartUploads {
	limit := maxBody + maxUpload
	// MaxMemory above the whole body: files are read into memory, never
	// written to temporary files.
	return multipartUploads{MultipartForm: transport.MultipartForm{MaxUploadSize: limit, MaxMemory: limit + 1}, maxFields: maxBody}
}

func (t multipartUploads) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body) // bounded by withBodyLimit
	if err != nil {
		writeError(w, http.StatusBadRequest, apperr.New(apperr.BadUserInput, "the request body could not be read"))
		return
	}
	if status, e := checkParts(r, body, t.maxFields); e != nil {
		writeError(w, status, e)
		return
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	t.MultipartForm.Do(w, r, exec)
}

// checkParts reads a multipart body's parts: operations first, then map,
// and those two and any other part that is not a file within maxFields
// bytes together.
func checkParts(r *http.Request, body []byte, maxFields int64) (int, *apperr.Error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return http.StatusBadRequest, apperr.New(apperr.BadUserInput, "a multipart request needs a boundary in its Content-Type")
	}
	malformed := apperr.New(apperr.BadUserInput, `the multipart request does not follow the GraphQL multipart request spec: parts "operations", then "map", then the files`)
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var fields int64
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) && i >= 2 {
			return 0, nil
		}
		if err != nil || (i == 0 && p.FormName() != "operations") || (i == 1 && p.FormName() != "map") {
			return http.StatusBadRequest, malformed
		}
		if i >= 2 && p.FileName() != "" {
			continue // a file: the allowance is for these
		}
		n, err := io.Copy(io.Discard, p)
		if err != nil {
			return http.StatusBadRequest, malformed
		}
		if fields += n; fields > maxFields {
			return http.StatusRequestEntityTooLarge, apperr.New(apperr.BadUserInput, "the operations and map of a multipart request are larger than %d bytes", maxFields)
		}
	}
}

// isMultipart reports whether the request body is declared a multipart form.
func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}
