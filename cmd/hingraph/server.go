package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
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

// newServer wires the routes: the GraphQL endpoint, GraphiQL, the health
// probes and the metrics, behind request ids, access logging, body limits,
// CORS, and the request metrics and spans.
func newServer(s *store.Store, c *config, log *slog.Logger, tokens *auth.Verifier, allowList map[string]string, o observability) http.Handler {
	var exts []graphql.HandlerExtension
	if o.metrics != nil {
		exts = append(exts, o.metrics.GraphQL())
	}
	if o.tracer != nil {
		exts = append(exts, o.tracer.GraphQL())
	}
	api := graph.NewHandler(s, graph.Options{
		Introspection: c.Introspection,
		Limits: graph.Limits{
			MaxTokens: c.MaxTokens, MaxDepth: c.MaxDepth, MaxAliases: c.MaxAliases, MaxDirectives: c.MaxDirectives,
			MaxCost: c.MaxCost, MaxCostAnonymous: c.MaxCostAnon, MaxQueryBytes: c.MaxQueryBytes, AnonymousIntrospection: c.AnonIntrospect, AnonymousSuggestions: c.AnonSuggest, AllowList: allowList,
			OnReject: o.metrics.Rejected, // nil-safe when metrics are off
		},
		RequestTimeout: c.RequestTimeout,
		SimpleGET:      c.SimpleGET,
		Log:            log,
		Extensions:     exts,
	})
	limiter := ratelimit.New(ratelimit.Config{
		Authenticated: ratelimit.Rate{PerSecond: c.Rate, Burst: c.Burst, InFlight: c.InFlight},
		Anonymous:     ratelimit.Rate{PerSecond: c.AnonRate, Burst: c.AnonBurst, InFlight: c.AnonInFlight},
		OnReject:      func() { o.metrics.Rejected("rate") },
	})
	mux := http.NewServeMux()
	mux.Handle("/graphql", limitBody(c.MaxBodyBytes, o.metrics.Rejected, auth.Middleware(tokens, limiter.Middleware(api))))
	mux.Handle("GET /{$}", graph.GraphiQLHandler("/graphql"))
	mux.Handle("GET /graphiql", graph.GraphiQLHandler("/graphql"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", readiness(s))
	if o.metrics != nil {
		mux.Handle("GET /metrics", o.metrics.Handler())
	}

	var h http.Handler = mux
	if origins := splitList(c.CORSOrigins); len(origins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins: origins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
			AllowedHeaders: []string{"Content-Type", "Authorization", "X-Request-Id"},
			MaxAge:         600,
		}).Handler(h)
	}
	h = accessLog(log, h)
	// Routes are labels and span names: a fixed set, never the raw path.
	routes := telemetry.Routes("/", "/graphql", "/graphiql", "/healthz", "/readyz", "/metrics")
	if o.metrics != nil {
		h = o.metrics.HTTPMiddleware(routes, h)
	}
	if o.tracer != nil {
		h = o.tracer.TraceHTTP(routes, h) // outermost, so the span covers the whole request
	}
	return h
}

// observability instruments the server; a nil part is switched off.
type observability struct {
	metrics *telemetry.Metrics
	tracer  *telemetry.Tracer
}

// setupTelemetry builds the metrics (unless --metrics=false) and tracing
// (when an OTLP endpoint is set) and hooks both into the store's
// statements. stop flushes the spans still buffered.
func setupTelemetry(ctx context.Context, s *store.Store, c *config, log *slog.Logger) (o observability, stop func(), err error) {
	stopTracing, err := telemetry.SetupTracing(ctx, telemetry.TracingConfig{
		Endpoint: c.OTLPEndpoint, SampleRatio: c.TraceSampleRatio, Log: log,
	})
	if err != nil {
		return o, nil, fmt.Errorf("tracing: %w", err)
	}
	if c.Metrics {
		// Its own registry, not the global one: tests start many servers in one process.
		o.metrics = telemetry.NewMetrics(prometheus.NewRegistry(), s.DB())
		s.AddHook(o.metrics.StatementHook())
	}
	if c.OTLPEndpoint != "" {
		o.tracer = telemetry.NewTracer(nil, nil)
		s.AddHook(o.tracer.StatementHook())
	}
	log.Info("telemetry", "metrics", c.Metrics, "tracing", c.OTLPEndpoint != "", "trace_sample_ratio", c.TraceSampleRatio)
	return o, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(ctx); err != nil {
			log.Warn("flushing traces", "err", err)
		}
	}, nil
}

// readiness answers 200 only when the database answers and every migration
// is applied, so a load balancer never routes to an instance that would fail.
func readiness(s *store.Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ping(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, `{"status":"unavailable","reason":"database unreachable"}`)
			return
		}
		current, err := s.MigrationsCurrent(ctx)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, `{"status":"unavailable","reason":"cannot read migration state"}`)
			return
		}
		if !current {
			writeJSON(w, http.StatusServiceUnavailable, `{"status":"unavailable","reason":"migrations pending"}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"status":"ready"}`)
	}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// limitBody refuses bodies over n bytes with 413, telling rejected.
func limitBody(n int64, rejected func(limit string), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			rejected("body_size")
			writeJSON(w, http.StatusRequestEntityTooLarge, `{"errors":[{"message":"request body too large","extensions":{"code":"REQUEST_TOO_LARGE"}}]}`)
			return
		}
		body := http.MaxBytesReader(w, r.Body, n)
		if r.ContentLength < 0 {
			// A chunked body's size is known only once read, and gqlgen would
			// answer an oversized one with 200; read it here (at most n bytes)
			// so it gets the same 413 as a declared one.
			b, err := io.ReadAll(body)
			if err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					rejected("body_size")
					writeJSON(w, http.StatusRequestEntityTooLarge, `{"errors":[{"message":"request body too large","extensions":{"code":"REQUEST_TOO_LARGE"}}]}`)
				} else {
					writeJSON(w, http.StatusBadRequest, `{"errors":[{"message":"could not read request body","extensions":{"code":"BAD_REQUEST"}}]}`)
				}
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		} else {
			r.Body = body
		}
		next.ServeHTTP(w, r)
	})
}

type requestIDKey struct{}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// accessLog gives each request an id (a caller's X-Request-Id is kept when
// it is sane), counts its SQL statements and logs one JSON line with the
// GraphQL operation name when it ends.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = hin.WithRequestID(ctx, id)
		ctx, counter := store.WithStatementCounter(ctx)
		ctx, op := graph.WithOperationNameSlot(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			return
		}
		log.Info("request",
			"request_id", id, "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"operation", op.Name, "duration_ms", float64(time.Since(start).Microseconds())/1000,
			"sql_statements", counter.Count(), "bytes", rec.bytes)
	})
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// serve runs the HTTP server until ctx ends, then stops accepting requests
// and lets in-flight ones finish within the shutdown timeout.
func serve(ctx context.Context, s *store.Store, c *config, log *slog.Logger) error {
	tokens, err := auth.NewVerifier(ctx, auth.Config{HMACSecret: []byte(c.JWTSecret), JWKS: c.JWKS, Issuer: c.JWTIssuer, Audience: c.JWTAudience, Leeway: c.JWTLeeway, MaxLifetime: c.JWTMaxLife},
		func(ctx context.Context, code string) (string, error) {
			r, err := s.RegionByCode(ctx, code)
			return r.ID, err
		})
	if err != nil {
		return fmt.Errorf("bearer tokens: %w", err)
	}
	log.Info("bearer tokens", "hs256", c.JWTSecret != "", "jwks", c.JWKS != "")
	allowList, err := loadAllowList(c.AllowList)
	if err != nil {
		return err
	}
	if allowList != nil {
		log.Info("allow-list mode: callers without a token may run only registered operations", "operations", len(allowList))
	}
	obs, stopTelemetry, err := setupTelemetry(ctx, s, c, log)
	if err != nil {
		return err
	}
	defer stopTelemetry() // after the in-flight requests, so their spans are sent
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newServer(s, c, log, tokens, allowList, obs),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      c.RequestTimeout + 10*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	log.Info("serving", "addr", ln.Addr().String(), "graphiql", "http://"+ln.Addr().String()+"/", "graphql", "http://"+ln.Addr().String()+"/graphql")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; finishing in-flight requests", "timeout", c.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
