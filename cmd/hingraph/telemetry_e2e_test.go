package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hin-graph/hin-graph/internal/testdb"
)

// TestE2ETelemetry runs the server with metrics and tracing on: /metrics,
// on its own listener and not on the API's, shows the requests,
// operations, statements and pool, and the spans of a request and its
// statements reach an OTLP collector.
func TestE2ETelemetry(t *testing.T) {
	var mu sync.Mutex
	var exported []*coltracepb.ExportTraceServiceRequest
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &req) != nil {
			t.Errorf("collector: unexpected %s %s", r.Method, r.URL.Path)
			return
		}
		mu.Lock()
		exported = append(exported, &req)
		mu.Unlock()
	}))
	defer collector.Close()

	s := startServer(t, testdb.URL(t, testdb.Reference), "--otlp-endpoint", collector.URL, "--max-body-bytes", "2000")
	var data struct{ Regions []struct{ Code string } }
	s.query(t, gqlRequest{Query: `query Regions { regions { code } }`, OperationName: "Regions"}, &data)
	big, _ := s.post(t, gqlRequest{Query: `query Big { regions { code } }` + strings.Repeat(" ", 3000)}, nil)
	if big.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %d", big.StatusCode)
	}

	if resp, _ := s.get(t, "/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the API port: status %d, want 404", resp.StatusCode)
	}
	metricsURL, _ := s.waitLog(t, "the metrics listener", func(l logLine) bool { return l["msg"] == "serving metrics" })["metrics"].(string)
	if !strings.HasPrefix(metricsURL, "http://127.0.0.1:") {
		t.Fatalf("no loopback metrics listener logged (got %q)", metricsURL)
	}
	resp, err := s.client.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`hingraph_graphql_operations_total{operation="Regions",outcome="ok",type="query"} 1`,
		`hingraph_http_requests_total{method="POST",route="/graphql",status="200"} 1`,
		`hingraph_http_requests_total{method="POST",route="/graphql",status="413"} 1`,
		`hingraph_http_requests_total{method="GET",route="other",status="404"} 1`,
		`hingraph_limit_rejections_total{limit="body_size"} 1`,
		`hingraph_sql_statements_total{outcome="ok"}`,
		`hingraph_sql_statement_duration_seconds_count`,
		`go_sql_max_open_connections{db_name="hingraph"} 20`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), "\n"+want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if err := s.stop(); err != nil { // flushes the spans
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	names := map[string]bool{}
	for _, req := range exported {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					names[sp.Name] = true
					for _, a := range sp.Attributes {
						if a.Key == "db.query.text" && !strings.Contains(a.Value.GetStringValue(), "region") && !strings.Contains(a.Value.GetStringValue(), "SELECT") {
							t.Errorf("odd statement text %q", a.Value.GetStringValue())
						}
					}
				}
			}
		}
	}
	for _, want := range []string{"query Regions", "SQL SELECT", "HTTP POST /graphql", "HTTP GET /healthz"} {
		if !names[want] {
			t.Errorf("no span %q among %v", want, names)
		}
	}
}
