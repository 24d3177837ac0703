package httpapi

import (
	"bytes"
	"encoding/json"
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
	rw := &uploadRefusal{ResponseWriter: w}
	t.MultipartForm.Do(rw, r, exec)
	rw.finish()
}

// uploadRefusal turns the answers gqlgen's multipart transport writes by
// itself for a form it cannot use (422, a message without a code: the map
// is not JSON, or names a variable that is not there) into this server's
// coded 400, keeping gqlgen's message, which quotes only the client's
// own keys and paths.
type uploadRefusal struct {
	http.ResponseWriter
	refused bool
	body    bytes.Buffer
}

func (w *uploadRefusal) WriteHeader(status int) {
	if status == http.StatusUnprocessableEntity {
		w.refused = true
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *uploadRefusal) Write(b []byte) (int, error) {
	if w.refused {
		return w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *uploadRefusal) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes the coded answer of a refused form.
func (w *uploadRefusal) finish() {
	if !w.refused {
		return
	}
	var answer struct {
		Errors []struct{ Message string } `json:"errors"`
	}
	msg := "the multipart request does not follow the GraphQL multipart request spec"
	if json.Unmarshal(w.body.Bytes(), &answer) == nil && len(answer.Errors) > 0 {
		msg += ": " + answer.Errors[0].Message
	}
	writeError(w.ResponseWriter, http.StatusBadRequest, apperr.New(apperr.BadUserInput, "%s", msg))
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
