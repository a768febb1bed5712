package telemetry

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hin-graph/hin-graph/internal/hin"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, "\n"+l+"\n") {
			t.Errorf("/metrics lacks %q", l)
		}
	}
}

// labelValues is every value label takes in the family name.
func labelValues(t *testing.T, reg *prometheus.Registry, name, label string) map[string]bool {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					vals[lp.GetValue()] = true
				}
			}
		}
	}
	return vals
}

func TestHTTPMetrics(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry(), nil)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/graphql", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	h := m.HTTPMiddleware(Routes("/graphql", "/healthz", "/boom"), mux)

	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/healthz", nil),
		httptest.NewRequest(http.MethodGet, "/healthz", nil),
		httptest.NewRequest(http.MethodPost, "/graphql", nil),
		httptest.NewRequest(http.MethodGet, "/wp-admin/secret-path", nil),
		httptest.NewRequest("BREW", "/graphql?x=1", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/boom", nil))
	}()

	body := scrape(t, m)
	wantLines(t, body,
		`hingraph_http_requests_total{method="GET",route="/healthz",status="200"} 2`,
		`hingraph_http_requests_total{method="POST",route="/graphql",status="418"} 1`,
		`hingraph_http_requests_total{method="GET",route="other",status="404"} 1`,
		`hingraph_http_requests_total{method="_OTHER",route="/graphql",status="418"} 1`,
		`hingraph_http_requests_total{method="GET",route="/boom",status="500"} 1`,
		`hingraph_http_request_duration_seconds_count{route="/healthz"} 2`,
		`hingraph_http_request_duration_seconds_count{route="other"} 1`,
	)
	if strings.Contains(body, "secret-path") || strings.Contains(body, "BREW") {
		t.Error("a raw path or method reached the labels")
	}
}

func TestGraphQLMetrics(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry(), nil)
	h := gqlServer(false, m.GraphQL())
	for _, body := range []string{
		`{"query":"query Hello { name }","operationName":"Hello"}`,
		`{"query":"query Hello { name }"}`, // the name comes from the document
		`{"query":"{ name }"}`,
		`{"query":"mutation Change { name }"}`,
		`{"query":"query Broken {","operationName":"Broken"}`,
		`{"query":"query Wrong { nope }","operationName":"Wrong"}`,
		`{"query":"query Refused { name }"}`,
		`not json`,
	} {
		post(t, h, "/graphql", body)
	}

	body := scrape(t, m)
	wantLines(t, body,
		`hingraph_graphql_operations_total{operation="Hello",outcome="ok",type="query"} 2`,
		`hingraph_graphql_operations_total{operation="anonymous",outcome="ok",type="query"} 1`,
		`hingraph_graphql_operations_total{operation="Change",outcome="error",type="mutation"} 1`,
		`hingraph_graphql_operations_total{operation="Broken",outcome="error",type="unknown"} 1`,
		`hingraph_graphql_operations_total{operation="Wrong",outcome="error",type="unknown"} 1`,
		`hingraph_graphql_operations_total{operation="Refused",outcome="error",type="query"} 1`,
		`hingraph_graphql_operations_total{operation="anonymous",outcome="error",type="unknown"} 1`,
		`hingraph_graphql_operation_duration_seconds_count{type="query"} 4`,
		`hingraph_graphql_operation_duration_seconds_count{type="unknown"} 2`, // the bad body has no start time
		`hingraph_graphql_operation_duration_seconds_count{type="mutation"} 1`,
		`hingraph_graphql_errors_total{code="GRAPHQL_PARSE_FAILED"} 1`,
		`hingraph_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"} 1`,
		`hingraph_graphql_errors_total{code="QUERY_TOO_DEEP"} 1`, // unknown but well-formed
		`hingraph_graphql_errors_total{code="OTHER"} 2`,          // the mutation's and the bad body's, which have no code
		`hingraph_graphql_errors_total{code="NOT_FOUND"} 0`,      // known codes are there from the start
	)

	// A resolver error, presented with a code.
	m2 := NewMetrics(prometheus.NewRegistry(), nil)
	post(t, gqlServer(true, m2.GraphQL()), "/graphql", `{"query":"query Q { name }"}`)
	wantLines(t, scrape(t, m2),
		`hingraph_graphql_operations_total{operation="Q",outcome="error",type="query"} 1`,
		`hingraph_graphql_errors_total{code="INTERNAL"} 1`,
	)
}

func TestOperationNameCap(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg, nil)
	h := gqlServer(false, m.GraphQL())
	for i := range 1000 {
		post(t, h, "/graphql", fmt.Sprintf(`{"query":"query Op%d { name }"}`, i))
	}
	names := labelValues(t, reg, "hingraph_graphql_operations_total", "operation")
	if len(names) > DefaultMaxOperationNames+1 {
		t.Fatalf("%d operation names, want at most %d", len(names), DefaultMaxOperationNames+1)
	}
	if !names["other"] || !names["Op0"] || names["Op999"] {
		t.Fatalf("want the first names kept and later ones as other; have other=%v Op0=%v Op999=%v",
			names["other"], names["Op0"], names["Op999"])
	}
	// Names seen before the cap keep their own series.
	post(t, h, "/graphql", `{"query":"query Op1 { name }"}`)
	wantLines(t, scrape(t, m),
		`hingraph_graphql_operations_total{operation="Op1",outcome="ok",type="query"} 2`,
		fmt.Sprintf(`hingraph_graphql_operations_total{operation="other",outcome="ok",type="query"} %d`, 1000-DefaultMaxOperationNames),
	)
}

func TestHostileOperationNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg, nil)
	h := gqlServer(false, m.GraphQL())
	for _, name := range []string{
		`x\"} evil{a=\"b`,
		"ünïcödé",
		strings.Repeat("a", 500),
		"a b\\nc",
		"../../etc/passwd",
	} {
		// The name matches no operation of the document, so gqlgen keeps
		// the client's: exactly what a hostile client controls.
		post(t, h, "/graphql", `{"query":"query Q { name }","operationName":"`+name+`"}`)
	}
	valid := regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	names := labelValues(t, reg, "hingraph_graphql_operations_total", "operation")
	for n := range names {
		if !valid.MatchString(n) {
			t.Errorf("operation label %q", n)
		}
	}
	for _, want := range []string{"x___evil_a__b", strings.Repeat("a", 64), "______etc_passwd", "a_b_c"} {
		if !names[want] {
			t.Errorf("want operation label %q; have %v", want, names)
		}
	}
}

func TestSanitizeOperationName(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"RegionPage":            "RegionPage",
		"op_1":                  "op_1",
		"a-b.c":                 "a_b_c",
		"é":                     "__", // two bytes, two underscores
		strings.Repeat("x", 65): strings.Repeat("x", 64),
	} {
		if got := sanitizeOperationName(in); got != want {
			t.Errorf("sanitizeOperationName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRejected(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry(), nil)
	m.Rejected("depth")
	m.Rejected("depth")
	m.Rejected("rate")
	m.Rejected("made-up")
	var off *Metrics
	reject := off.Rejected // what a caller holds when metrics are off
	reject("depth")
	wantLines(t, scrape(t, m),
		`hingraph_limit_rejections_total{limit="depth"} 2`,
		`hingraph_limit_rejections_total{limit="rate"} 1`,
		`hingraph_limit_rejections_total{limit="other"} 1`,
		`hingraph_limit_rejections_total{limit="allowlist"} 0`,
	)
}

func TestSQLMetrics(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry(), nil)
	hook := m.StatementHook()
	for _, err := range []error{nil, nil, nil, hin.Errorf(hin.ECONFLICT, "taken")} {
		ctx, end := hook(context.Background(), "SELECT 1")
		if ctx == nil {
			t.Fatal("nil context")
		}
		end(err)
	}
	wantLines(t, scrape(t, m),
		`hingraph_sql_statements_total{outcome="ok"} 3`,
		`hingraph_sql_statements_total{outcome="error"} 1`,
		`hingraph_sql_statement_duration_seconds_count 4`,
	)
}

type noConnector struct{}

func (noConnector) Connect(context.Context) (driver.Conn, error) {
	return nil, errors.New("no database")
}
func (noConnector) Driver() driver.Driver { return nil }

func TestPoolAndRuntimeMetrics(t *testing.T) {
	db := sql.OpenDB(noConnector{})
	defer db.Close()
	db.SetMaxOpenConns(7)
	reg := prometheus.NewRegistry()
	// As on the default registry, the runtime collector may be there already.
	reg.MustRegister(collectors.NewGoCollector())
	m := NewMetrics(reg, db)
	wantLines(t, scrape(t, m),
		`go_sql_max_open_connections{db_name="hingraph"} 7`,
		`go_sql_in_use_connections{db_name="hingraph"} 0`,
	)
	body := scrape(t, m)
	for _, name := range []string{"go_goroutines ", "process_cpu_seconds_total ", "go_sql_wait_duration_seconds_total"} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// A transport that finds the context ended before the operation ran answers
// with DispatchError on the operation's context (as graph's does): that
// response is counted once, under the operation's own name.
func TestGraphQLMetricsEndedBeforeExecution(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry(), nil)
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { name: String! }`})
	exec := executor.New(&graphql.ExecutableSchemaMock{
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			return graphql.OneShot(&graphql.Response{Data: []byte(`{"name":"x"}`)})
		},
		SchemaFunc: func() *ast.Schema { return schema },
	})
	exec.Use(m.GraphQL())

	ctx, cancel := context.WithCancel(graphql.StartOperationTrace(context.Background()))
	opCtx, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: "query Slow { name }"})
	if errs != nil {
		t.Fatal(errs)
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	cancel()
	if resp := responses(ctx); resp != nil {
		t.Fatalf("want no response on an ended context, got %+v", resp)
	}
	exec.DispatchError(ctx, gqlerror.List{{Message: "too slow", Extensions: map[string]any{"code": hin.ETIMEOUT}}})

	wantLines(t, scrape(t, m),
		`hingraph_graphql_operations_total{operation="Slow",outcome="error",type="query"} 1`,
		`hingraph_graphql_errors_total{code="TIMEOUT"} 1`,
	)
}
