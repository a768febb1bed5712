package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/internal/auth"
)

// config is everything the commands can be told. Each flag defaults to an
// environment variable, and each has a safe default of its own.
type config struct {
	DatabaseURL      string
	Addr             string
	LogLevel         string
	LogSQL           bool
	StatementTimeout time.Duration
	RequestTimeout   time.Duration
	ShutdownTimeout  time.Duration
	MaxBodyBytes     int64
	Introspection    bool
	MaxDepth         int
	MaxAliases       int
	MaxTokens        int
	MaxDirectives    int
	MaxCost          int
	MaxCostAnon      int
	MaxQueryBytes    int
	InFlight         int
	AnonInFlight     int
	AnonIntrospect   bool
	AnonSuggest      bool
	SimpleGET        bool
	AllowList        string
	Rate             float64
	Burst            int
	AnonRate         float64
	AnonBurst        int
	CORSOrigins      string
	MaxOpenConns     int
	// telemetry
	Metrics          bool
	OTLPEndpoint     string
	TraceSampleRatio float64
	Migrate          bool
	// bearer tokens
	JWTSecret   string
	JWKS        string
	JWTIssuer   string
	JWTAudience string
	JWTLeeway   time.Duration
	JWTMaxLife  time.Duration
	// seed
	Demo  bool
	Scale int
	Reset bool
}

func (c *config) bindDB(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.DatabaseURL, "database-url", getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", envDuration(getenv, "HINGRAPH_STATEMENT_TIMEOUT", 10*time.Second), "PostgreSQL statement_timeout for every session (env HINGRAPH_STATEMENT_TIMEOUT)")
	fs.StringVar(&c.LogLevel, "log-level", envString(getenv, "HINGRAPH_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env HINGRAPH_LOG_LEVEL)")
	fs.BoolVar(&c.LogSQL, "log-sql", envBool(getenv, "HINGRAPH_LOG_SQL", false), "log every SQL statement at debug level (env HINGRAPH_LOG_SQL)")
	fs.IntVar(&c.MaxOpenConns, "max-open-conns", envInt(getenv, "HINGRAPH_MAX_OPEN_CONNS", 20), "database connection pool size (env HINGRAPH_MAX_OPEN_CONNS)")
}

func (c *config) bindServe(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.Addr, "addr", envString(getenv, "HINGRAPH_ADDR", "localhost:8080"), "listen address (env HINGRAPH_ADDR)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", envDuration(getenv, "HINGRAPH_REQUEST_TIMEOUT", 15*time.Second), "time limit for one request, SQL included (env HINGRAPH_REQUEST_TIMEOUT)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration(getenv, "HINGRAPH_SHUTDOWN_TIMEOUT", 20*time.Second), "how long to let in-flight requests finish on shutdown (env HINGRAPH_SHUTDOWN_TIMEOUT)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", int64(envInt(getenv, "HINGRAPH_MAX_BODY_BYTES", 1<<20)), "largest request body accepted (env HINGRAPH_MAX_BODY_BYTES)")
	fs.BoolVar(&c.Introspection, "introspection", envBool(getenv, "HINGRAPH_INTROSPECTION", true), "allow schema introspection (env HINGRAPH_INTROSPECTION)")
	fs.BoolVar(&c.AnonIntrospect, "anonymous-introspection", envBool(getenv, "HINGRAPH_ANONYMOUS_INTROSPECTION", true), "let callers without a token introspect the schema (depth-limited); signed-in callers always may (env HINGRAPH_ANONYMOUS_INTROSPECTION)")
	fs.BoolVar(&c.SimpleGET, "simple-get", envBool(getenv, "HINGRAPH_SIMPLE_GET", false), "run GET queries that carry no GraphQL-Require-Preflight or X-Requested-With header (off: a cross-site page cannot send them, which prevents CSRF) (env HINGRAPH_SIMPLE_GET)")
	fs.BoolVar(&c.AnonSuggest, "anonymous-suggestions", envBool(getenv, "HINGRAPH_ANONYMOUS_SUGGESTIONS", false), "show callers without a token 'did you mean' field suggestions in errors; signed-in callers always see them (env HINGRAPH_ANONYMOUS_SUGGESTIONS)")
	fs.IntVar(&c.MaxDepth, "max-depth", envInt(getenv, "HINGRAPH_MAX_DEPTH", 15), "deepest selection nesting accepted, 0 for none (env HINGRAPH_MAX_DEPTH)")
	fs.IntVar(&c.MaxAliases, "max-aliases", envInt(getenv, "HINGRAPH_MAX_ALIASES", 15), "most aliases in one operation, 0 for none (env HINGRAPH_MAX_ALIASES)")
	fs.IntVar(&c.MaxTokens, "max-tokens", envInt(getenv, "HINGRAPH_MAX_TOKENS", 2000), "most lexical tokens in one query, 0 for none (env HINGRAPH_MAX_TOKENS)")
	fs.IntVar(&c.MaxDirectives, "max-directives", envInt(getenv, "HINGRAPH_MAX_DIRECTIVES", 50), "most directives in one operation, 0 for none (env HINGRAPH_MAX_DIRECTIVES)")
	fs.IntVar(&c.MaxCost, "max-cost", envInt(getenv, "HINGRAPH_MAX_COST", 50000), "highest estimated cost accepted: 1 per field, times the first of each connection around it, 0 for none (env HINGRAPH_MAX_COST)")
	fs.IntVar(&c.MaxCostAnon, "max-cost-anonymous", envInt(getenv, "HINGRAPH_MAX_COST_ANONYMOUS", 10000), "highest estimated cost accepted from callers without a token, 0 to use --max-cost (env HINGRAPH_MAX_COST_ANONYMOUS)")
	fs.IntVar(&c.MaxQueryBytes, "max-query-bytes", envInt(getenv, "HINGRAPH_MAX_QUERY_BYTES", 64<<10), "longest query text accepted, in bytes, 0 for none (env HINGRAPH_MAX_QUERY_BYTES)")
	fs.IntVar(&c.InFlight, "max-in-flight", envInt(getenv, "HINGRAPH_MAX_IN_FLIGHT", 16), "requests a token subject may have in flight at once, 0 for no cap (env HINGRAPH_MAX_IN_FLIGHT)")
	fs.IntVar(&c.AnonInFlight, "anonymous-max-in-flight", envInt(getenv, "HINGRAPH_ANONYMOUS_MAX_IN_FLIGHT", 8), "requests a client address without a token may have in flight at once, 0 for no cap (env HINGRAPH_ANONYMOUS_MAX_IN_FLIGHT)")
	fs.StringVar(&c.AllowList, "allowlist", getenv("HINGRAPH_ALLOWLIST"), "JSON file of registered operations (an array of query texts, or an object of name to text); when set, callers without a token may run only these (env HINGRAPH_ALLOWLIST)")
	fs.Float64Var(&c.Rate, "rate", envFloat(getenv, "HINGRAPH_RATE", 50), "requests per second allowed per token subject, 0 for no limit (env HINGRAPH_RATE)")
	fs.IntVar(&c.Burst, "burst", envInt(getenv, "HINGRAPH_BURST", 100), "requests a token subject may send at once above the rate (env HINGRAPH_BURST)")
	fs.Float64Var(&c.AnonRate, "anonymous-rate", envFloat(getenv, "HINGRAPH_ANONYMOUS_RATE", 20), "requests per second allowed per client address without a token, 0 for no limit (env HINGRAPH_ANONYMOUS_RATE)")
	fs.IntVar(&c.AnonBurst, "anonymous-burst", envInt(getenv, "HINGRAPH_ANONYMOUS_BURST", 120), "requests a client address may send at once above the rate (env HINGRAPH_ANONYMOUS_BURST)")
	fs.StringVar(&c.CORSOrigins, "cors-origins", getenv("HINGRAPH_CORS_ORIGINS"), "comma-separated origins allowed by CORS; empty allows same-origin only (env HINGRAPH_CORS_ORIGINS)")
	fs.BoolVar(&c.Metrics, "metrics", envBool(getenv, "HINGRAPH_METRICS", true), "serve Prometheus metrics at /metrics (env HINGRAPH_METRICS)")
	fs.StringVar(&c.OTLPEndpoint, "otlp-endpoint", getenv("HINGRAPH_OTLP_ENDPOINT"), "OTLP/HTTP collector to send traces to, e.g. http://localhost:4318; empty disables tracing (env HINGRAPH_OTLP_ENDPOINT)")
	fs.Float64Var(&c.TraceSampleRatio, "trace-sample-ratio", envFloat(getenv, "HINGRAPH_TRACE_SAMPLE_RATIO", 1), "share of new traces to record, 0 to 1; a request that arrives with a trace follows its caller's choice (env HINGRAPH_TRACE_SAMPLE_RATIO)")
}

// bindAuth binds the bearer token settings; dev passes the local
// development secret as its default so `hingraph token` works with it.
func (c *config) bindAuth(fs *flag.FlagSet, getenv func(string) string, defaultSecret string) {
	fs.StringVar(&c.JWTSecret, "jwt-secret", envString(getenv, "HINGRAPH_JWT_SECRET", defaultSecret), "HS256 secret for bearer tokens, at least 32 bytes; empty disables HS256 (env HINGRAPH_JWT_SECRET)")
	fs.StringVar(&c.JWKS, "jwks", getenv("HINGRAPH_JWKS"), "JWKS file or http(s) URL for RS256/ES256 tokens (env HINGRAPH_JWKS)")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", getenv("HINGRAPH_JWT_ISSUER"), "required iss claim, if set (env HINGRAPH_JWT_ISSUER)")
	fs.StringVar(&c.JWTAudience, "jwt-audience", getenv("HINGRAPH_JWT_AUDIENCE"), "required aud claim, if set (env HINGRAPH_JWT_AUDIENCE)")
	fs.DurationVar(&c.JWTLeeway, "jwt-leeway", envDuration(getenv, "HINGRAPH_JWT_LEEWAY", 30*time.Second), "clock skew allowed on exp/nbf/iat (env HINGRAPH_JWT_LEEWAY)")
	fs.DurationVar(&c.JWTMaxLife, "jwt-max-lifetime", envDuration(getenv, "HINGRAPH_JWT_MAX_LIFETIME", auth.DefaultMaxLifetime), "longest token lifetime accepted: exp at most this long after iat and after now (env HINGRAPH_JWT_MAX_LIFETIME)")
}

func (c *config) bindSeed(fs *flag.FlagSet, getenv func(string) string) {
	fs.BoolVar(&c.Demo, "demo", envBool(getenv, "HINGRAPH_DEMO", false), "also load generated demo data (env HINGRAPH_DEMO)")
	fs.IntVar(&c.Scale, "scale", envInt(getenv, "HINGRAPH_DEMO_SCALE", 2), "demo data size: 1 is about 30 thousand outcomes, 10 about 200 thousand, 100 about 2 million (env HINGRAPH_DEMO_SCALE)")
	fs.BoolVar(&c.Reset, "reset", envBool(getenv, "HINGRAPH_SEED_RESET", false), "replace existing data that came from a different seed (env HINGRAPH_SEED_RESET)")
}

func (c *config) validate() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("no database: set DATABASE_URL or --database-url (make run starts a local PostgreSQL for you)")
	}
	if c.Scale < 0 || c.Scale > 1000 {
		return fmt.Errorf("--scale must be between 0 and 1000")
	}
	if !(c.TraceSampleRatio >= 0 && c.TraceSampleRatio <= 1) { // NaN too
		return fmt.Errorf("--trace-sample-ratio must be between 0 and 1")
	}
	return nil
}

func (c *config) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		lvl = slog.LevelInfo
	}
	if c.LogSQL && lvl > slog.LevelDebug {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl}))
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hingraph "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func envString(getenv func(string) string, k, def string) string {
	if v := getenv(k); v != "" {
		return v
	}
	return def
}

func envBool(getenv func(string) string, k string, def bool) bool {
	if b, err := strconv.ParseBool(getenv(k)); err == nil {
		return b
	}
	return def
}

func envInt(getenv func(string) string, k string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(getenv(k))); err == nil {
		return n
	}
	return def
}

func envFloat(getenv func(string) string, k string, def float64) float64 {
	if f, err := strconv.ParseFloat(strings.TrimSpace(getenv(k)), 64); err == nil {
		return f
	}
	return def
}

func envDuration(getenv func(string) string, k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(k)); err == nil {
		return d
	}
	return def
}
