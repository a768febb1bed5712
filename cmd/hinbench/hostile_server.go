package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/ratelimit"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Production defaults, copied from cmd/hingraph/config.go (bindDB,
// bindServe): the --hostile mode serves the handler with these, so that it
// measures the defenses a default deployment has. Keep them in step.
const (
	prodStatementTimeout = 10 * time.Second // --statement-timeout
	prodRequestTimeout   = 15 * time.Second // --request-timeout
	prodMaxBodyBytes     = 1 << 20          // --max-body-bytes
	prodMaxOpenConns     = 20               // --max-open-conns
	prodIntrospection    = true             // --introspection
	prodAnonIntrospect   = true             // --anonymous-introspection
	prodAnonSuggest      = false            // --anonymous-suggestions
	prodRate             = 50.0             // --rate, per token subject
	prodBurst            = 100              // --burst
	prodAnonRate         = 20.0             // --anonymous-rate, per client address
	prodAnonBurst        = 120              // --anonymous-burst
	prodInFlight         = 16               // --max-in-flight
	prodAnonInFlight     = 8                // --anonymous-max-in-flight
)

// prodLimits are the query limits cmd/hingraph/config.go defaults to
// (--max-tokens, --max-depth, --max-aliases, --max-directives, --max-cost).
var prodLimits = graph.Limits{
	MaxTokens: 2000, MaxDepth: 15, MaxAliases: 15, MaxDirectives: 50, MaxCost: 50000,
	MaxCostAnonymous: 10000, MaxQueryBytes: 64 << 10,
	AnonymousIntrospection: prodAnonIntrospect, AnonymousSuggestions: prodAnonSuggest,
}

// prodAPI is the API wired as cmd/hingraph's newServer wires /graphql:
// body limit, bearer tokens, rate limit per caller, then the GraphQL
// handler with the default limits and request timeout, behind an
// http.Server with hingraph's timeouts. Left out: the access log, metrics
// and tracing (their cost per request is small and the same for both
// kinds of traffic).
type prodAPI struct {
	url     string
	secret  []byte // HS256 secret the in-process verifier accepts
	srv     *http.Server
	store   *store.Store
	chain   atomic.Pointer[http.Handler]
	api     http.Handler
	tokens  *auth.Verifier
	limiter atomic.Pointer[ratelimit.Limiter]
	done    chan error
	rec     *recorder // SQL statements and time of tagged requests
	// rejectedRate counts the requests the rate limiter refused
	rejectedRate atomic.Int64
}

func startProdAPI(ctx context.Context, dsn string, poolSize int) (*prodAPI, error) {
	s, err := store.Open(ctx, store.Config{
		URL: dsn, StatementTimeout: prodStatementTimeout, MaxOpenConns: poolSize, MaxIdleConns: poolSize,
	})
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	tokens, err := auth.NewVerifier(ctx, auth.Config{HMACSecret: secret, Leeway: 30 * time.Second},
		func(ctx context.Context, code string) (string, error) {
			r, err := s.RegionByCode(ctx, code)
			return r.ID, err
		})
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	s.AddHook(statementTimer)
	// internal errors and panics only: the benchmark's output is stdout
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a := &prodAPI{secret: secret, store: s, tokens: tokens, done: make(chan error, 1),
		rec: &recorder{counts: map[string][]served{}, captured: map[string][]statement{}}}
	a.api = graph.NewHandler(s, graph.Options{
		Introspection:  prodIntrospection,
		Limits:         prodLimits,
		RequestTimeout: prodRequestTimeout,
		Log:            log,
	})
	a.resetLimiter()
	mux := http.NewServeMux()
	mux.Handle("/graphql", a.rec.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*a.chain.Load()).ServeHTTP(w, r)
	})))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	a.url = "http://" + ln.Addr().String() + "/graphql"
	a.srv = &http.Server{ // as cmd/hingraph's serve
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      prodRequestTimeout + 10*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() { a.done <- a.srv.Serve(ln) }()
	return a, nil
}

// resetLimiter starts every caller's bucket full again, so that each
// phase meets the rate limit as a fresh attack would.
func (a *prodAPI) resetLimiter() {
	l := ratelimit.New(ratelimit.Config{
		Authenticated: ratelimit.Rate{PerSecond: prodRate, Burst: prodBurst, InFlight: prodInFlight},
		Anonymous:     ratelimit.Rate{PerSecond: prodAnonRate, Burst: prodAnonBurst, InFlight: prodAnonInFlight},
		OnReject:      func() { a.rejectedRate.Add(1) },
	})
	a.limiter.Store(l)
	var h http.Handler = limitBody(prodMaxBodyBytes, auth.Middleware(a.tokens, l.Middleware(a.api)))
	a.chain.Store(&h)
}

// token mints an ANALYST token for subject, valid for the run.
func (a *prodAPI) token(subject string) (string, error) {
	return auth.Mint(auth.MintConfig{Secret: a.secret, Subject: subject, Role: "ANALYST", TTL: 2 * time.Hour})
}

func (a *prodAPI) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	if serveErr := <-a.done; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	if cerr := a.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// limitBody is cmd/hingraph's body limit (server.go limitBody) for
// requests that declare their length, as every request here does: over n
// bytes is refused with 413 unread, the rest is read through a
// MaxBytesReader.
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = fmt.Fprint(w, `{"errors":[{"message":"request body too large","extensions":{"code":"REQUEST_TOO_LARGE"}}]}`)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}
