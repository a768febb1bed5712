// Package httpapi is the HTTP edge of hin-graph: the listeners, the routes,
// the middleware every request passes through (tracing, metrics, access
// log, CORS, body limit, rate limits, bearer tokens), the health probes and
// the one JSON error writer. cmd/hingraph binds its flags onto Config; the
// bench and chaos tools serve or describe the API through the same package.
package httpapi

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/ratelimit"
)

// Config is everything the HTTP edge can be told. DefaultConfig holds the
// values a deployment gets when it sets nothing.
type Config struct {
	// Addr is the public listener: the API, GraphiQL and the health probes.
	Addr string
	// MetricsAddr is the Prometheus listener, kept off the public port;
	// empty turns metrics off.
	MetricsAddr string

	RequestTimeout time.Duration // one request, its SQL included
	// BulkTimeout is one upload or CSV export of up to 50,000 rows, its SQL
	// included; such a route gets the longer of it and RequestTimeout.
	BulkTimeout     time.Duration
	ShutdownTimeout time.Duration // how long in-flight requests may take to finish
	MaxBodyBytes    int64         // largest request body accepted
	MaxCSVBytes     int64         // largest CSV return accepted by POST /returns.csv

	// Introspection allows schema introspection at all; who may use it is
	// then up to Limits.AnonymousIntrospection.
	Introspection bool
	// SimpleGET runs GET queries that carry no preflight-forcing header.
	SimpleGET bool
	// Limits are the query limits (depth, cost, ...). AllowList is filled
	// in by the caller; OnReject is set by New.
	Limits graph.Limits

	// Rate is per bearer-token subject; AnonymousRate is per client
	// address, for requests without a token and, in a bucket of their own,
	// for tokens that fail verification (see guard).
	Rate          ratelimit.Rate
	AnonymousRate ratelimit.Rate

	// CORSOrigins are the origins allowed cross-origin; none means
	// same-origin only.
	CORSOrigins []string

	// Tokens configures bearer-token verification; no secret and no JWKS
	// means every token is refused.
	Tokens auth.Config
	// SignIn is browser sign-in to the pages; it needs Tokens.OIDCIssuer.
	SignIn SignIn

	// OTLPEndpoint is the trace collector; empty turns tracing off.
	OTLPEndpoint     string
	TraceSampleRatio float64

	// Subscriptions are the limits and timing of live updates.
	Subscriptions Subscriptions

	// TrustedProxies are the addresses of the proxies in front of the
	// server (an ingress, a load balancer). A connection from one of them
	// is keyed by the client address its X-Forwarded-For names, so limits
	// per address apply to clients, not to the proxy; from anywhere else
	// the header is ignored, since any client can send it.
	TrustedProxies []netip.Prefix

	// OnReject, when set, is told of each request a limit refused, by
	// limit name, besides the metrics (the bench tool counts them).
	OnReject func(limit hin.Limit)
}

// DefaultConfig is a default deployment: loopback listeners, the query and
// rate limits the load tests were run with, and tokens verified with a
// 30-second leeway for clock skew.
func DefaultConfig() Config {
	return Config{
		Addr:            "localhost:8080",
		MetricsAddr:     "127.0.0.1:9464",
		RequestTimeout:  15 * time.Second,
		BulkTimeout:     2 * time.Minute,
		ShutdownTimeout: 20 * time.Second,
		MaxBodyBytes:    1 << 20,
		MaxCSVBytes:     32 << 20,
		Introspection:   true,
		Limits: graph.Limits{
			MaxTokens:              2000,
			MaxDepth:               15,
			MaxAliases:             15,
			MaxDirectives:          50,
			MaxCost:                50000,
			MaxCostAnonymous:       10000,
			MaxQueryBytes:          64 << 10,
			AnonymousIntrospection: true,
		},
		Rate:             ratelimit.Rate{PerSecond: 50, Burst: 100, InFlight: 16},
		AnonymousRate:    ratelimit.Rate{PerSecond: 20, Burst: 120, InFlight: 8},
		Tokens:           auth.Config{Leeway: 30 * time.Second},
		TraceSampleRatio: 1,
		Subscriptions: Subscriptions{MaxPerCaller: graph.DefaultMaxSubscriptionsPerCaller, KeepAlive: 15 * time.Second, Coalesce: 150 * time.Millisecond,
			MaxStreamsPerAddress: 50, MaxStreamsPerSubject: 20, IdleTimeout: 30 * time.Second},
	}
}

// Subscriptions configure live updates (graph.LiveConfig).
type Subscriptions struct {
	// MaxPerCaller caps the subscriptions one caller (token subject, or
	// client address without a token) may hold open at once; 0 turns the
	// cap off.
	MaxPerCaller int
	// KeepAlive is the heartbeat of open subscriptions.
	KeepAlive time.Duration
	// Coalesce is how long a subscription gathers a burst of changes
	// before it sends one update.
	Coalesce time.Duration
	// MaxStreamsPerAddress and MaxStreamsPerSubject cap the WebSockets and
	// SSE responses open at once per client address without a token and
	// per token subject; 0 turns a cap off.
	MaxStreamsPerAddress, MaxStreamsPerSubject int
	// IdleTimeout closes a WebSocket that holds no subscription for this
	// long; 0 turns it off.
	IdleTimeout time.Duration
}

// Validate refuses values that could only be mistakes.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Addr == "" {
		bad("the listen address must not be empty")
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr {
		bad("the metrics address %q must differ from the API address", c.MetricsAddr)
	}
	if c.RequestTimeout < 0 || c.BulkTimeout < 0 || c.ShutdownTimeout < 0 {
		bad("timeouts must not be negative")
	}
	if c.MaxCSVBytes <= 0 {
		bad("the largest CSV return must be positive, got %d", c.MaxCSVBytes)
	}
	if c.MaxBodyBytes <= 0 {
		bad("the largest request body must be positive, got %d", c.MaxBodyBytes)
	}
	l := c.Limits
	for _, n := range []int{l.MaxTokens, l.MaxDepth, l.MaxAliases, l.MaxDirectives, l.MaxCost, l.MaxCostAnonymous, l.MaxQueryBytes} {
		if n < 0 {
			bad("query limits must not be negative (0 turns one off)")
			break
		}
	}
	for _, r := range []ratelimit.Rate{c.Rate, c.AnonymousRate} {
		if r.PerSecond < 0 || r.Burst < 0 || r.InFlight < 0 {
			bad("rates, bursts and in-flight caps must not be negative (0 turns one off)")
			break
		}
		if r.PerSecond > 0 && r.Burst < 1 {
			bad("a burst must be at least 1 when its rate is set")
			break
		}
	}
	if sub := c.Subscriptions; sub.MaxPerCaller < 0 || sub.KeepAlive < 0 || sub.Coalesce < 0 {
		bad("the subscription cap, keep-alive and coalescing must not be negative (0 turns the cap off; a 0 duration takes the default)")
	}
	if sub := c.Subscriptions; sub.MaxStreamsPerAddress < 0 || sub.MaxStreamsPerSubject < 0 || sub.IdleTimeout < 0 {
		bad("stream caps and the idle timeout must not be negative (0 turns one off)")
	}
	if !(c.TraceSampleRatio >= 0 && c.TraceSampleRatio <= 1) { // NaN too
		bad("the trace sample ratio must be between 0 and 1")
	}
	return errors.Join(errs...)
}

// answerMargin is what a connection's write deadline leaves after its
// handler's deadline, so an answer (TIMEOUT included) still gets out.
const answerMargin = 10 * time.Second

// bulkTimeout is the deadline of an upload or a CSV export; 0 is none.
func (c Config) bulkTimeout() time.Duration {
	if c.RequestTimeout == 0 && c.BulkTimeout == 0 {
		return 0
	}
	return max(c.RequestTimeout, c.BulkTimeout)
}

// longestDeadline is the longest deadline any handler has, which bounds
// the server's read and write timeouts; 0 when some handler has none.
func (c Config) longestDeadline() time.Duration {
	if c.RequestTimeout == 0 {
		return 0
	}
	return c.bulkTimeout() // never shorter than RequestTimeout
}
