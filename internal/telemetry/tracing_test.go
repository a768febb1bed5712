package telemetry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hin-graph/hin-graph/internal/hin"
)

func newTestTracer() (*Tracer, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	return NewTracer(tp, propagation.TraceContext{}), exp
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func spanNamed(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	t.Fatalf("no span %q among %q", name, names)
	return tracetest.SpanStub{}
}

const (
	parentTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceparent   = "00-" + parentTraceID + "-00f067aa0ba902b7-01"
)

// A stand-in for the store: it calls the hooks as the store does, with
// the statement's text; the parameters never reach them.
func runStatement(ctx context.Context, hook StatementHook, query string, args []any, err error) {
	_ = args
	_, end := hook(ctx, query)
	end(err)
}

func TestTraceHTTPAndSQL(t *testing.T) {
	tr, exp := newTestTracer()
	const query = "-- region by code\nSELECT id, name FROM region WHERE code = $1"
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runStatement(r.Context(), tr.StatementHook(), query, []any{"secret-arg"}, nil)
		runStatement(r.Context(), tr.StatementHook(), "  insert into audit values ($1)", []any{"secret-arg"}, nil)
		w.WriteHeader(http.StatusCreated)
	})
	h := tr.TraceHTTP(Routes("/graphql"), app)
	post(t, h, "/graphql?variables=secret-arg", `{}`, "traceparent", traceparent)

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3 (request and two statements)", len(spans))
	}
	req := spanNamed(t, spans, "HTTP POST /graphql")
	if req.SpanKind != trace.SpanKindServer {
		t.Errorf("request span kind %v", req.SpanKind)
	}
	if got := req.SpanContext.TraceID().String(); got != parentTraceID {
		t.Errorf("request span trace %s, want the caller's %s", got, parentTraceID)
	}
	if !req.Parent.IsRemote() {
		t.Error("request span does not continue the remote parent")
	}
	a := attrs(req)
	if a["http.request.method"].AsString() != "POST" || a["http.route"].AsString() != "/graphql" || a["http.response.status_code"].AsInt64() != 201 {
		t.Errorf("request span attributes %v", req.Attributes)
	}

	sel := spanNamed(t, spans, "SQL SELECT")
	if sel.Parent.SpanID() != req.SpanContext.SpanID() || sel.SpanKind != trace.SpanKindClient {
		t.Error("statement span is not a client child of the request span")
	}
	a = attrs(sel)
	if a["db.query.text"].AsString() != query || a["db.system.name"].AsString() != "postgresql" || a["db.operation.name"].AsString() != "SELECT" {
		t.Errorf("statement span attributes %v", sel.Attributes)
	}
	spanNamed(t, spans, "SQL INSERT")

	for _, s := range spans {
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.String(), "secret-arg") {
				t.Errorf("span %q records a parameter in %s", s.Name, kv.Key)
			}
		}
	}
}

func TestTraceHTTPStatusAndRoutes(t *testing.T) {
	tr, exp := newTestTracer()
	h := tr.TraceHTTP(Routes("/graphql"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/graphql" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		http.NotFound(w, r)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/graphql", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/some/random/path", nil))
	spans := exp.GetSpans()
	if s := spanNamed(t, spans, "HTTP GET /graphql"); s.Status.Code != codes.Error {
		t.Errorf("a 503 leaves the span status %v", s.Status)
	}
	s := spanNamed(t, spans, "HTTP _OTHER other")
	if s.Status.Code == codes.Error || attrs(s)["http.request.method_original"].AsString() != "BREW" {
		t.Errorf("404 span %+v", s)
	}
	if s.Parent.IsValid() {
		t.Error("a request without traceparent should start a trace")
	}
}

func TestSQLSpanTruncationAndErrors(t *testing.T) {
	tr, exp := newTestTracer()
	long := "SELECT '" + strings.Repeat("é", 3000) + "'"
	runStatement(context.Background(), tr.StatementHook(), long, nil, nil)
	// Driver messages may quote input values; only the code is kept.
	failure := fmt.Errorf("%w: %w", hin.Errorf(hin.EINVALID, "a value is out of range or malformed"),
		fmt.Errorf(`pq: invalid input syntax for type integer: "secret-value"`))
	runStatement(context.Background(), tr.StatementHook(), "UPDATE x SET n = $1", []any{"secret-value"}, failure)
	runStatement(context.Background(), tr.StatementHook(), "", nil, nil)

	spans := exp.GetSpans()
	text := attrs(spanNamed(t, spans, "SQL SELECT"))["db.query.text"].AsString()
	if len(text) > MaxStatementText || len(text) < MaxStatementText-4 || !strings.HasPrefix(long, text) {
		t.Errorf("statement text of %d bytes, want the first %d at most, whole characters", len(text), MaxStatementText)
	}
	upd := spanNamed(t, spans, "SQL UPDATE")
	if upd.Status.Code != codes.Error || upd.Status.Description != hin.EINVALID || attrs(upd)["error.type"].AsString() != hin.EINVALID {
		t.Errorf("failed statement span status %+v attributes %v", upd.Status, upd.Attributes)
	}
	if len(upd.Events) != 0 {
		t.Errorf("failed statement span has events %v", upd.Events)
	}
	spanNamed(t, spans, "SQL")
}

func TestGraphQLSpanName(t *testing.T) {
	tr, exp := newTestTracer()
	h := tr.TraceHTTP(Routes("/graphql"), gqlServer(false, tr.GraphQL()))
	post(t, h, "/graphql", `{"query":"query RegionPage { name }"}`)
	post(t, h, "/graphql", `{"query":"{ name }"}`)
	post(t, h, "/graphql", `{"query":"query Broken {","operationName":"Broken"}`)
	post(t, h, "/graphql", `{"query":"query Q { name }","operationName":"evil\"name{}"}`)

	spans := exp.GetSpans()
	s := spanNamed(t, spans, "query RegionPage")
	if a := attrs(s); a["graphql.operation.name"].AsString() != "RegionPage" || a["graphql.operation.type"].AsString() != "query" || a["http.route"].AsString() != "/graphql" {
		t.Errorf("operation span attributes %v", s.Attributes)
	}
	spanNamed(t, spans, "query")
	// Refused before it runs: the request span keeps its name and gets the codes.
	broken := spans[2]
	if broken.Name != "HTTP POST /graphql" || attrs(broken)["graphql.error.codes"].AsStringSlice()[0] != "GRAPHQL_PARSE_FAILED" {
		t.Errorf("parse failure span %q attributes %v", broken.Name, broken.Attributes)
	}
	if broken.Status.Code == codes.Error {
		t.Error("a client's mistake marks the span as a server error")
	}
	if strings.ContainsAny(spans[3].Name, `"{}`) {
		t.Errorf("hostile operation name in span name %q", spans[3].Name)
	}

	// A server fault marks the span as an error.
	tr2, exp2 := newTestTracer()
	post(t, tr2.TraceHTTP(Routes("/graphql"), gqlServer(true, tr2.GraphQL())), "/graphql", `{"query":"query Q { name }"}`)
	s = spanNamed(t, exp2.GetSpans(), "query Q")
	if s.Status.Code != codes.Error || s.Status.Description != hin.EINTERNAL {
		t.Errorf("internal error span status %+v", s.Status)
	}
}

func TestTracingOff(t *testing.T) {
	before := otel.GetTracerProvider()
	shutdown, err := SetupTracing(context.Background(), TracingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != before {
		t.Fatal("tracing off changed the global tracer provider")
	}
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); ok {
		t.Fatal("tracing off installed an SDK provider")
	}

	tr := NewTracer(nil, nil) // the globals, as the server uses them
	var recording []string
	h := tr.TraceHTTP(Routes("/graphql"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if trace.SpanFromContext(r.Context()).IsRecording() || trace.SpanContextFromContext(r.Context()).IsValid() {
			recording = append(recording, "request")
		}
		ctx, end := tr.StatementHook()(r.Context(), "SELECT 1")
		if trace.SpanFromContext(ctx).IsRecording() {
			recording = append(recording, "statement")
		}
		end(nil)
	}))
	rec := post(t, h, "/graphql", `{}`, "traceparent", traceparent)
	if len(recording) > 0 || rec.Header().Get("traceparent") != "" {
		t.Fatalf("tracing off, yet recorded %v", recording)
	}
}

func TestSetupTracingExports(t *testing.T) {
	var mu sync.Mutex
	var got []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, fmt.Sprintf("%s %s %s %d", r.Method, r.URL.Path, r.Header.Get("Content-Type"), len(body)))
		mu.Unlock()
	}))
	defer collector.Close()
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	})

	shutdown, err := SetupTracing(context.Background(), TracingConfig{Endpoint: collector.URL, SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); !ok {
		t.Fatal("no SDK tracer provider installed")
	}
	tr := NewTracer(nil, nil)
	var traceID trace.TraceID
	h := tr.TraceHTTP(Routes("/graphql"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traceID = trace.SpanContextFromContext(r.Context()).TraceID()
		_, end := tr.StatementHook()(r.Context(), "SELECT 1")
		end(nil)
	}))
	post(t, h, "/graphql", `{}`, "traceparent", traceparent)
	if traceID.String() != parentTraceID {
		t.Errorf("the W3C propagator is not installed: trace %s", traceID)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 || !strings.HasPrefix(got[0], "POST /v1/traces application/x-protobuf") {
		t.Fatalf("collector got %q", got)
	}
}

func TestSetupTracingConfig(t *testing.T) {
	for _, cfg := range []TracingConfig{
		{Endpoint: "http://collector:4318", SampleRatio: 1.5},
		{Endpoint: "http://collector:4318", SampleRatio: -0.1},
		{Endpoint: "ftp://collector:4318", SampleRatio: 1},
		{Endpoint: "http://", SampleRatio: 1},
	} {
		if _, err := SetupTracing(context.Background(), cfg); err == nil {
			t.Errorf("SetupTracing(%+v) accepted", cfg)
		}
	}
	for _, c := range []struct {
		in       string
		insecure bool
		want     string
	}{
		{"http://collector:4318", false, "http://collector:4318/v1/traces"},
		{"https://collector:4318/", false, "https://collector:4318/v1/traces"},
		{"https://collector/otlp/v1/traces", false, "https://collector/otlp/v1/traces"},
		{"collector:4318", false, "https://collector:4318/v1/traces"},
		{"collector:4318", true, "http://collector:4318/v1/traces"},
	} {
		got, err := exporterEndpoint(c.in, c.insecure)
		if err != nil || got != c.want {
			t.Errorf("exporterEndpoint(%q, %v) = %q, %v; want %q", c.in, c.insecure, got, err, c.want)
		}
	}
}

func TestFirstKeyword(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                     "SELECT",
		"  with x as (select 1) ...":   "WITH",
		"-- name: x\n/* c */ UPDATE t": "UPDATE",
		"(SELECT 1) UNION (SELECT 2)":  "SELECT",
		"/* unterminated":              "",
		"":                             "",
		"123":                          "",
	} {
		if got := firstKeyword(in); got != want {
			t.Errorf("firstKeyword(%q) = %q, want %q", in, got, want)
		}
	}
}
