package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Options configure the GraphQL server.
type Options struct {
	// Introspection allows schema introspection at all; who may use it is
	// then up to Limits.AnonymousIntrospection.
	Introspection  bool
	Limits         Limits
	RequestTimeout time.Duration // 0 means none
	Log            *slog.Logger
	// Extensions are added to the gqlgen server (metrics, tracing).
	Extensions []graphql.HandlerExtension
	// SimpleGET runs GET queries without a preflight-forcing header, as
	// plain links and caches send them; off, browsers cannot send them
	// cross-site (CSRF) without CORS allowing it.
	SimpleGET bool
	// Live serves subscriptions; nil gives a hub that no change reaches.
	Live *Live
	// Authenticate verifies the token a WebSocket client sends in its
	// connection's init payload ("Authorization": "Bearer ..."); nil
	// refuses such tokens.
	Authenticate func(ctx context.Context, authorization string) (hin.Principal, error)
	// KeepAlive is the heartbeat of open subscriptions: a ping on
	// WebSockets (a client that stops answering is dropped), a comment on
	// SSE streams. Default 15 s.
	KeepAlive time.Duration
	// WebSocketOrigins are the host patterns, besides the server's own,
	// whose pages may open WebSockets (the CORS origins).
	WebSocketOrigins []string
}

// NewHandler builds the GraphQL HTTP handler deliberately: only the
// transports we mean to serve, a parsed-query cache, automatic persisted
// queries, a complexity limit, introspection as configuration, and a
// recover function. Each request gets its own loaders.
func NewHandler(s *store.Store, opts Options) http.Handler {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	live := opts.Live
	if live == nil {
		live = NewLive(s, LiveConfig{MaxPerCaller: DefaultMaxSubscriptionsPerCaller, Log: log})
	}
	es := NewExecutableSchema(Config{Resolvers: &Resolver{Store: s, Live: live}, Complexity: costs()})
	srv := handler.New(es)
	addStreamTransports(srv, log, opts)
	addTransports(srv, !opts.SimpleGET)
	queries := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(queries)
	limits := opts.Limits
	// before persisted queries, so the allow-list can turn a hash into its query
	srv.Use(&limitExtension{l: &limits, introspection: opts.Introspection, cache: queries})
	srv.Use(streamRules{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	for _, ext := range opts.Extensions {
		srv.Use(ext)
	}
	maySuggest := func(ctx context.Context) bool {
		anonymous := hin.PrincipalFrom(ctx).Role == hin.RoleAnonymous
		return opts.Introspection && (!anonymous || limits.AnonymousIntrospection && limits.AnonymousSuggestions)
	}
	srv.SetErrorPresenter(presentError(log, maySuggest))
	srv.SetRecoverFunc(recoverPanic(log))
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if op := graphql.GetOperationContext(ctx); op != nil {
			setOperationName(ctx, op.OperationName)
		}
		return next(ctx)
	})
	srv.AroundOperations(live.shareSubscriptions(&limits)) // innermost: each member passes the others
	srv.AroundResponses(freshLoadersPerEvent(s))
	// Direct execution writes fields without calling field middleware, so
	// a server with any is served by gqlgen alone (docs/adr/0001).
	if !interceptsFields(opts.Extensions) {
		srv.AroundRootFields(directRootFields(s, es.(*executableSchema), log))
	}
	var h http.Handler = srv
	h = LoadersMiddleware(s, h)
	h = markStreams(h)
	if opts.RequestTimeout > 0 {
		h = withTimeout(opts.RequestTimeout, h)
	}
	return h
}

// interceptsFields reports whether an extension is field middleware
// (graphql.FieldInterceptor: permissions, tracing by field), which must see
// every field.
func interceptsFields(exts []graphql.HandlerExtension) bool {
	for _, e := range exts {
		if _, ok := e.(graphql.FieldInterceptor); ok {
			return true
		}
	}
	return false
}

// withTimeout bounds a request; the context deadline also cancels its SQL.
// A stream (WebSocket or SSE) lives as long as its client wants: each
// recomputation it sends is bounded instead (LiveConfig.Timeout).
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type opNameKey struct{}

// OperationNameSlot lets the access log learn the GraphQL operation name,
// which only the GraphQL layer knows.
type OperationNameSlot struct{ Name string }

// WithOperationNameSlot puts an empty slot on the context for the handler to fill.
func WithOperationNameSlot(ctx context.Context) (context.Context, *OperationNameSlot) {
	slot := &OperationNameSlot{}
	return context.WithValue(ctx, opNameKey{}, slot), slot
}

func setOperationName(ctx context.Context, name string) {
	if slot, ok := ctx.Value(opNameKey{}).(*OperationNameSlot); ok {
		slot.Name = name
	}
}
