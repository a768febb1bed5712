package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// We serve GraphQL over HTTP as the GraphQL-over-HTTP spec describes it:
// queries by GET, any operation by POST with an application/json body, and
// nothing else. gqlgen's own GET and POST transports are close but not
// quite right: they answer malformed bodies with the body echoed back in the
// error, use 422 where the spec wants 200 or 400, send `"data": null` on
// requests that never ran, and refuse GET mutations only after validating
// them, with 406. The transports in transport_*.go fix that; every answer is
// JSON with an extensions.code on each error.
//
// Cross-site request forgery: a browser sends a cross-site POST without a
// CORS preflight only with a form or text/plain content type, and such a
// POST is refused here with 415 before its body is read. A cross-site GET
// needs no preflight either, so GET runs queries only (405 for anything
// else). JSON array bodies (batching) are refused, since nothing here
// batches requests.

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"

	// allowedMethods is the Allow header for the GraphQL endpoint.
	allowedMethods = "GET, POST, OPTIONS"
)

// addTransports chooses how GraphQL travels over HTTP. The first transport
// that supports a request handles it, so methods we don't serve are caught
// before gqlgen's Options transport (which would answer HEAD without an
// Allow header), and POST takes every POST so it can refuse the wrong
// content types itself.
func addTransports(srv *handler.Server, getNeedsPreflight bool) {
	srv.AddTransport(otherMethods{})
	srv.AddTransport(transport.Options{AllowedMethods: strings.Split(allowedMethods, ", ")})
	srv.AddTransport(getTransport{needsPreflight: getNeedsPreflight})
	srv.AddTransport(postTransport{})
}

// otherMethods answers every method but GET, POST and OPTIONS with 405.
type otherMethods struct{}

var _ graphql.Transport = otherMethods{}

func (otherMethods) Supports(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodOptions:
		return false
	}
	return true
}

func (otherMethods) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	setResponseType(w, responseMedia(r))
	w.Header().Set("Allow", allowedMethods)
	refuse(w, r.Context(), exec, http.StatusMethodNotAllowed, hin.EMETHOD,
		"use GET for queries or POST with an application/json body")
}

// responseMedia picks the response media type from the Accept header. The
// spec's application/graphql-response+json is used when the client asks for
// it at least as strongly as for application/json; everything else,
// including no Accept header, */* and types we cannot produce, gets
// application/json, which every client understands.
func responseMedia(r *http.Request) string {
	best, bestQ := mediaJSON, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		typ, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		if q <= 0 {
			continue
		}
		switch typ {
		case mediaGraphQLResponse:
			if q >= bestQ {
				best, bestQ = mediaGraphQLResponse, q
			}
		case mediaJSON, "application/*", "*/*":
			if q > bestQ {
				best, bestQ = mediaJSON, q
			}
		}
	}
	return best
}

// setResponseType sets the Content-Type before anything is written. The
// answer depends on Accept, so caches must key on it too.
func setResponseType(w http.ResponseWriter, media string) {
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.Header().Add("Vary", "Accept")
}

// refuse answers a request that GraphQL never ran. The message is fixed
// text chosen by the caller, never part of the request, so nothing a client
// sent is reflected back.
func refuse(w http.ResponseWriter, ctx context.Context, exec graphql.GraphExecutor, status int, code, msg string) {
	err := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
	writeErrors(w, status, exec.DispatchError(ctx, gqlerror.List{err}))
}

// errorsOnly is a response to a request that did not execute; the spec
// says it must not have a data entry, which graphql.Response always has.
type errorsOnly struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func writeErrors(w http.ResponseWriter, status int, resp *graphql.Response) {
	writeJSONBody(w, status, errorsOnly{Errors: resp.Errors, Extensions: resp.Extensions})
}

func writeJSONBody(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a resolver returning something unencodable gets here.
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// execute runs a decoded request; GET passes queryOnly so that nothing but
// a query runs on a request a browser may send cross-site.
func execute(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, media string, params *graphql.RawParams, queryOnly bool) {
	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		// An invalid mutation is still a mutation: refuse it for the method
		// first, so a GET mutation gets 405 whatever else is wrong with it.
		if queryOnly && selectsNonQuery(params) {
			refuseNonQuery(w, ctx, exec)
			return
		}
		errs = collapse(errs)
		writeErrors(w, requestErrorStatus(media, errs), exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
		return
	}
	if queryOnly && opCtx.Operation.Operation != ast.Query {
		refuseNonQuery(w, ctx, exec)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if resp == nil {
		// The context ended before execution began (timeout or client gone).
		err := ctx.Err()
		if err == nil {
			err = context.Canceled
		}
		writeErrors(w, http.StatusServiceUnavailable, exec.DispatchError(ctx, gqlerror.List{gqlerror.WrapPath(nil, err)}))
		return
	}
	writeResponse(w, resp)
}

// writeResponse writes an executed response. Its data is JSON that gqlgen
// has just written, so it goes out as it is: json.Marshal would copy and
// re-scan it, which for a large page was a noticeable part of a request.
// The field order is json.Marshal's: errors, data, extensions.
func writeResponse(w http.ResponseWriter, resp *graphql.Response) {
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil || resp.Data == nil {
		writeJSONBody(w, http.StatusOK, resp) // incremental delivery: not served here
		return
	}
	var head, tail []byte
	head = append(head, '{')
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			writeJSONBody(w, http.StatusOK, resp)
			return
		}
		head = append(append(append(head, `"errors":`...), errs...), ',')
	}
	head = append(head, `"data":`...)
	if len(resp.Extensions) > 0 {
		ext, err := json.Marshal(resp.Extensions)
		if err != nil {
			writeJSONBody(w, http.StatusOK, resp)
			return
		}
		tail = append(append(tail, `,"extensions":`...), ext...)
	}
	tail = append(tail, '}')
	w.WriteHeader(http.StatusOK)
	for _, b := range [][]byte{head, resp.Data, tail} {
		if _, err := w.Write(b); err != nil {
			return
		}
	}
}

func refuseNonQuery(w http.ResponseWriter, ctx context.Context, exec graphql.GraphExecutor) {
	w.Header().Set("Allow", http.MethodPost)
	refuse(w, ctx, exec, http.StatusMethodNotAllowed, hin.EMETHOD,
		"only queries may be sent with GET; send mutations with POST")
}

// selectsNonQuery reports whether the operation a request selects is a
// mutation or subscription. It parses without validating, for requests
// that failed validation; params.Query already holds a persisted query's
// text, which the APQ extension filled in.
func selectsNonQuery(params *graphql.RawParams) bool {
	doc, err := parser.ParseQuery(&ast.Source{Input: params.Query})
	if err != nil {
		return false
	}
	op := doc.Operations.ForName(params.OperationName)
	return op != nil && op.Operation != ast.Query
}

// requestErrorStatus is the status for a request that failed before
// execution (parse, validation, variable coercion, unknown operation,
// complexity). With application/json the spec wants 200 for any
// well-formed request; with application/graphql-response+json, 400. An
// unknown persisted-query hash stays 200 either way: APQ clients read it as
// "send the full query", and some give up on APQ after a 400.
func requestErrorStatus(media string, errs gqlerror.List) int {
	if media != mediaGraphQLResponse {
		return http.StatusOK
	}
	for _, e := range errs {
		if code, _ := e.Extensions["code"].(string); code != hin.EPERSISTEDNOTFOUND {
			return http.StatusBadRequest
		}
	}
	return http.StatusOK
}

// hasPersistedQuery reports whether a request names its query by APQ hash
// instead of sending it, so a missing query is not (yet) an error.
func hasPersistedQuery(extensions map[string]any) bool {
	_, ok := extensions["persistedQuery"]
	return ok
}

// maxRequestErrors bounds the errors one invalid request is answered with.
const maxRequestErrors = 20

// collapse merges request errors that say the same thing (the same message
// and code, e.g. one unknown directive repeated) into one error listing
// every location, and keeps at most maxRequestErrors. A document that
// repeats one mistake a thousand times then costs one error, not a
// thousand: error lists are no amplifier, and a directive-overloading probe
// learns nothing from the count.
func collapse(errs gqlerror.List) gqlerror.List {
	out := make(gqlerror.List, 0, len(errs))
	seen := map[string]*gqlerror.Error{}
	for _, e := range errs {
		key := fmt.Sprint(e.Message, "\x00", e.Extensions["code"], "\x00", e.Path)
		if first, ok := seen[key]; ok {
			if len(first.Locations) < maxRequestErrors {
				first.Locations = append(first.Locations, e.Locations...)
			}
			continue
		}
		if len(out) == maxRequestErrors {
			continue
		}
		c := *e
		c.Locations = append([]gqlerror.Location(nil), e.Locations...)
		seen[key] = &c
		out = append(out, &c)
	}
	return out
}
