package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/store"
)

// config is everything the commands can be told. Each flag defaults to an
// environment variable, and each has a safe default of its own: the
// server's come from httpapi.DefaultConfig. A value that does not parse,
// from a flag or from the environment, stops the command.
type config struct {
	DatabaseURL      string
	LogLevel         string
	LogSQL           bool
	StatementTimeout time.Duration
	MaxOpenConns     int
	HTTP             httpapi.Config
	CORSOrigins      string
	TrustedProxies   string
	AllowList        string
	Metrics          bool
	Migrate          bool
	GCPercent        int
	// bearer tokens
	JWTSecret   string
	JWKS        string
	JWTIssuer   string
	JWTAudience string
	JWTLeeway   time.Duration
	JWTMaxLife  time.Duration
	// ClaimMapping is a file mapping identity provider claims to roles.
	ClaimMapping string
	OIDCIssuer   string
	// browser sign-in
	PublicURL string
	// the federated network
	NodeRole        string
	NodeRegion      string
	NodeURL         string
	NationalURL     string
	StaleAfter      time.Duration
	ReadDatabaseURL string
	// seed
	Demo  bool
	Scale int
	Reset bool

	// env names the environment variable behind each flag.
	env     map[string]string
	serving bool // the server flags are bound
}

// fromEnv records that flag name defaults to the environment variable
// env; applyEnv reads it once the command line is parsed.
func (c *config) fromEnv(name, env string) {
	if c.env == nil {
		c.env = map[string]string{}
	}
	c.env[name] = env
}

// applyEnv sets each flag not given on the command line from its
// environment variable, parsed exactly as the flag would be, and names the
// variable and value of any that does not parse.
func (c *config) applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		env := c.env[f.Name]
		if env == "" || flagSet(fs, f.Name) {
			return
		}
		v := getenv(env)
		if v == "" {
			return
		}
		if g, ok := f.Value.(flag.Getter); ok {
			if _, isString := g.Get().(string); !isString {
				v = strings.TrimSpace(v)
			}
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("invalid value %q for %s (--%s): %w", v, env, f.Name, unwrapNum(err)))
		}
	})
	return errors.Join(errs...)
}

// unwrapNum turns strconv's "strconv.ParseInt: parsing "abc": invalid
// syntax" into "invalid syntax": the value is already in the message.
func unwrapNum(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}

func (c *config) bindDB(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL URL (env DATABASE_URL)")
	c.fromEnv("database-url", "DATABASE_URL")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", store.DefaultStatementTimeout, "PostgreSQL statement_timeout for every session (env HINGRAPH_STATEMENT_TIMEOUT)")
	c.fromEnv("statement-timeout", "HINGRAPH_STATEMENT_TIMEOUT")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error (env HINGRAPH_LOG_LEVEL)")
	c.fromEnv("log-level", "HINGRAPH_LOG_LEVEL")
	fs.BoolVar(&c.LogSQL, "log-sql", false, "log every SQL statement at debug level (env HINGRAPH_LOG_SQL)")
	c.fromEnv("log-sql", "HINGRAPH_LOG_SQL")
	fs.IntVar(&c.MaxOpenConns, "max-open-conns", store.DefaultMaxOpenConns, "database connection pool size (env HINGRAPH_MAX_OPEN_CONNS)")
	c.fromEnv("max-open-conns", "HINGRAPH_MAX_OPEN_CONNS")
}

// bindNode binds the node's place in the federated network and the read
// replica.
func (c *config) bindNode(fs *flag.FlagSet) {
	fs.StringVar(&c.NodeRole, "node-role", "", "national or regional: this node's role in the federated network; empty keeps a stand-alone node as it is (env HINGRAPH_NODE_ROLE)")
	c.fromEnv("node-role", "HINGRAPH_NODE_ROLE")
	fs.StringVar(&c.NodeRegion, "region", "", "a regional node's region code, e.g. HI-EM (env HINGRAPH_REGION)")
	c.fromEnv("region", "HINGRAPH_REGION")
	fs.StringVar(&c.NodeURL, "node-url", "", "this node's API address as other nodes and clients reach it, named in errors and coverage (env HINGRAPH_NODE_URL)")
	c.fromEnv("node-url", "HINGRAPH_NODE_URL")
	fs.StringVar(&c.NationalURL, "national-url", "", "the national node's API address, named by a regional node in its errors (env HINGRAPH_NATIONAL_URL)")
	c.fromEnv("national-url", "HINGRAPH_NATIONAL_URL")
	fs.DurationVar(&c.StaleAfter, "stale-after", hin.DefaultStaleAfter, "replication delay after which a region's data is marked stale in figures (env HINGRAPH_STALE_AFTER)")
	c.fromEnv("stale-after", "HINGRAPH_STALE_AFTER")
	fs.StringVar(&c.ReadDatabaseURL, "read-database-url", "", "PostgreSQL URL of a streaming replica: figures and lists are read there, writes go to --database-url (env HINGRAPH_READ_DATABASE_URL)")
	c.fromEnv("read-database-url", "HINGRAPH_READ_DATABASE_URL")
}

// node is the node configuration, or false for a node outside any
// federated network.
func (c *config) node() (hin.Node, bool) {
	if c.NodeRole == "" {
		return hin.Node{}, false
	}
	return hin.Node{Role: hin.NodeRole(strings.ToUpper(c.NodeRole)), RegionCode: c.NodeRegion, NodeURL: c.NodeURL,
		NationalURL: c.NationalURL, StaleAfter: c.StaleAfter}, true
}

func (c *config) bindServe(fs *flag.FlagSet) {
	h, d := &c.HTTP, httpapi.DefaultConfig()
	c.HTTP, c.serving = d, true
	fs.StringVar(&h.Addr, "addr", d.Addr, "listen address (env HINGRAPH_ADDR)")
	c.fromEnv("addr", "HINGRAPH_ADDR")
	fs.StringVar(&h.MetricsAddr, "metrics-addr", d.MetricsAddr, "listen address of the Prometheus metrics, kept off the public port; empty turns metrics off (env HINGRAPH_METRICS_ADDR)")
	c.fromEnv("metrics-addr", "HINGRAPH_METRICS_ADDR")
	fs.DurationVar(&h.RequestTimeout, "request-timeout", d.RequestTimeout, "time limit for one request, SQL included (env HINGRAPH_REQUEST_TIMEOUT)")
	c.fromEnv("request-timeout", "HINGRAPH_REQUEST_TIMEOUT")
	fs.DurationVar(&h.BulkTimeout, "bulk-timeout", d.BulkTimeout, "time limit for one upload or CSV export of up to 50,000 rows, SQL included; the server's read and write timeouts follow from it (env HINGRAPH_BULK_TIMEOUT)")
	c.fromEnv("bulk-timeout", "HINGRAPH_BULK_TIMEOUT")
	fs.DurationVar(&h.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "how long to let in-flight requests finish on shutdown (env HINGRAPH_SHUTDOWN_TIMEOUT)")
	c.fromEnv("shutdown-timeout", "HINGRAPH_SHUTDOWN_TIMEOUT")
	fs.Int64Var(&h.MaxBodyBytes, "max-body-bytes", d.MaxBodyBytes, "largest request body accepted (env HINGRAPH_MAX_BODY_BYTES)")
	fs.Int64Var(&h.MaxCSVBytes, "max-csv-bytes", d.MaxCSVBytes, "largest CSV return accepted by POST /returns.csv (env HINGRAPH_MAX_CSV_BYTES)")
	c.fromEnv("max-body-bytes", "HINGRAPH_MAX_BODY_BYTES")
	c.fromEnv("max-csv-bytes", "HINGRAPH_MAX_CSV_BYTES")
	fs.IntVar(&h.Subscriptions.MaxPerCaller, "max-subscriptions", d.Subscriptions.MaxPerCaller, "open subscriptions allowed per caller (token subject, or client address without a token), 0 for no cap (env HINGRAPH_MAX_SUBSCRIPTIONS)")
	c.fromEnv("max-subscriptions", "HINGRAPH_MAX_SUBSCRIPTIONS")
	fs.IntVar(&h.Subscriptions.MaxStreamsPerAddress, "max-streams-per-address", d.Subscriptions.MaxStreamsPerAddress, "WebSockets and SSE streams open at once per client address without a token, 0 for no cap (env HINGRAPH_MAX_STREAMS_PER_ADDRESS)")
	c.fromEnv("max-streams-per-address", "HINGRAPH_MAX_STREAMS_PER_ADDRESS")
	fs.IntVar(&h.Subscriptions.MaxStreamsPerSubject, "max-streams-per-subject", d.Subscriptions.MaxStreamsPerSubject, "WebSockets and SSE streams open at once per token subject, 0 for no cap (env HINGRAPH_MAX_STREAMS_PER_SUBJECT)")
	c.fromEnv("max-streams-per-subject", "HINGRAPH_MAX_STREAMS_PER_SUBJECT")
	fs.DurationVar(&h.Subscriptions.IdleTimeout, "stream-idle-timeout", d.Subscriptions.IdleTimeout, "close a WebSocket that holds no subscription for this long, 0 for never (env HINGRAPH_STREAM_IDLE_TIMEOUT)")
	c.fromEnv("stream-idle-timeout", "HINGRAPH_STREAM_IDLE_TIMEOUT")
	fs.DurationVar(&h.Subscriptions.KeepAlive, "subscription-keepalive", d.Subscriptions.KeepAlive, "heartbeat of open subscriptions: WebSocket ping, SSE comment (env HINGRAPH_SUBSCRIPTION_KEEPALIVE)")
	c.fromEnv("subscription-keepalive", "HINGRAPH_SUBSCRIPTION_KEEPALIVE")
	fs.BoolVar(&h.Introspection, "introspection", d.Introspection, "allow schema introspection (env HINGRAPH_INTROSPECTION)")
	c.fromEnv("introspection", "HINGRAPH_INTROSPECTION")
	fs.BoolVar(&h.Limits.AnonymousIntrospection, "anonymous-introspection", d.Limits.AnonymousIntrospection, "let callers without a token introspect the schema (depth-limited); signed-in callers always may (env HINGRAPH_ANONYMOUS_INTROSPECTION)")
	c.fromEnv("anonymous-introspection", "HINGRAPH_ANONYMOUS_INTROSPECTION")
	fs.BoolVar(&h.SimpleGET, "simple-get", d.SimpleGET, "run GET queries that carry no GraphQL-Require-Preflight or X-Requested-With header (off: a cross-site page cannot send them, which prevents CSRF) (env HINGRAPH_SIMPLE_GET)")
	c.fromEnv("simple-get", "HINGRAPH_SIMPLE_GET")
	fs.BoolVar(&h.Limits.AnonymousSuggestions, "anonymous-suggestions", d.Limits.AnonymousSuggestions, "show callers without a token 'did you mean' field suggestions in errors; signed-in callers always see them (env HINGRAPH_ANONYMOUS_SUGGESTIONS)")
	c.fromEnv("anonymous-suggestions", "HINGRAPH_ANONYMOUS_SUGGESTIONS")
	fs.IntVar(&h.Limits.MaxDepth, "max-depth", d.Limits.MaxDepth, "deepest selection nesting accepted, 0 for none (env HINGRAPH_MAX_DEPTH)")
	c.fromEnv("max-depth", "HINGRAPH_MAX_DEPTH")
	fs.IntVar(&h.Limits.MaxAliases, "max-aliases", d.Limits.MaxAliases, "most aliases in one operation, 0 for none (env HINGRAPH_MAX_ALIASES)")
	c.fromEnv("max-aliases", "HINGRAPH_MAX_ALIASES")
	fs.IntVar(&h.Limits.MaxTokens, "max-tokens", d.Limits.MaxTokens, "most lexical tokens in one query, 0 for none (env HINGRAPH_MAX_TOKENS)")
	c.fromEnv("max-tokens", "HINGRAPH_MAX_TOKENS")
	fs.IntVar(&h.Limits.MaxDirectives, "max-directives", d.Limits.MaxDirectives, "most directives in one operation, 0 for none (env HINGRAPH_MAX_DIRECTIVES)")
	c.fromEnv("max-directives", "HINGRAPH_MAX_DIRECTIVES")
	fs.IntVar(&h.Limits.MaxCost, "max-cost", d.Limits.MaxCost, "highest estimated cost accepted: 1 per field, times the first of each connection around it, 0 for none (env HINGRAPH_MAX_COST)")
	c.fromEnv("max-cost", "HINGRAPH_MAX_COST")
	fs.IntVar(&h.Limits.MaxCostAnonymous, "max-cost-anonymous", d.Limits.MaxCostAnonymous, "highest estimated cost accepted from callers without a token, 0 to use --max-cost (env HINGRAPH_MAX_COST_ANONYMOUS)")
	c.fromEnv("max-cost-anonymous", "HINGRAPH_MAX_COST_ANONYMOUS")
	fs.IntVar(&h.Limits.MaxQueryBytes, "max-query-bytes", d.Limits.MaxQueryBytes, "longest query text accepted, in bytes, 0 for none (env HINGRAPH_MAX_QUERY_BYTES)")
	c.fromEnv("max-query-bytes", "HINGRAPH_MAX_QUERY_BYTES")
	fs.IntVar(&h.Rate.InFlight, "max-in-flight", d.Rate.InFlight, "requests a token subject may have in flight at once, 0 for no cap (env HINGRAPH_MAX_IN_FLIGHT)")
	c.fromEnv("max-in-flight", "HINGRAPH_MAX_IN_FLIGHT")
	fs.IntVar(&h.AnonymousRate.InFlight, "anonymous-max-in-flight", d.AnonymousRate.InFlight, "requests a client address without a token may have in flight at once, 0 for no cap (env HINGRAPH_ANONYMOUS_MAX_IN_FLIGHT)")
	c.fromEnv("anonymous-max-in-flight", "HINGRAPH_ANONYMOUS_MAX_IN_FLIGHT")
	fs.StringVar(&c.AllowList, "allowlist", "", "JSON file of registered operations (an array of query texts, or an object of name to text); when set, callers without a token may run only these (env HINGRAPH_ALLOWLIST)")
	c.fromEnv("allowlist", "HINGRAPH_ALLOWLIST")
	fs.Float64Var(&h.Rate.PerSecond, "rate", d.Rate.PerSecond, "requests per second allowed per token subject, 0 for no limit (env HINGRAPH_RATE)")
	c.fromEnv("rate", "HINGRAPH_RATE")
	fs.IntVar(&h.Rate.Burst, "burst", d.Rate.Burst, "requests a token subject may send at once above the rate (env HINGRAPH_BURST)")
	c.fromEnv("burst", "HINGRAPH_BURST")
	fs.Float64Var(&h.AnonymousRate.PerSecond, "anonymous-rate", d.AnonymousRate.PerSecond, "requests per second allowed per client address without a token (and per address for tokens not yet verified), 0 for no limit (env HINGRAPH_ANONYMOUS_RATE)")
	c.fromEnv("anonymous-rate", "HINGRAPH_ANONYMOUS_RATE")
	fs.IntVar(&h.AnonymousRate.Burst, "anonymous-burst", d.AnonymousRate.Burst, "requests a client address may send at once above the rate (env HINGRAPH_ANONYMOUS_BURST)")
	c.fromEnv("anonymous-burst", "HINGRAPH_ANONYMOUS_BURST")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR ranges of the proxies in front of the server (an ingress, a load balancer): their X-Forwarded-For names the client, for the limits per client address; empty trusts none (env HINGRAPH_TRUSTED_PROXIES)")
	c.fromEnv("trusted-proxies", "HINGRAPH_TRUSTED_PROXIES")
	fs.StringVar(&c.CORSOrigins, "cors-origins", "", "comma-separated origins allowed by CORS; empty allows same-origin only (env HINGRAPH_CORS_ORIGINS)")
	c.fromEnv("cors-origins", "HINGRAPH_CORS_ORIGINS")
	fs.BoolVar(&c.Metrics, "metrics", true, "collect Prometheus metrics and serve them on --metrics-addr (env HINGRAPH_METRICS)")
	c.fromEnv("metrics", "HINGRAPH_METRICS")
	fs.IntVar(&c.GCPercent, "gc-percent", defaultGCPercent, "garbage collector target: heap growth, in percent, before the next collection; GOGC, when set, wins (env HINGRAPH_GC_PERCENT)")
	c.fromEnv("gc-percent", "HINGRAPH_GC_PERCENT")
	fs.StringVar(&h.OTLPEndpoint, "otlp-endpoint", d.OTLPEndpoint, "OTLP/HTTP collector to send traces to, e.g. http://localhost:4318; empty disables tracing (env HINGRAPH_OTLP_ENDPOINT)")
	c.fromEnv("otlp-endpoint", "HINGRAPH_OTLP_ENDPOINT")
	fs.Float64Var(&h.TraceSampleRatio, "trace-sample-ratio", d.TraceSampleRatio, "share of new traces to record, 0 to 1; a request that arrives with a trace follows its caller's choice (env HINGRAPH_TRACE_SAMPLE_RATIO)")
	c.fromEnv("trace-sample-ratio", "HINGRAPH_TRACE_SAMPLE_RATIO")
}

// bindAuth binds the bearer token settings; dev passes the local
// development secret as its default so `hingraph token` works with it.
func (c *config) bindAuth(fs *flag.FlagSet, defaultSecret string) {
	fs.StringVar(&c.JWTSecret, "jwt-secret", defaultSecret, "HS256 secret for bearer tokens, at least 32 bytes; empty disables HS256 (env HINGRAPH_JWT_SECRET)")
	c.fromEnv("jwt-secret", "HINGRAPH_JWT_SECRET")
	fs.StringVar(&c.JWKS, "jwks", "", "JWKS file or http(s) URL for RS256/ES256 tokens (env HINGRAPH_JWKS)")
	c.fromEnv("jwks", "HINGRAPH_JWKS")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", "", "required iss claim, if set (env HINGRAPH_JWT_ISSUER)")
	c.fromEnv("jwt-issuer", "HINGRAPH_JWT_ISSUER")
	fs.StringVar(&c.JWTAudience, "jwt-audience", "", "required aud claim, if set (env HINGRAPH_JWT_AUDIENCE)")
	c.fromEnv("jwt-audience", "HINGRAPH_JWT_AUDIENCE")
	fs.DurationVar(&c.JWTLeeway, "jwt-leeway", httpapi.DefaultConfig().Tokens.Leeway, "clock skew allowed on exp/nbf/iat (env HINGRAPH_JWT_LEEWAY)")
	c.fromEnv("jwt-leeway", "HINGRAPH_JWT_LEEWAY")
	fs.DurationVar(&c.JWTMaxLife, "jwt-max-lifetime", auth.DefaultMaxLifetime, "longest token lifetime accepted: exp at most this long after iat and after now (env HINGRAPH_JWT_MAX_LIFETIME)")
	c.fromEnv("jwt-max-lifetime", "HINGRAPH_JWT_MAX_LIFETIME")
	fs.StringVar(&c.ClaimMapping, "claim-mapping", "", "YAML or JSON file mapping an identity provider's claims (roles, groups) to roles and regions, e.g. deploy/claim-mappings/entra.yaml; empty reads the role and region claims (env HINGRAPH_CLAIM_MAPPING)")
	c.fromEnv("claim-mapping", "HINGRAPH_CLAIM_MAPPING")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", "", "OpenID provider issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0: its discovery document gives the JWKS and the required iss; needs --jwt-audience (env HINGRAPH_OIDC_ISSUER)")
	c.fromEnv("oidc-issuer", "HINGRAPH_OIDC_ISSUER")
	h := &c.HTTP
	fs.StringVar(&h.SignIn.ClientID, "oidc-client-id", "", "client ID for browser sign-in to the pages (authorization code flow with PKCE against --oidc-issuer); empty turns sign-in off (env HINGRAPH_OIDC_CLIENT_ID)")
	c.fromEnv("oidc-client-id", "HINGRAPH_OIDC_CLIENT_ID")
	fs.StringVar(&h.SignIn.ClientSecret, "oidc-client-secret", "", "client secret for browser sign-in; empty for a public client (env HINGRAPH_OIDC_CLIENT_SECRET)")
	c.fromEnv("oidc-client-secret", "HINGRAPH_OIDC_CLIENT_SECRET")
	fs.StringVar(&c.PublicURL, "public-url", "", "this server's URL as browsers reach it, e.g. https://hin.example.nhs.uk; sign-in redirects to <public-url>/auth/callback (env HINGRAPH_PUBLIC_URL)")
	c.fromEnv("public-url", "HINGRAPH_PUBLIC_URL")
	fs.DurationVar(&h.SignIn.SessionLifetime, "session-lifetime", 8*time.Hour, "how long a browser session lasts after sign-in (env HINGRAPH_SESSION_LIFETIME)")
	c.fromEnv("session-lifetime", "HINGRAPH_SESSION_LIFETIME")
}

func (c *config) bindSeed(fs *flag.FlagSet) {
	fs.BoolVar(&c.Demo, "demo", false, "also load generated demo data (env HINGRAPH_DEMO)")
	c.fromEnv("demo", "HINGRAPH_DEMO")
	fs.IntVar(&c.Scale, "scale", 2, "demo data size: 1 is about 30 thousand outcomes, 10 about 200 thousand, 100 about 2 million (env HINGRAPH_DEMO_SCALE)")
	c.fromEnv("scale", "HINGRAPH_DEMO_SCALE")
	fs.BoolVar(&c.Reset, "reset", false, "replace existing data that came from a different seed (env HINGRAPH_SEED_RESET)")
	c.fromEnv("reset", "HINGRAPH_SEED_RESET")
}

// httpConfig completes the server's configuration with what is read or
// converted rather than bound directly.
func (c *config) httpConfig() (httpapi.Config, error) {
	h := c.HTTP
	h.CORSOrigins = hin.SplitList(c.CORSOrigins)
	proxies, err := parsePrefixes(c.TrustedProxies)
	if err != nil {
		return h, err
	}
	h.TrustedProxies = proxies
	if !c.Metrics {
		h.MetricsAddr = ""
	}
	h.Tokens.HMACSecret = []byte(c.JWTSecret)
	h.Tokens.JWKS, h.Tokens.Issuer, h.Tokens.Audience, h.Tokens.Leeway = c.JWKS, c.JWTIssuer, c.JWTAudience, c.JWTLeeway
	h.Tokens.MaxLifetime = c.JWTMaxLife
	h.Tokens.OIDCIssuer = c.OIDCIssuer
	if h.SignIn.ClientID != "" {
		if c.PublicURL == "" {
			return h, fmt.Errorf("--oidc-client-id needs --public-url, the address browsers come back to after signing in")
		}
		h.SignIn.RedirectURL = strings.TrimSuffix(c.PublicURL, "/") + "/auth/callback"
	}
	if c.ClaimMapping != "" {
		m, err := auth.LoadClaimMapping(c.ClaimMapping)
		if err != nil {
			return h, err
		}
		h.Tokens.Mapping = m
	}
	allowList, err := loadAllowList(c.AllowList)
	if err != nil {
		return h, err
	}
	h.Limits.AllowList = allowList
	return h, nil
}

// parsePrefixes reads --trusted-proxies: CIDR ranges, or single addresses.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range hin.SplitList(s) {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return nil, fmt.Errorf("invalid --trusted-proxies entry %q (HINGRAPH_TRUSTED_PROXIES): want an address or a CIDR range such as 10.0.0.0/8", v)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (c *config) validate() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("no database: set DATABASE_URL or --database-url (make run starts a local PostgreSQL for you)")
	}
	if c.Scale < 0 || c.Scale > 1000 {
		return fmt.Errorf("--scale must be between 0 and 1000")
	}
	switch strings.ToLower(c.NodeRole) {
	case "", "national":
		if c.NodeRegion != "" {
			return fmt.Errorf("--region is for a regional node (--node-role regional)")
		}
	case "regional":
		if c.NodeRegion == "" {
			return fmt.Errorf("a regional node needs its region: --region CODE")
		}
	default:
		return fmt.Errorf("--node-role must be national or regional, not %q", c.NodeRole)
	}
	if c.StaleAfter < 0 {
		return fmt.Errorf("--stale-after must not be negative")
	}
	if c.serving && c.GCPercent < 1 {
		return fmt.Errorf("--gc-percent must be at least 1")
	}
	if c.serving {
		if err := c.HTTP.Validate(); err != nil {
			return err
		}
		if _, err := parsePrefixes(c.TrustedProxies); err != nil {
			return err
		}
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
