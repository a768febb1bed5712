package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// postTransport runs one GraphQL request sent as a JSON object. It takes
// every POST so that it can answer the wrong content types with 415
// instead of gqlgen's generic "transport not supported".
type postTransport struct{}

var _ graphql.Transport = postTransport{}

func (postTransport) Supports(r *http.Request) bool { return r.Method == http.MethodPost }

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := responseMedia(r)
	setResponseType(w, media)
	ctx := r.Context()
	if msg := checkContentType(r.Header.Get("Content-Type")); msg != "" {
		// The body is not read: a form or text/plain POST can come from
		// any web page without a CORS preflight (CSRF).
		refuse(w, ctx, exec, http.StatusUnsupportedMediaType, hin.EMEDIATYPE, msg)
		return
	}
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			refuse(w, ctx, exec, http.StatusRequestEntityTooLarge, hin.ETOOLARGE, "request body too large")
		} else {
			refuse(w, ctx, exec, http.StatusBadRequest, hin.EBADREQUEST, "could not read the request body")
		}
		return
	}
	params, msg := decodePostBody(body)
	if msg != "" {
		refuse(w, ctx, exec, http.StatusBadRequest, hin.EBADREQUEST, msg)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, exec, media, params, false)
}

// checkContentType accepts application/json in UTF-8 (the default when no
// charset is given) and explains anything else.
func checkContentType(header string) string {
	const want = "a POST request must have Content-Type: application/json"
	if header == "" {
		return want
	}
	typ, params, err := mime.ParseMediaType(header)
	if err != nil || typ != mediaJSON {
		return want
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return "the request body must be encoded in UTF-8"
	}
	return ""
}

// decodePostBody checks the body's shape field by field, so each mistake
// gets a 400 that names it. The messages are fixed text: unlike gqlgen's
// POST transport, nothing of the body is ever quoted back.
func decodePostBody(body []byte) (*graphql.RawParams, string) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, `the request body is empty; send a JSON object with a "query"`
	}
	if !json.Valid(trimmed) {
		return nil, "the request body is not valid JSON"
	}
	switch trimmed[0] {
	case '{':
	case '[':
		return nil, "batched requests are not supported; send one JSON object per request"
	default:
		return nil, "the request body must be a JSON object"
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, "the request body must be a JSON object"
	}
	params := &graphql.RawParams{}
	var err error
	if raw, ok := present(fields, "query"); ok {
		if json.Unmarshal(raw, &params.Query) != nil {
			return nil, `"query" must be a string`
		}
	}
	if raw, ok := present(fields, "operationName"); ok {
		if json.Unmarshal(raw, &params.OperationName) != nil {
			return nil, `"operationName" must be a string or null`
		}
	}
	if raw, ok := present(fields, "variables"); ok {
		if params.Variables, err = decodeObject(raw); err != nil {
			return nil, `"variables" must be a JSON object or null`
		}
	}
	if raw, ok := present(fields, "extensions"); ok {
		if params.Extensions, err = decodeObject(raw); err != nil {
			return nil, `"extensions" must be a JSON object or null`
		}
	}
	if _, ok := present(fields, "query"); !ok && !hasPersistedQuery(params.Extensions) {
		return nil, `the request has no "query"`
	}
	return params, ""
}

// present returns a field that is there and not null. Field names are
// matched exactly, where encoding/json's struct decoding would also take
// "Query" or "QUERY".
func present(fields map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	raw, ok := fields[name]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, false
	}
	return raw, true
}
