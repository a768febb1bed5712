package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Subscriptions travel over WebSocket (graphql-transport-ws, and the older
// graphql-ws for old clients) and over server-sent events (GraphQL over
// SSE, in its "distinct connections" mode: one POST per operation).

// IsStream reports whether a request opens a long-lived stream: a WebSocket
// upgrade or an SSE request. The edge keeps request timeouts and in-flight
// places off such requests.
func IsStream(r *http.Request) bool {
	if IsWebSocket(r) {
		return true
	}
	return r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// IsWebSocket says whether r asks to become a WebSocket (an Upgrade of
// another protocol, such as h2c, does not).
func IsWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func addStreamTransports(srv *handler.Server, log *slog.Logger, opts Options) {
	keepAlive := opts.KeepAlive
	if keepAlive <= 0 {
		keepAlive = 15 * time.Second
	}
	srv.AddTransport(wsTransport{transport.Websocket{
		Implementation: streamSockets{transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			OriginPatterns: opts.WebSocketOrigins,
		}}},
		InitFunc:              wsInit(opts.Authenticate),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: keepAlive, // graphql-ws
		PingPongInterval:      keepAlive, // graphql-transport-ws: no pong within two, and the connection is dropped
		ErrorFunc: func(ctx context.Context, err error) {
			if !errors.Is(err, transport.ErrWebsocketClosed) && ctx.Err() == nil {
				log.Debug("websocket", "err", err)
			}
		},
	}})
	srv.AddTransport(sseTransport{transport.SSE{KeepAlivePingInterval: keepAlive}})
}

// wsInit takes the token from the connection's init payload. A token there
// replaces one sent in the Authorization header of the upgrade request
// (browsers cannot set that header on a WebSocket); a bad one ends the
// connection, as a bad header gets 401. The socket then counts against the
// token's subject, and ends when the token expires (stream.go).
func wsInit(authenticate func(context.Context, string) (hin.Principal, error)) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		if a, ok := ctx.Value(acceptedKey{}).(*accepted); ok {
			a.initRan = true // from here gqlgen closes the socket itself
		}
		authz := payload.Authorization()
		if authz == "" {
			return ctx, nil, nil
		}
		// graphql-transport-ws closes a refused connection with 4403
		// (Forbidden), after which the graphql-ws client reconnects with its
		// connectionParams read again (a fresh token); 4429 (too many) it
		// takes as final.
		refuse := func(code int, msg string) (context.Context, *transport.InitPayload, error) {
			reason := msg
			if len(reason) > 120 { // a close reason is at most 123 bytes
				reason = reason[:120]
			}
			ctx = transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, reason), code)
			return ctx, nil, errors.New(msg)
		}
		if authenticate == nil {
			return refuse(closeForbidden, "tokens are not accepted by this server")
		}
		p, err := authenticate(ctx, authz)
		if err != nil {
			return refuse(closeForbidden, hin.ErrorMessage(err))
		}
		if s := streamFrom(ctx); s != nil {
			if err := s.signIn(p); err != nil {
				return refuse(closeTooManyRequests, hin.ErrorMessage(err))
			}
		}
		return hin.WithPrincipal(ctx, p), nil, nil
	}
}

// sseTransport is gqlgen's SSE transport, except that a body that is not
// JSON is refused here, with the same fixed message as on plain POST:
// gqlgen's own answer quotes the body back.
type sseTransport struct{ transport.SSE }

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	if err != nil || !json.Valid(body) {
		setResponseType(w, mediaJSON)
		refuse(w, r.Context(), exec, http.StatusBadRequest, hin.EBADREQUEST, "the request body must be a JSON object")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.SSE.Do(w, r, exec)
}

// freshLoadersPerEvent gives each event of a subscription loaders of its
// own, as each HTTP request has: the connection's would serve stale
// reference data and mix the counts its batches wait for.
func freshLoadersPerEvent(s *store.Store) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if !graphql.HasOperationContext(ctx) {
			return next(ctx) // a request refused before it had an operation
		}
		op := graphql.GetOperationContext(ctx)
		if op.Operation == nil || op.Operation.Operation != ast.Subscription {
			return next(ctx)
		}
		ctx = WithLoaders(ctx, s)
		objs := loadersFrom(ctx).objs
		for _, sel := range op.Operation.SelectionSet {
			if f, ok := sel.(*ast.Field); ok {
				objs.add(f.Alias, 1) // the one object each event puts at the root field
			}
		}
		return next(ctx)
	}
}

type streamKey struct{}

// markStreams notes on the context that a request is a stream, for
// streamRules. An Upgrade to anything but a WebSocket is ignored, as RFC
// 9110 lets a server do: gqlgen would take any Upgrade header for a
// WebSocket and answer in plain text.
func markStreams(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsStream(r) {
			r = r.WithContext(context.WithValue(r.Context(), streamKey{}, true))
		} else if r.Header.Get("Upgrade") != "" {
			r = r.Clone(r.Context())
			r.Header.Del("Upgrade")
		}
		next.ServeHTTP(w, r)
	})
}

// streamRules keeps each kind of operation on its own kind of request.
// Streams run subscriptions only: a query or mutation over a WebSocket
// would skip the rate limits, in-flight caps and request timeout that
// plain requests meet. And a subscription sent as a plain request would
// hold it open until its first event.
type streamRules struct{}

var _ graphql.OperationContextMutator = streamRules{}

func (streamRules) ExtensionName() string                   { return "HinGraphStreamRules" }
func (streamRules) Validate(graphql.ExecutableSchema) error { return nil }

func (streamRules) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	stream, _ := ctx.Value(streamKey{}).(bool)
	subscription := oc.Operation != nil && oc.Operation.Operation == ast.Subscription
	switch {
	case stream && !subscription:
		return &gqlerror.Error{Message: "only subscriptions run over WebSocket and server-sent events; send queries and mutations to /graphql by POST or GET",
			Extensions: map[string]any{"code": hin.EBADREQUEST}}
	case !stream && subscription:
		return &gqlerror.Error{Message: "subscriptions need a WebSocket (graphql-transport-ws) or server-sent events (POST with Accept: text/event-stream)",
			Extensions: map[string]any{"code": hin.EBADREQUEST}}
	case subscription:
		// GraphQL's single root field rule, which gqlgen leaves to the
		// generated code, where it fails with no code (INTERNAL); fields
		// are collected as it collects them: fragments spread, @skip applied
		if n := len(graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Subscription"})); n != 1 {
			return &gqlerror.Error{Message: fmt.Sprintf("a subscription selects exactly one root field, not %d; open one subscription per field", n),
				Extensions: map[string]any{"code": errcode.ValidationFailed}}
		}
	}
	return nil
}
