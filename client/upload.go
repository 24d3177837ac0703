package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Upload is a file for an Upload argument (uploadAvatar). An operation
// with one goes as a GraphQL multipart request (the file in a part of its
// own, null in its place in the variables); other operations go as JSON.
// Only an operation's own variables may be files, not fields of inputs.
type Upload struct {
	// Name is the file name sent with the part; the server recognises the
	// file from its bytes, not from its name.
	Name string
	Body io.Reader
}

// MarshalJSON writes null: the multipart request spec's placeholder for a
// file sent in a part of its own.
func (Upload) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// uploadClient sends operations whose variables hold an Upload as
// multipart requests, and the others through genqlient's JSON client.
type uploadClient struct {
	endpoint string
	doer     graphql.Doer
	json     graphql.Client
}

func (c uploadClient) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) error {
	files := uploadsIn(req.Variables)
	if len(files) == 0 {
		return c.json.MakeRequest(ctx, req, resp)
	}
	contentType, body, err := multipartBody(req, files)
	if err != nil {
		return err
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, body)
	if err != nil {
		return err
	}
	httpReq.Header.Set("Content-Type", contentType)
	httpResp, err := c.doer.Do(httpReq)
	if err != nil {
		return err
	}
	defer httpResp.Body.Close()
	return decodeAnswer(httpResp, resp)
}

// uploadsIn returns the Upload variables of vars (a genqlient variables
// struct), by their JSON names.
func uploadsIn(vars any) map[string]Upload {
	v := reflect.ValueOf(vars)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	files := map[string]Upload{}
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			f = f.Elem()
		}
		if u, ok := f.Interface().(Upload); ok {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			files[name] = u
		}
	}
	return files
}

// multipartBody writes the GraphQL multipart request of req with files:
// operations (req as JSON), map (part name to variable path), the files.
func multipartBody(req *graphql.Request, files map[string]Upload) (string, io.Reader, error) {
	operations, err := json.Marshal(req)
	if err != nil {
		return "", nil, err
	}
	paths := map[string][]string{}
	names := make([]string, 0, len(files))
	for variable := range files {
		part := strconv.Itoa(len(names))
		paths[part] = []string{"variables." + variable}
		names = append(names, variable)
	}
	fileMap, err := json.Marshal(paths)
	if err != nil {
		return "", nil, err
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("operations", string(operations))
	w.WriteField("map", string(fileMap))
	for i, variable := range names {
		part, err := w.CreateFormFile(strconv.Itoa(i), files[variable].Name)
		if err != nil {
			return "", nil, err
		}
		if _, err := io.Copy(part, files[variable].Body); err != nil {
			return "", nil, fmt.Errorf("read upload %s: %w", variable, err)
		}
	}
	if err := w.Close(); err != nil {
		return "", nil, err
	}
	return w.FormDataContentType(), &buf, nil
}

// decodeAnswer reads an answer as genqlient's JSON client does: another
// status than 200 is an *graphql.HTTPError carrying the body's errors, and
// GraphQL errors in a 200 answer are a gqlerror.List.
func decodeAnswer(httpResp *http.Response, resp *graphql.Response) error {
	body, err := io.ReadAll(httpResp.Body)
	if err != nil {
		return err
	}
	if httpResp.StatusCode != http.StatusOK {
		var answer graphql.Response
		if err := json.Unmarshal(body, &answer); err != nil {
			answer.Errors = gqlerror.List{{Message: string(body)}}
		}
		return &graphql.HTTPError{Response: answer, StatusCode: httpResp.StatusCode}
	}
	if err := json.Unmarshal(body, resp); err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		return resp.Errors
	}
	return nil
}
