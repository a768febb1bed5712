package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// getTransport runs queries sent as URL parameters: query, operationName,
// and variables and extensions as JSON text. Anything but a query is
// refused with 405 (see execute), since a GET may come from any site.
type getTransport struct {
	// needsPreflight refuses GETs a browser could send cross-site without
	// asking (a link, an image): they must carry a header that no simple
	// request may set, so a cross-site page cannot run queries as a signed-in
	// user without CORS allowing it.
	needsPreflight bool
}

// preflightHeaders are the headers that mark a GET as sent on purpose by a
// script or a tool (any one will do); setting them forces a CORS preflight.
var preflightHeaders = []string{"GraphQL-Require-Preflight", "X-Requested-With", "Apollo-Require-Preflight"}

func sentOnPurpose(r *http.Request) bool {
	for _, h := range preflightHeaders {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, "application/json")
}

var _ graphql.Transport = getTransport{}

func (getTransport) Supports(r *http.Request) bool { return r.Method == http.MethodGet }

func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := responseMedia(r)
	setResponseType(w, media)
	bad := func(msg string) {
		refuse(w, r.Context(), exec, http.StatusBadRequest, hin.EBADREQUEST, msg)
	}
	start := graphql.Now()
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		// url's error quotes the offending text; say only what is wrong.
		bad("the URL query string is not valid URL encoding")
		return
	}
	params := &graphql.RawParams{
		Query:         q.Get("query"),
		OperationName: q.Get("operationName"),
		Headers:       r.Header,
	}
	if v := q.Get("variables"); v != "" {
		if params.Variables, err = decodeObject([]byte(v)); err != nil {
			bad(`the "variables" parameter must be a JSON object`)
			return
		}
	}
	if v := q.Get("extensions"); v != "" {
		if params.Extensions, err = decodeObject([]byte(v)); err != nil {
			bad(`the "extensions" parameter must be a JSON object`)
			return
		}
	}
	if params.Query == "" && !hasPersistedQuery(params.Extensions) {
		bad(`a GET request needs a "query" parameter`)
		return
	}
	if t.needsPreflight && !sentOnPurpose(r) {
		// a mutation is refused for the method (405) whatever else is wrong;
		// a GET that will run is checked for that by execute, on the one parse
		if selectsNonQuery(params) {
			refuseNonQuery(w, r.Context(), exec)
			return
		}
		refuse(w, r.Context(), exec, http.StatusBadRequest, hin.EPREFLIGHT,
			"a GET request must carry a GraphQL-Require-Preflight (or X-Requested-With) header, so that no other site can send it unnoticed; or use POST")
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, exec, media, params, true)
}

// decodeObject decodes a JSON object or null, keeping numbers as
// json.Number as gqlgen does, so large integers survive to coercion.
// Valid first, so trailing text after the object is refused too.
func decodeObject(b []byte) (map[string]any, error) {
	if !json.Valid(b) {
		return nil, errNotJSON
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

var errNotJSON = errors.New("not valid JSON")
