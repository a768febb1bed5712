package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/telemetry"
)

// A panic in any handler becomes a 500 with code INTERNAL, is logged with
// its stack, gets its access-log line and is counted as a 500; a panic
// after the answer began cuts the connection; http.ErrAbortHandler is a
// handler's own cut, logged without a stack.
func TestPanicsAreRecoveredLoggedAndCounted(t *testing.T) {
	t.Parallel()
	var logs lockedLog
	metrics := telemetry.NewMetrics(prometheus.NewRegistry(), nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("/half", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("part of an answer"))
		panic("half")
	})
	mux.HandleFunc("/abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	ts := httptest.NewServer(metrics.HTTPMiddleware(telemetry.Routes("/boom", "/half", "/abort"),
		accessLog(slog.New(slog.NewJSONHandler(&logs, nil)), mux)))
	t.Cleanup(ts.Close)

	// no connection is reused, so the client never retries a cut request
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(ts.URL + "/boom")
	if err != nil {
		t.Fatalf("a panicking handler dropped the connection: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var env struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(body, &env) != nil || len(env.Errors) != 1 ||
		env.Errors[0].Extensions.Code != "INTERNAL" || strings.Contains(env.Errors[0].Message, "boom") {
		t.Fatalf("/boom: %d %s, want 500 with code INTERNAL and no detail", resp.StatusCode, body)
	}
	if resp, err := client.Get(ts.URL + "/half"); err == nil {
		_, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err == nil {
			t.Errorf("/half: a cut answer arrived whole")
		}
	}
	if resp, err := client.Get(ts.URL + "/abort"); err == nil {
		_ = resp.Body.Close()
		t.Errorf("/abort: answered %d, want the connection cut", resp.StatusCode)
	}

	lines := map[string]map[string]any{}
	panics := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) != nil {
			continue
		}
		switch l["msg"] {
		case "request":
			lines[l["path"].(string)] = l
		case "panic serving a request":
			panics++
			if !strings.Contains(l["stack"].(string), "recover_test.go") {
				t.Errorf("the panic's stack does not name the handler: %v", l["stack"])
			}
		}
	}
	if panics != 2 {
		t.Errorf("%d panics logged, want 2 (/boom and /half; /abort is deliberate)", panics)
	}
	if l := lines["/boom"]; l == nil || l["status"] != float64(500) {
		t.Errorf("/boom in the access log: %v", l)
	}
	for _, p := range []string{"/half", "/abort"} {
		if l := lines[p]; l == nil || l["aborted"] != true {
			t.Errorf("%s in the access log: %v, want aborted", p, l)
		}
	}
	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `hingraph_http_requests_total{method="GET",route="/boom",status="500"} 1`) {
		t.Errorf("the 500 is not counted:\n%s", grepLines(rec.Body.String(), "http_requests_total"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// lockedLog is a log sink written from the server's goroutines.
type lockedLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// A server fault answered through Error is logged with its cause on the
// request's access-log line, even through a wrapping writer; the client
// gets the code alone.
func TestServerFaultIsLoggedWithItsCause(t *testing.T) {
	t.Parallel()
	var logs lockedLog
	mux := http.NewServeMux()
	mux.HandleFunc("/fault", func(w http.ResponseWriter, _ *http.Request) {
		Error(wrapped{w}, errors.New("pq: the planted cause"))
	})
	mux.HandleFunc("/refused", func(w http.ResponseWriter, _ *http.Request) {
		Error(w, hin.Errorf(hin.EINVALID, "a bad argument"))
	})
	ts := httptest.NewServer(accessLog(slog.New(slog.NewJSONHandler(&logs, nil)), mux))
	t.Cleanup(ts.Close)
	for _, path := range []string{"/fault", "/refused"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if strings.Contains(string(body), "planted") {
			t.Errorf("%s: the cause reached the client: %s", path, body)
		}
	}
	seen := map[string]map[string]any{}
	for _, line := range strings.Split(logs.String(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["msg"] == "request" {
			seen[l["path"].(string)] = l
		}
	}
	if f := seen["/fault"]; f == nil || f["level"] != "ERROR" || f["error"] != "pq: the planted cause" || f["status"] != float64(500) {
		t.Errorf("/fault logged as %v, want level ERROR, status 500 and the cause", f)
	}
	if r := seen["/refused"]; r == nil || r["level"] != "INFO" || r["error"] != nil {
		t.Errorf("/refused logged as %v, want INFO without a cause", r)
	}
}

// wrapped stands for any writer a middleware puts around the recorder.
type wrapped struct{ http.ResponseWriter }

func (w wrapped) Unwrap() http.ResponseWriter { return w.ResponseWriter }
