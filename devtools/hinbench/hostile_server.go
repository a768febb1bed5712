package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/store"
)

// prod is the configuration a default hingraph deployment serves with; the
// --hostile mode serves the API with it, so that it measures the defenses
// a default deployment has.
var prod = httpapi.DefaultConfig()

// prodAPI is the API served by the same package and defaults as `hingraph
// serve`, on a loopback port. Left out: metrics (their cost per request is
// small and the same for both kinds of traffic) and tracing.
type prodAPI struct {
	url    string
	secret []byte // HS256 secret the server accepts
	srv    *httpapi.Server
	store  *store.Store
	rec    *recorder // SQL statements and time of tagged requests
	// rejectedRate counts the requests the rate limiter refused
	rejectedRate atomic.Int64
}

func startProdAPI(ctx context.Context, dsn string, poolSize int) (*prodAPI, error) {
	s, err := store.Open(ctx, store.Config{
		URL: dsn, StatementTimeout: store.DefaultStatementTimeout, MaxOpenConns: poolSize, MaxIdleConns: poolSize,
	})
	if err != nil {
		return nil, err
	}
	s.AddHook(statementTimer)
	a := &prodAPI{secret: make([]byte, 32), store: s,
		rec: &recorder{counts: map[string][]served{}, captured: map[string][]statement{}}}
	_, _ = rand.Read(a.secret)
	cfg := prod
	cfg.Addr, cfg.MetricsAddr = "127.0.0.1:0", ""
	cfg.Tokens.HMACSecret = a.secret
	cfg.OnReject = func(limit hin.Limit) {
		if limit == hin.LimitRate {
			a.rejectedRate.Add(1)
		}
	}
	// internal errors and panics only: the benchmark's output is stdout
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a.srv, err = httpapi.New(ctx, cfg, s, log)
	if err == nil {
		a.srv.Wrap(a.rec.middleware)
		err = a.srv.Open(ctx)
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	a.url = a.srv.URL() + "/graphql"
	return a, nil
}

// resetLimiter starts every caller's bucket full again, so that each
// phase meets the rate limit as a fresh attack would.
func (a *prodAPI) resetLimiter() { a.srv.ResetRateLimits() }

// token mints an ANALYST token for subject, valid for the run.
func (a *prodAPI) token(subject string) (string, error) {
	return auth.Mint(auth.MintConfig{Secret: a.secret, Subject: subject, Role: "ANALYST", TTL: 2 * time.Hour})
}

func (a *prodAPI) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.srv.Close(ctx)
	if cerr := a.store.Close(); err == nil {
		err = cerr
	}
	return err
}
