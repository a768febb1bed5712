package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/ratelimit"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/telemetry"
)

// Server is the HTTP edge over one store: the public listener with the API,
// and, when configured, a separate listener with the metrics.
type Server struct {
	cfg         Config
	log         *slog.Logger
	limiter     *ratelimit.Limiter
	metrics     *telemetry.Metrics // nil: metrics off
	stopTracing func(context.Context) error
	handler     http.Handler

	// live serves the subscriptions; liveCtx ends when the server closes,
	// and with it the listener and every open stream.
	live     *graph.Live
	liveCtx  context.Context
	stopLive context.CancelFunc
	// streaming counts the stream handlers still running: a WebSocket is
	// hijacked, so http.Server.Shutdown does not wait for its close frame.
	streaming sync.WaitGroup

	api, metricsSrv  *http.Server
	apiLn, metricsLn net.Listener
	done             chan error // one value per running listener
	running          int
}

// New verifies cfg and builds the server: the token verifier, tracing
// (when an OTLP endpoint is set), metrics (when a metrics address is set),
// both hooked into the store's statements, and the handler. Nothing
// listens until Open.
func New(ctx context.Context, cfg Config, s *store.Store, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	tokens, err := auth.NewVerifier(ctx, cfg.Tokens, func(ctx context.Context, code string) (string, error) {
		r, err := s.RegionByCode(ctx, code)
		return r.ID, err
	})
	if err != nil {
		return nil, fmt.Errorf("bearer tokens: %w", err)
	}
	log.Info("bearer tokens", "hs256", len(cfg.Tokens.HMACSecret) > 0, "jwks", cfg.Tokens.JWKS != "", "oidc_issuer", cfg.Tokens.OIDCIssuer, "claim_mapping", cfg.Tokens.Mapping != nil)
	if cfg.Limits.AllowList != nil {
		log.Info("allow-list mode: callers without a token may run only registered operations", "operations", len(cfg.Limits.AllowList))
	}
	srv := &Server{cfg: cfg, log: log, limiter: ratelimit.New(ratelimit.Config{}), done: make(chan error, 2)}
	srv.liveCtx, srv.stopLive = context.WithCancel(context.Background())
	srv.live = graph.NewLive(s, graph.LiveConfig{
		MaxPerCaller: cfg.Subscriptions.MaxPerCaller, Coalesce: cfg.Subscriptions.Coalesce, Timeout: cfg.RequestTimeout, Log: log,
		MaxStreamsPerAddress: cfg.Subscriptions.MaxStreamsPerAddress, MaxStreamsPerSubject: cfg.Subscriptions.MaxStreamsPerSubject,
		StreamIdle: cfg.Subscriptions.IdleTimeout,
	})
	// One connection per process LISTENs for outcome changes made by any
	// process; without it (a store made from a bare pool) subscriptions see
	// nothing, which only tests do.
	if err := s.ListenOutcomeChanges(srv.liveCtx, log, srv.live.Notify); err != nil {
		log.Warn("subscriptions will not see changes", "err", err)
	}
	if err := s.ListenSubmissionChanges(srv.liveCtx, log, srv.live.NotifySubmission); err != nil {
		log.Warn("tracker subscriptions will not see submission changes", "err", err)
	}
	srv.stopTracing, err = telemetry.SetupTracing(ctx, telemetry.TracingConfig{
		Endpoint: cfg.OTLPEndpoint, SampleRatio: cfg.TraceSampleRatio, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	var tracer *telemetry.Tracer
	if cfg.MetricsAddr != "" {
		// Its own registry, not the global one: tests start many servers in one process.
		srv.metrics = telemetry.NewMetrics(prometheus.NewRegistry(), s.DB())
		s.AddHook(srv.metrics.StatementHook())
	}
	if cfg.OTLPEndpoint != "" {
		tracer = telemetry.NewTracer(nil, nil)
		s.AddHook(tracer.StatementHook())
	}
	log.Info("telemetry", "metrics", cfg.MetricsAddr != "", "tracing", cfg.OTLPEndpoint != "", "trace_sample_ratio", cfg.TraceSampleRatio)
	ss, err := newSessions(ctx, cfg.SignIn, cfg.Tokens.OIDCIssuer, s, tokens, log)
	if err != nil {
		return nil, err
	}
	log.Info("browser sign-in", "enabled", ss != nil)
	srv.handler = srv.routes(s, tokens, ss, tracer)
	return srv, nil
}

// rejected tells the metrics, and the OnReject hook, which limit refused
// a request.
func (srv *Server) rejected(limit hin.Limit) {
	srv.metrics.Rejected(limit) // nil-safe when metrics are off
	if srv.cfg.OnReject != nil {
		srv.cfg.OnReject(limit)
	}
}

// routes wires the public handler. From the outside in: tracing, metrics,
// the access log and CORS for every route; then, on /graphql, the
// connection deadlines, the rate limits and bearer tokens or the session
// cookie (guard), the body limit (the caller is checked before its body is
// read), and the GraphQL handler with its query limits and request timeout.
func (srv *Server) routes(s *store.Store, tokens *auth.Verifier, ss *sessions, tracer *telemetry.Tracer) http.Handler {
	cfg := srv.cfg
	var exts []graphql.HandlerExtension
	if srv.metrics != nil {
		exts = append(exts, srv.metrics.GraphQL())
	}
	if tracer != nil {
		exts = append(exts, tracer.GraphQL())
	}
	limits := cfg.Limits
	limits.OnReject = srv.rejected
	api := graph.NewHandler(s, graph.Options{
		Introspection:  cfg.Introspection,
		Limits:         limits,
		RequestTimeout: cfg.RequestTimeout,
		SimpleGET:      cfg.SimpleGET,
		Log:            srv.log,
		Extensions:     exts,
		Live:           srv.live,
		Authenticate: func(ctx context.Context, authorization string) (hin.Principal, error) {
			return verify(ctx, tokens, []string{authorization})
		},
		KeepAlive:        cfg.Subscriptions.KeepAlive,
		WebSocketOrigins: originHosts(cfg.CORSOrigins),
	})
	mux := http.NewServeMux()
	// the caller is checked before its body is read; a stream then drops
	// the connection deadlines
	mux.Handle("/graphql", connDeadlines(cfg.RequestTimeout, guard(tokens, ss, srv.limiter, cfg.Rate, cfg.AnonymousRate, srv.rejected,
		limitBody(cfg.MaxBodyBytes, srv.rejected, srv.streams(api)))))
	guarded := func(h http.Handler) http.Handler {
		return guard(tokens, ss, srv.limiter, cfg.Rate, cfg.AnonymousRate, srv.rejected, h)
	}
	returnRoutes(mux, s, cfg, &limits, srv.rejected, guarded)
	addCollectionRoutes(mux, s, cfg, srv.rejected, guarded)
	pages(mux)
	signInRoutes(mux, ss, func(h http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			admit(w, r, srv.limiter, "ip:"+clientHost(r), cfg.AnonymousRate, srv.rejected, h)
		})
	})
	// /livez is the Kubernetes name for liveness; /healthz stays for
	// existing checks. Neither touches the database: a database outage
	// must not get every replica restarted.
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /livez", healthz)
	mux.HandleFunc("GET /readyz", readiness(s))

	var h http.Handler = mux
	if len(cfg.TrustedProxies) > 0 {
		h = forwardedClient(cfg.TrustedProxies, h)
	}
	if len(cfg.CORSOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins: cfg.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
			AllowedHeaders: []string{"Content-Type", "Authorization", "X-Request-Id"},
			// a browser page reading an export follows its next page
			ExposedHeaders: []string{"Link", "X-Next-Cursor", "X-Request-Id"},
			MaxAge:         600,
		}).Handler(h)
	}
	h = accessLog(srv.log, h)
	// Routes are labels and span names: a fixed set, never the raw path.
	routes := telemetry.Routes(append(append([]string{"/", "/graphql", "/graphiql", "/dashboard", "/returns", "/healthz", "/livez", "/readyz", "/auth/login", "/auth/callback", "/auth/logout", "/auth/me"}, csvRoutes...), collectionRoutes...)...)
	if srv.metrics != nil {
		h = srv.metrics.HTTPMiddleware(routes, h)
	}
	if tracer != nil {
		h = tracer.TraceHTTP(routes, h) // outermost, so the span covers the whole request
	}
	return h
}

// Live is the subscription hub (the bench tool reads its counters).
func (srv *Server) Live() *graph.Live { return srv.live }

// Handler is the public API handler (what Open serves on Addr).
func (srv *Server) Handler() http.Handler { return srv.handler }

// MetricsHandler is what Open serves on MetricsAddr, or nil when metrics
// are off.
func (srv *Server) MetricsHandler() http.Handler {
	if srv.metrics == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", srv.metrics.Handler())
	return mux
}

// Wrap puts mw around the public handler; call it before Open. Tools use
// it to observe requests as the server sees them.
func (srv *Server) Wrap(mw func(http.Handler) http.Handler) { srv.handler = mw(srv.handler) }

// ResetRateLimits gives every caller a full bucket again.
func (srv *Server) ResetRateLimits() { srv.limiter.Reset() }

// Open listens on Addr, and on MetricsAddr when metrics are on, and serves
// both in the background until Close. ctx is the base of every request's
// context; cancelling it does not stop the server.
func (srv *Server) Open(ctx context.Context) (err error) {
	srv.apiLn, err = net.Listen("tcp", srv.cfg.Addr)
	if err != nil {
		return err
	}
	if mh := srv.MetricsHandler(); mh != nil {
		srv.metricsLn, err = net.Listen("tcp", srv.cfg.MetricsAddr)
		if err != nil {
			_ = srv.apiLn.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
		srv.metricsSrv = &http.Server{
			Handler:           mh,
			ReadHeaderTimeout: 5 * time.Second,
			WriteTimeout:      30 * time.Second,
			ErrorLog:          slog.NewLogLogger(srv.log.Handler(), slog.LevelWarn),
		}
	}
	// No handler may outlive its connection: the read and write timeouts
	// cover the longest handler deadline (each route narrows them to its
	// own, see withDeadline), and writing leaves time to answer after it.
	longest, answer := srv.cfg.longestDeadline(), time.Duration(0)
	if longest > 0 {
		answer = longest + answerMargin
	}
	srv.api = &http.Server{
		Handler:           srv.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       longest,
		WriteTimeout:      answer,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(srv.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.serve(srv.api, srv.apiLn)
	addr := srv.apiLn.Addr().String()
	srv.log.Info("serving", "addr", addr, "graphiql", "http://"+addr+"/", "graphql", "http://"+addr+"/graphql")
	if srv.metricsSrv != nil {
		srv.serve(srv.metricsSrv, srv.metricsLn)
		srv.log.Info("serving metrics", "addr", srv.metricsLn.Addr().String(), "metrics", "http://"+srv.metricsLn.Addr().String()+"/metrics")
	}
	return nil
}

func (srv *Server) serve(h *http.Server, ln net.Listener) {
	srv.running++
	go func() { srv.done <- h.Serve(ln) }()
}

// URL is the base URL of the public listener, once open.
func (srv *Server) URL() string { return "http://" + srv.apiLn.Addr().String() }

// MetricsURL is the metrics endpoint, once open, or "" when metrics are off.
func (srv *Server) MetricsURL() string {
	if srv.metricsLn == nil {
		return ""
	}
	return "http://" + srv.metricsLn.Addr().String() + "/metrics"
}

// Done delivers the error of a listener that stopped on its own.
func (srv *Server) Done() <-chan error { return srv.done }

// Close stops accepting requests and lets in-flight ones finish until ctx
// ends, then flushes the spans still buffered.
func (srv *Server) Close(ctx context.Context) error {
	// Streams never go idle, so end them first: each subscription gets its
	// "complete" (the transports get a moment to send it), then each
	// WebSocket a normal close and each SSE response its end.
	srv.live.Close(ctx)
	select {
	case <-time.After(100 * time.Millisecond):
	case <-ctx.Done():
	}
	srv.stopLive()
	var errs []error
	for _, h := range []*http.Server{srv.api, srv.metricsSrv} {
		if h != nil {
			errs = append(errs, h.Shutdown(ctx))
		}
	}
	// after Shutdown no stream handler can start, so the wait is sound;
	// each socket's close frame goes out before the process may exit
	waited := make(chan struct{})
	go func() { srv.streaming.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
	}
	for ; srv.running > 0; srv.running-- {
		if err := <-srv.done; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.stopTracing(flush); err != nil {
		srv.log.Warn("flushing traces", "err", err)
	}
	return errors.Join(errs...)
}

// Run serves until ctx ends, then shuts down within ShutdownTimeout.
func (srv *Server) Run(ctx context.Context) error {
	if err := srv.Open(ctx); err != nil {
		_ = srv.stopTracing(context.Background())
		return err
	}
	select {
	case err := <-srv.done:
		srv.running--
		shutdownCtx, cancel := context.WithTimeout(context.Background(), srv.cfg.ShutdownTimeout)
		defer cancel()
		return errors.Join(err, srv.Close(shutdownCtx))
	case <-ctx.Done():
	}
	srv.log.Info("shutting down; finishing in-flight requests", "timeout", srv.cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), srv.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Close(shutdownCtx); err != nil {
		return err
	}
	srv.log.Info("stopped")
	return nil
}
