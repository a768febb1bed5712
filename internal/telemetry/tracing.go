package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// InstrumentationName names hin-graph's tracer.
const InstrumentationName = "github.com/hin-graph/hin-graph"

// MaxStatementText is how much of a statement's text a span keeps.
const MaxStatementText = 2048

// TracingConfig says where spans go. Tracing is off when Endpoint is empty.
type TracingConfig struct {
	// Endpoint is the OTLP/HTTP collector: a URL such as
	// http://otel-collector:4318 (the path defaults to /v1/traces), or
	// host:port, which is reached over https unless Insecure.
	Endpoint string
	// ServiceName defaults to "hingraph"; OTEL_SERVICE_NAME overrides it.
	ServiceName string
	// ServiceVersion defaults to the module version the binary was built from.
	ServiceVersion string
	// SampleRatio is the share of new traces sampled, 0 to 1. Requests
	// that arrive with a trace follow their caller's decision.
	SampleRatio float64
	// Insecure sends plain HTTP to a host:port endpoint.
	Insecure bool
	// Log, when set, receives the SDK's errors (a collector that cannot be
	// reached); otherwise they go to the standard logger.
	Log *slog.Logger
}

// SetupTracing installs OpenTelemetry tracing as configured and returns
// the function that flushes and stops it. With no endpoint it installs
// nothing: the global tracer provider stays the no-op one, so every span
// made through it costs next to nothing and is never recorded.
func SetupTracing(ctx context.Context, cfg TracingConfig) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if cfg.Endpoint == "" {
		return noop, nil
	}
	if math.IsNaN(cfg.SampleRatio) || cfg.SampleRatio < 0 || cfg.SampleRatio > 1 {
		return noop, fmt.Errorf("trace sample ratio %v: want a number from 0 to 1", cfg.SampleRatio)
	}
	endpoint, err := exporterEndpoint(cfg.Endpoint, cfg.Insecure)
	if err != nil {
		return noop, err
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return noop, fmt.Errorf("otlp exporter: %w", err)
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "hingraph"
	}
	if cfg.ServiceVersion == "" {
		cfg.ServiceVersion = buildVersion()
	}
	// Later detectors win: the environment (OTEL_SERVICE_NAME,
	// OTEL_RESOURCE_ATTRIBUTES) may add to or override our attributes.
	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(cfg.ServiceName), semconv.ServiceVersion(cfg.ServiceVersion)),
		resource.WithFromEnv(),
	)
	if err != nil {
		return noop, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	if cfg.Log != nil {
		log := cfg.Log
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			log.Warn("opentelemetry", "err", err)
		}))
	}
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return tp.Shutdown, nil
}

// exporterEndpoint turns the configured endpoint into the exporter's URL:
// the exporter would silently fall back to localhost on a bad one.
func exporterEndpoint(endpoint string, insecure bool) (string, error) {
	if !strings.Contains(endpoint, "://") {
		scheme := "https"
		if insecure {
			scheme = "http"
		}
		endpoint = scheme + "://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("otlp endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("otlp endpoint %q: want http(s)://host:port[/path] or host:port", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "unknown"
}

// Tracer makes hin-graph's spans.
type Tracer struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// NewTracer returns a Tracer on tp and prop, or on the global provider and
// propagator when nil (what SetupTracing installs; no-ops when tracing is
// off). Tests pass their own.
func NewTracer(tp trace.TracerProvider, prop propagation.TextMapPropagator) *Tracer {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	return &Tracer{tracer: tp.Tracer(InstrumentationName), prop: prop}
}

// TraceHTTP makes a server span per request, named "HTTP <method> <route>",
// continuing the caller's trace from its traceparent header. It records
// the method, route and status, never the query string (a GET request's
// GraphQL variables are in it).
func (t *Tracer) TraceHTTP(route RouteFunc, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		rt, method := route(r), methodLabel(r.Method)
		ctx, span := t.tracer.Start(ctx, "HTTP "+method+" "+rt, trace.WithSpanKind(trace.SpanKindServer))
		if !span.IsRecording() {
			// Not sampled (or tracing off): pass the context on, so the
			// decision reaches SQL spans, and skip the rest.
			next.ServeHTTP(w, r.WithContext(ctx))
			span.End()
			return
		}
		span.SetAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(rt))
		if method == "_OTHER" {
			span.SetAttributes(semconv.HTTPRequestMethodOriginal(truncateUTF8(r.Method, 32)))
		}
		sw := &statusWriter{ResponseWriter: w}
		done := false
		defer func() {
			status := sw.code(!done)
			span.SetAttributes(semconv.HTTPResponseStatusCode(status))
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			span.End()
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
		done = true
	})
}

// StatementHook returns a hook for store.AddHook that makes a client span
// per SQL statement, named "SQL <first keyword>", with the statement text
// (cut to MaxStatementText). The hook never sees parameters, and an error
// is recorded by its code only: driver messages may quote input values.
func (t *Tracer) StatementHook() StatementHook {
	return func(ctx context.Context, query string) (context.Context, func(error)) {
		kw := firstKeyword(query)
		name := "SQL"
		if kw != "" {
			name = "SQL " + kw
		}
		ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
		if !span.IsRecording() {
			return ctx, endNothing // a non-recording span needs no End
		}
		span.SetAttributes(semconv.DBSystemNamePostgreSQL, semconv.DBQueryText(truncateUTF8(query, MaxStatementText)))
		if kw != "" {
			span.SetAttributes(semconv.DBOperationName(kw))
		}
		return ctx, func(err error) {
			if err != nil {
				code := hin.ErrorCode(err)
				span.SetAttributes(semconv.ErrorTypeKey.String(code))
				span.SetStatus(codes.Error, code)
			}
			span.End()
		}
	}
}

func endNothing(error) {}

// serverFaults are the error codes that mean the server failed, not the
// client: they mark the request's span as an error.
var serverFaults = []string{hin.EINTERNAL, hin.ETIMEOUT, hin.EUNAVAILABLE}

// GraphQL returns the gqlgen extension (install it with srv.Use) that
// names the request's span after the GraphQL operation ("query
// RegionPage"), with the operation's name and type as attributes and the
// error codes of its response. Variables and the document are not recorded.
func (t *Tracer) GraphQL() graphql.HandlerExtension {
	return &gqlObserver{
		name: "TelemetryTracing",
		start: func(ctx context.Context, op operation) {
			span := trace.SpanFromContext(ctx)
			if !span.IsRecording() {
				return
			}
			name := sanitizeOperationName(op.name)
			if name != "" {
				span.SetName(op.typ + " " + name)
				span.SetAttributes(semconv.GraphQLOperationName(name))
			} else {
				span.SetName(op.typ)
			}
			span.SetAttributes(semconv.GraphQLOperationTypeKey.String(op.typ))
		},
		response: func(ctx context.Context, _ operation, errs gqlerror.List) {
			span := trace.SpanFromContext(ctx)
			if len(errs) == 0 || !span.IsRecording() {
				return
			}
			var list []string
			fault := ""
			for _, e := range errs {
				c := errorCodeLabel(errorCode(e))
				if !slices.Contains(list, c) {
					list = append(list, c)
				}
				if fault == "" && slices.Contains(serverFaults, c) {
					fault = c
				}
			}
			span.SetAttributes(attribute.StringSlice("graphql.error.codes", list), attribute.Int("graphql.error.count", len(errs)))
			if fault != "" {
				span.SetStatus(codes.Error, fault)
			}
		},
		end: func(context.Context, operation, bool) {},
	}
}
