package telemetry

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/trace"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const namespace = "hingraph"

// Limits are the names Rejected counts; any other name counts as "other".
var Limits = []string{
	"depth", "aliases", "tokens", "directives", "batch", "cost",
	"page_size", "body_size", "query_size", "rate", "timeout", "allowlist",
}

// knownErrorCodes are the extensions.code values the API can give today:
// the domain's, gqlgen's and the HTTP layer's. They are always exported
// (at zero), so a rate over them is defined before the first error.
var knownErrorCodes = []string{
	hin.ENOTFOUND, hin.EINVALID, hin.ECONFLICT, hin.EFORBIDDEN, hin.EUNAUTHORIZED,
	hin.EUNAVAILABLE, hin.ETIMEOUT, hin.EINTERNAL, hin.EINCOMPATIBLE, hin.EOVERLAP,
	"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "PERSISTED_QUERY_NOT_FOUND",
	"PERSISTED_QUERY_NOT_SUPPORTED", "COMPLEXITY_LIMIT_EXCEEDED", "BAD_REQUEST", "REQUEST_TOO_LARGE",
}

// Defaults of the label caps; see WithMaxOperationNames and WithMaxErrorCodes.
const (
	DefaultMaxOperationNames = 200
	DefaultMaxErrorCodes     = 64
)

// Metrics holds hin-graph's Prometheus metrics.
type Metrics struct {
	handler http.Handler

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	operations        *prometheus.CounterVec
	operationDuration *prometheus.HistogramVec
	operationNames    *labelSet
	errors            *prometheus.CounterVec
	errorCodes        *labelSet

	rejections *prometheus.CounterVec

	sqlOK, sqlFailed prometheus.Counter
	sqlDuration      prometheus.Histogram
}

// MetricsOption adjusts NewMetrics.
type MetricsOption func(*metricsOptions)

type metricsOptions struct {
	maxOperationNames, maxErrorCodes int
	errorCodes                       []string
}

// WithMaxOperationNames caps the distinct operation names labelled; later
// new names are counted as "other".
func WithMaxOperationNames(n int) MetricsOption {
	return func(o *metricsOptions) { o.maxOperationNames = n }
}

// WithMaxErrorCodes caps the distinct error codes labelled beyond the known
// ones; later new codes are counted as "OTHER".
func WithMaxErrorCodes(n int) MetricsOption {
	return func(o *metricsOptions) { o.maxErrorCodes = n }
}

// WithErrorCodes adds codes to the known set, exported from the start.
func WithErrorCodes(codes ...string) MetricsOption {
	return func(o *metricsOptions) { o.errorCodes = append(o.errorCodes, codes...) }
}

// Buckets in seconds: requests are bounded by the request timeout (15s by
// default); statements by the statement timeout, and most take a few ms.
var (
	requestBuckets   = []float64{.0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30}
	statementBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

// NewMetrics registers hin-graph's metrics on reg, with the pool stats of
// db (when not nil) and the Go runtime and process collectors. A nil reg
// means a new registry. It panics if the metrics are already registered
// on reg, as prometheus.MustRegister does.
func NewMetrics(reg prometheus.Registerer, db *sql.DB, opts ...MetricsOption) *Metrics {
	o := metricsOptions{maxOperationNames: DefaultMaxOperationNames, maxErrorCodes: DefaultMaxErrorCodes}
	for _, opt := range opts {
		opt(&o)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route.", Buckets: requestBuckets,
		}, []string{"route"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_operations_total",
			Help: "GraphQL operations by operation name, type and outcome (ok, or error when the response has errors).",
		}, []string{"operation", "type", "outcome"}),
		operationDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "graphql_operation_duration_seconds",
			Help: "Time to answer a GraphQL operation, parsing included, by type.", Buckets: requestBuckets,
		}, []string{"type"}),
		operationNames: newLabelSet(o.maxOperationNames, "other"),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_errors_total",
			Help: "Errors in GraphQL responses by extensions.code.",
		}, []string{"code"}),
		errorCodes: newLabelSet(o.maxErrorCodes, "OTHER"),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "limit_rejections_total",
			Help: "Requests refused by a limit, by limit.",
		}, []string{"limit"}),
		sqlDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "sql_statement_duration_seconds",
			Help: "Time SQL statements take, as the application sees it.", Buckets: statementBuckets,
		}),
	}
	sqlStatements := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "sql_statements_total",
		Help: "SQL statements by outcome (ok or error; no row found is ok).",
	}, []string{"outcome"})
	m.sqlOK, m.sqlFailed = sqlStatements.WithLabelValues("ok"), sqlStatements.WithLabelValues("error")

	// Export the fixed label values at zero so that rates exist before the first event.
	for _, l := range slices.Concat(Limits, []string{"other"}) {
		m.rejections.WithLabelValues(l)
	}
	for _, c := range slices.Concat(knownErrorCodes, o.errorCodes) {
		m.errorCodes.preset(c)
		m.errors.WithLabelValues(c)
	}
	m.errors.WithLabelValues("OTHER")

	reg.MustRegister(m.httpRequests, m.httpDuration, m.operations, m.operationDuration,
		m.errors, m.rejections, sqlStatements, m.sqlDuration)
	if db != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(db, namespace))
	}
	// The default registerer already has these two; tolerate that.
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			panic(err)
		}
	}

	gatherer := prometheus.DefaultGatherer
	if g, ok := reg.(prometheus.Gatherer); ok {
		gatherer = g
	}
	// OpenMetrics is offered so scrapers that ask for it get exemplars (trace ids).
	m.handler = promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{
		Registry:          reg,
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Rejected counts a request refused by a limit: one of Limits, else
// "other". It does nothing on a nil *Metrics, so limit code can call it
// whether or not metrics are on.
func (m *Metrics) Rejected(limit string) {
	if m == nil {
		return
	}
	if !slices.Contains(Limits, limit) {
		limit = "other"
	}
	m.rejections.WithLabelValues(limit).Inc()
}

// HTTPMiddleware counts requests and their duration by route, method and
// status. route must answer from a fixed set (see Routes).
func (m *Metrics) HTTPMiddleware(route RouteFunc, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rt, method := route(r), methodLabel(r.Method)
		sw := &statusWriter{ResponseWriter: w}
		done := false
		// Deferred so a panicking handler is still counted (as a 500),
		// without recovering and so losing the panic's stack trace.
		defer func() {
			m.httpRequests.WithLabelValues(rt, method, strconv.Itoa(sw.code(!done))).Inc()
			observe(r.Context(), m.httpDuration.WithLabelValues(rt), time.Since(start))
		}()
		next.ServeHTTP(sw, r)
		done = true
	})
}

// GraphQL returns the gqlgen extension (install it with srv.Use) that
// counts operations by name, type and outcome, times them, and counts the
// errors of each response by code. Subscriptions, which this API does not
// serve, would count once per event and are not timed.
func (m *Metrics) GraphQL() graphql.HandlerExtension {
	return &gqlObserver{
		name: "TelemetryMetrics",
		response: func(_ context.Context, _ operation, errs gqlerror.List) {
			for _, e := range errs {
				m.errors.WithLabelValues(m.errorCodes.label(errorCodeLabel(errorCode(e)))).Inc()
			}
		},
		end: func(ctx context.Context, op operation, failed bool) {
			outcome := "ok"
			if failed {
				outcome = "error"
			}
			m.operations.WithLabelValues(m.operationLabel(op.name), op.typ, outcome).Inc()
			if !op.start.IsZero() && op.typ != "subscription" {
				observe(ctx, m.operationDuration.WithLabelValues(op.typ), time.Since(op.start))
			}
		},
	}
}

// operationLabel is the label for a client's operation name: sanitised,
// "anonymous" when empty, and "other" once the cap of names is reached.
func (m *Metrics) operationLabel(name string) string {
	name = sanitizeOperationName(name)
	if name == "" {
		return "anonymous"
	}
	return m.operationNames.label(name)
}

// errorCodeLabel keeps codes that look like codes (upper case, digits and
// '_', up to 64 bytes); anything else, or no code at all, is "OTHER".
func errorCodeLabel(code string) string {
	if code == "" || len(code) > 64 {
		return "OTHER"
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; !(c == '_' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "OTHER"
		}
	}
	return code
}

// StatementHook returns a hook for store.AddHook that counts SQL
// statements by outcome and times them. It never sees their parameters.
func (m *Metrics) StatementHook() StatementHook {
	return func(ctx context.Context, _ string) (context.Context, func(error)) {
		start := time.Now()
		return ctx, func(err error) {
			observe(ctx, m.sqlDuration, time.Since(start))
			if err != nil {
				m.sqlFailed.Inc()
			} else {
				m.sqlOK.Inc()
			}
		}
	}
}

// observe records d, with the trace id as exemplar when the request is
// sampled, so a slow bucket leads to a trace.
func observe(ctx context.Context, o prometheus.Observer, d time.Duration) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		if eo, ok := o.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(d.Seconds(), prometheus.Labels{"trace_id": sc.TraceID().String()})
			return
		}
	}
	o.Observe(d.Seconds())
}

// labelSet admits label values first come, first served, up to a cap; past
// it new values share the overflow label. Values preset do not count.
type labelSet struct {
	mu       sync.RWMutex
	seen     map[string]bool
	limit    int
	admitted int
	overflow string
}

func newLabelSet(limit int, overflow string) *labelSet {
	return &labelSet{seen: map[string]bool{}, limit: limit, overflow: overflow}
}

func (s *labelSet) preset(v string) {
	s.mu.Lock()
	s.seen[v] = true
	s.mu.Unlock()
}

func (s *labelSet) label(v string) string {
	s.mu.RLock()
	ok := s.seen[v]
	s.mu.RUnlock()
	if ok || v == s.overflow {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[v] {
		return v
	}
	if s.admitted >= s.limit {
		return s.overflow
	}
	s.seen[v] = true
	s.admitted++
	return v
}
