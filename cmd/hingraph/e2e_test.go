package main

// End-to-end tests: each starts the real server through run(), exactly as
// the binary does, on its own database and port, and talks to it as an
// ordinary HTTP client would.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
	"github.com/hin-graph/hin-graph/web"
)

// smallDemo keeps the demo data tiny: enough for every level of nesting to
// have rows, cheap enough to clone for every test.
var smallDemo = seed.DemoSize{PilotsPerRegion: 2, InnovationsPerRegion: 2, FirstFY: 2023, Years: 1}

// syncBuffer is the server's stdout/stderr: the server writes from its own
// goroutines while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type logLine map[string]any

// lines parses every complete line written so far; each must be JSON, as
// log shippers expect.
func (s *syncBuffer) lines(t *testing.T) []logLine {
	t.Helper()
	text := s.String()
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i] // a line still being written is not complete yet
	} else {
		return nil
	}
	var out []logLine
	for _, raw := range strings.Split(text, "\n") {
		if raw == "" {
			continue
		}
		var l logLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Errorf("stdout line is not JSON: %v\n%s", err, raw)
			continue
		}
		out = append(out, l)
	}
	return out
}

// testServer is one running `hingraph serve`.
type testServer struct {
	addr   string // host:port
	base   string // http://host:port
	stdout *syncBuffer
	stderr *syncBuffer
	client *http.Client
	cancel context.CancelFunc
	done   chan error

	stopOnce sync.Once
	stopErr  error
}

// freeAddr asks the kernel for a free port. Another process can take it
// before the server listens; startServer retries when that happens.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close probe listener: %v", err)
	}
	return addr
}

// startServer runs `serve` with DATABASE_URL=dbURL and extra flags, waits
// until it answers /healthz, and stops it when the test ends, requiring a
// clean (nil) return from run.
func startServer(t *testing.T, dbURL string, flags ...string) *testServer {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s, err := tryStartServer(t, dbURL, flags)
		if err == nil {
			return s
		}
		if attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			t.Logf("port taken before the server could listen, retrying: %v", err)
			continue
		}
		t.Fatalf("server did not start: %v", err)
	}
}

func tryStartServer(t *testing.T, dbURL string, flags []string) (*testServer, error) {
	t.Helper()
	addr := freeAddr(t)
	env := map[string]string{"DATABASE_URL": dbURL}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	s := &testServer{
		addr:   addr,
		base:   "http://" + addr,
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: tr},
		cancel: cancel,
		done:   make(chan error, 1),
	}
	// Metrics on a port of the kernel's choosing: tests run side by side.
	args := append([]string{"serve", "--addr", addr, "--metrics-addr", "127.0.0.1:0"}, flags...)
	go func() { s.done <- run(ctx, args, getenv, s.stdout, s.stderr) }()

	// Ready means: our server logged "serving" (so the port is ours, not a
	// neighbour's that happens to answer) and /healthz answers 200.
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-s.done:
			cancel()
			if err == nil {
				err = errors.New("run returned nil before serving")
			}
			return nil, fmt.Errorf("%w\nstdout:\n%s\nstderr:\n%s", err, s.stdout.String(), s.stderr.String())
		default:
		}
		if s.logged(t, func(l logLine) bool { return l["msg"] == "serving" }) && s.healthy() {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			select {
			case <-s.done:
			case <-time.After(40 * time.Second):
			}
			return nil, fmt.Errorf("no healthy server at %s within 20s\nstdout:\n%s\nstderr:\n%s", addr, s.stdout.String(), s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("run returned an error on shutdown: %v", err)
		}
		tr.CloseIdleConnections()
		if t.Failed() {
			t.Logf("server stdout:\n%s\nserver stderr:\n%s", s.stdout.String(), s.stderr.String())
		}
	})
	return s, nil
}

func (s *testServer) healthy() bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(s.base + "/healthz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// stop cancels the server's context, as SIGTERM does, and returns what run
// returned. It is safe to call more than once.
func (s *testServer) stop() error {
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case s.stopErr = <-s.done:
		case <-time.After(40 * time.Second):
			s.stopErr = errors.New("run did not return within 40s of cancellation")
		}
	})
	return s.stopErr
}

func (s *testServer) logged(t *testing.T, match func(logLine) bool) bool {
	t.Helper()
	for _, l := range s.stdout.lines(t) {
		if match(l) {
			return true
		}
	}
	return false
}

// waitLog polls stdout for a line matching match: the access log is written
// when the handler returns, which can be just after the client has the answer.
func (s *testServer) waitLog(t *testing.T, what string, match func(logLine) bool) logLine {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, l := range s.stdout.lines(t) {
			if match(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line %s within 10s; stdout:\n%s", what, s.stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func withRequestID(id string) func(l logLine) bool {
	return func(l logLine) bool { return l["msg"] == "request" && l["request_id"] == id }
}

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName,omitempty"`
	Variables     map[string]any `json:"variables,omitempty"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

func (r gqlResponse) hasData() bool {
	return len(r.Data) > 0 && string(r.Data) != "null"
}

// do sends req and returns the response with its body read.
func (s *testServer) do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, body
}

func (s *testServer) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.do(t, req)
}

// post sends a GraphQL request as JSON; header adds or overrides headers.
func (s *testServer) post(t *testing.T, q gqlRequest, header map[string]string) (*http.Response, gqlResponse) {
	t.Helper()
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, body := s.do(t, req)
	return resp, decodeGraphQL(t, resp, body)
}

func decodeGraphQL(t *testing.T, resp *http.Response, body []byte) gqlResponse {
	t.Helper()
	if resp.StatusCode >= 500 {
		t.Errorf("status %d (a client mistake must never be a server error): %s", resp.StatusCode, body)
	}
	assertNoInternals(t, body)
	var out gqlResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("status %d, body is not JSON: %v\n%s", resp.StatusCode, err, body)
	}
	return out
}

// query posts q, requires a clean 200 answer and decodes its data into into.
func (s *testServer) query(t *testing.T, q gqlRequest, into any) {
	t.Helper()
	resp, out := s.post(t, q, nil)
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 || !out.hasData() {
		t.Fatalf("%s: status %d, errors %+v, data %s", q.OperationName, resp.StatusCode, out.Errors, out.Data)
	}
	if err := json.Unmarshal(out.Data, into); err != nil {
		t.Fatalf("%s: decode data: %v\n%s", q.OperationName, err, out.Data)
	}
}

// assertNoInternals fails when a body shows Go internals to the client.
func assertNoInternals(t *testing.T, body []byte) {
	t.Helper()
	for _, leak := range []string{"goroutine ", "panic(", "runtime/debug", ".go:", "pq: "} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("response body leaks internals (%q):\n%s", leak, body)
		}
	}
}

func errorCodes(errs []gqlError) []string {
	var codes []string
	for _, e := range errs {
		c, _ := e.Extensions["code"].(string)
		codes = append(codes, c)
	}
	return codes
}

func decodeJSONBody(t *testing.T, resp *http.Response, body []byte) map[string]any {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return m
}

func TestE2EHealthAndPages(t *testing.T) {
	t.Parallel()
	s := startServer(t, testdb.URL(t, testdb.Reference))

	for _, path := range []string{"/healthz", "/livez"} {
		resp, body := s.get(t, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", path, resp.StatusCode, body)
		}
		if m := decodeJSONBody(t, resp, body); m["status"] != "ok" {
			t.Errorf("%s body = %s", path, body)
		}
	}

	resp, body := s.get(t, "/readyz")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz on a migrated database: status %d: %s", resp.StatusCode, body)
	}
	if m := decodeJSONBody(t, resp, body); m["status"] != "ready" || len(m) != 1 {
		t.Errorf(`/readyz body = %s, want {"status":"ready"}`, body)
	}
	// probes are polled constantly; a cached answer would hide an outage
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("/readyz Cache-Control = %q, want no-store", cc)
	}

	for _, path := range []string{"/", "/graphiql"} {
		resp, body := s.get(t, path)
		if !web.Built() { // go test without make web: the page says what to do
			if resp.StatusCode != http.StatusServiceUnavailable || !bytes.Contains(body, []byte("make web")) {
				t.Errorf("GET %s without the bundle: status %d, body %q", path, resp.StatusCode, body)
			}
			continue
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: status %d, Content-Type %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !bytes.Contains(body, []byte("/graphql")) {
			t.Errorf("GET %s: the GraphiQL page does not point at /graphql", path)
		}
	}
	if resp, _ := s.get(t, "/no-such-page"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /no-such-page: status %d, want 404", resp.StatusCode)
	}
}

// bareDatabase creates a database with no tables at all, as a fresh
// deployment would find it, and drops it when the test ends.
func bareDatabase(t *testing.T) string {
	t.Helper()
	raw := os.Getenv("DATABASE_URL")
	if raw == "" {
		t.Fatal("DATABASE_URL is not set: run the tests through scripts/with-postgres.sh")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	q := u.Query()
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "hingraph_e2e_bare_" + hex.EncodeToString(suffix)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		_ = admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE: a server that failed mid-test may still hold a connection
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

func TestE2EReadinessMigrationsPending(t *testing.T) {
	t.Parallel()
	dbURL := bareDatabase(t)

	// Without --migrate the server runs (liveness) but must not take traffic.
	s := startServer(t, dbURL)
	resp, _ := s.get(t, "/healthz")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz on an unmigrated database: status %d, want 200 (the process is alive)", resp.StatusCode)
	}
	resp, body := s.get(t, "/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz on an unmigrated database: status %d, want 503: %s", resp.StatusCode, body)
	}
	m := decodeJSONBody(t, resp, body)
	if m["status"] != "unavailable" || m["reason"] != "migrations pending" {
		t.Errorf("/readyz body = %s, want reason \"migrations pending\"", body)
	}
	// hingraph probe, the image's healthcheck, says the same.
	probe := func(args ...string) error {
		env := map[string]string{"HINGRAPH_ADDR": s.addr}
		return run(context.Background(), append([]string{"probe"}, args...), func(k string) string { return env[k] }, io.Discard, io.Discard)
	}
	if err := probe(); err == nil || !strings.Contains(err.Error(), "migrations pending") {
		t.Errorf("probe of an unmigrated server: %v, want an error naming migrations pending", err)
	}
	if err := probe("--path", "/livez"); err != nil {
		t.Errorf("probe --path /livez of a running server: %v", err)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("run returned %v", err)
	}

	// The same database served with --migrate becomes ready, and empty.
	s = startServer(t, dbURL, "--migrate")
	resp, body = s.get(t, "/readyz")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz after serve --migrate: status %d: %s", resp.StatusCode, body)
	}
	env := map[string]string{"HINGRAPH_ADDR": s.addr}
	if err := run(context.Background(), []string{"probe"}, func(k string) string { return env[k] }, io.Discard, io.Discard); err != nil {
		t.Errorf("probe of a ready server: %v", err)
	}
	var data struct{ Regions []struct{ Code string } }
	s.query(t, gqlRequest{Query: `query Empty { regions { code } }`, OperationName: "Empty"}, &data)
	if len(data.Regions) != 0 {
		t.Errorf("a freshly migrated database has %d regions, want 0", len(data.Regions))
	}
}

// TestE2ESchemaNewerThanBinary: a database that a newer release migrated
// (a rollback of the image without the schema) stops serve, serve --migrate
// and migrate with a message naming both versions; the database is left as
// it was.
func TestE2ESchemaNewerThanBinary(t *testing.T) {
	t.Parallel()
	dbURL := bareDatabase(t)
	env := map[string]string{"DATABASE_URL": dbURL}
	getenv := func(k string) string { return env[k] }
	var out, errOut syncBuffer
	if err := run(context.Background(), []string{"migrate"}, getenv, &out, &errOut); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut.String())
	}
	latest, err := store.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	future := latest + 1
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, future); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("the database schema is at migration %05d, newer than this build knows (its newest is %05d)", future, latest)
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", ""},
		{"serve", "--migrate", "--addr", "127.0.0.1:0", "--metrics-addr", ""},
		{"migrate"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := run(ctx, args, getenv, &out, &errOut)
		cancel()
		var tooNew *store.SchemaTooNewError
		if !errors.As(err, &tooNew) || !strings.Contains(err.Error(), want) {
			t.Errorf("%v on a newer schema: error %v, want one containing %q", args, err, want)
		}
		if strings.Contains(out.String(), `"msg":"serving"`) {
			t.Errorf("%v served a newer schema", args)
		}
	}
	var applied int64
	if err := db.QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&applied); err != nil || applied != future {
		t.Errorf("schema version after the refusals = %d (%v), want %d untouched", applied, err, future)
	}
}

// TestE2EConcurrentMigrations: migration Jobs overlapping (a retry over a
// slow first run) or replicas started together with --migrate apply each
// migration exactly once, all of them succeeding.
func TestE2EConcurrentMigrations(t *testing.T) {
	t.Parallel()
	dbURL := bareDatabase(t)
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": dbURL}[k] }
	const runs = 4
	errs := make(chan error, runs)
	for range runs {
		go func() {
			var out, errOut syncBuffer
			errs <- run(context.Background(), []string{"migrate"}, getenv, &out, &errOut)
		}()
	}
	for range runs {
		if err := <-errs; err != nil {
			t.Errorf("a concurrent migrate failed: %v", err)
		}
	}
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	latest, err := store.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	var rows, distinct int64
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct || distinct != latest {
		t.Errorf("goose_db_version holds %d rows of %d versions, want each of the %d migrations once", rows, distinct, latest)
	}
}

type pageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

func TestE2EQueries(t *testing.T) {
	t.Parallel()
	s := startServer(t, testdb.URL(t, testdb.Demo(smallDemo)))

	t.Run("regions", func(t *testing.T) {
		var data struct{ Regions []struct{ Code, Name string } }
		s.query(t, gqlRequest{Query: `query Regions { regions { code name } }`, OperationName: "Regions"}, &data)
		if len(data.Regions) != 15 {
			t.Fatalf("got %d regions, want 15", len(data.Regions))
		}
		seen := map[string]bool{}
		for _, r := range data.Regions {
			if r.Code == "" || r.Name == "" || seen[r.Code] {
				t.Errorf("region %+v: empty or duplicate", r)
			}
			seen[r.Code] = true
		}
	})

	t.Run("nested", func(t *testing.T) {
		const q = `query Nested($first: Int!) {
			regions {
				code
				innovations(first: $first) {
					totalCount
					nodes {
						id
						leadRegion { code }
						pilots(first: $first) {
							nodes {
								id
								region { code }
								outcomes(first: 3) { totalCount nodes { id periodStart pilot { id } } }
							}
						}
					}
				}
			}
		}`
		var data struct {
			Regions []struct {
				Code        string
				Innovations struct {
					TotalCount int
					Nodes      []struct {
						ID         string
						LeadRegion struct{ Code string }
						Pilots     struct {
							Nodes []struct {
								ID       string
								Region   struct{ Code string }
								Outcomes struct {
									TotalCount int
									Nodes      []struct {
										ID          string
										PeriodStart string
										Pilot       struct{ ID string }
									}
								}
							}
						}
					}
				}
			}
		}
		resp, out := s.post(t, gqlRequest{Query: q, OperationName: "Nested", Variables: map[string]any{"first": 5}},
			map[string]string{"X-Request-Id": "e2e-nested"})
		if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
			t.Fatalf("status %d, errors %+v", resp.StatusCode, out.Errors)
		}
		if err := json.Unmarshal(out.Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data.Regions) != 15 {
			t.Fatalf("got %d regions, want 15", len(data.Regions))
		}
		var pilots, outcomes int
		for _, r := range data.Regions {
			if r.Innovations.TotalCount < smallDemo.InnovationsPerRegion || len(r.Innovations.Nodes) < smallDemo.InnovationsPerRegion {
				t.Errorf("region %s: %d innovations (total %d), want at least %d",
					r.Code, len(r.Innovations.Nodes), r.Innovations.TotalCount, smallDemo.InnovationsPerRegion)
			}
			for _, inn := range r.Innovations.Nodes {
				if inn.LeadRegion.Code != r.Code {
					t.Errorf("innovation %s under region %s is led by %q", inn.ID, r.Code, inn.LeadRegion.Code)
				}
				for _, p := range inn.Pilots.Nodes {
					pilots++
					if len(p.Outcomes.Nodes) > 3 {
						t.Errorf("pilot %s: %d outcomes for first: 3", p.ID, len(p.Outcomes.Nodes))
					}
					if p.Outcomes.TotalCount < len(p.Outcomes.Nodes) {
						t.Errorf("pilot %s: totalCount %d below the %d returned", p.ID, p.Outcomes.TotalCount, len(p.Outcomes.Nodes))
					}
					for _, o := range p.Outcomes.Nodes {
						outcomes++
						if o.Pilot.ID != p.ID || o.PeriodStart == "" {
							t.Errorf("outcome %+v listed under pilot %s", o, p.ID)
						}
					}
				}
			}
		}
		// 2 demo pilots per region, each of a demo innovation of that region
		if pilots < 15*smallDemo.PilotsPerRegion || outcomes == 0 {
			t.Errorf("nested query found %d pilots and %d outcomes; want >= %d pilots and some outcomes",
				pilots, outcomes, 15*smallDemo.PilotsPerRegion)
		}
		// Batching: one statement per list level, not one per parent. An N+1
		// would take at least one statement per region (15) on its own.
		l := s.waitLog(t, "for the nested query", withRequestID("e2e-nested"))
		if n, _ := l["sql_statements"].(float64); n <= 0 || n >= 15 {
			t.Errorf("nested query ran %v SQL statements, want between 1 and 14 (batched)", l["sql_statements"])
		}
	})

	t.Run("pagination", func(t *testing.T) {
		const q = `query Page($first: Int!, $after: String) {
			innovations(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } }
		}`
		seen := map[string]bool{}
		var after any // JSON null on the first page
		total, pages := -1, 0
		for {
			var data struct {
				Innovations struct {
					TotalCount int
					PageInfo   pageInfo
					Nodes      []struct{ ID string }
				}
			}
			s.query(t, gqlRequest{Query: q, OperationName: "Page", Variables: map[string]any{"first": 7, "after": after}}, &data)
			c := data.Innovations
			pages++
			if total < 0 {
				total = c.TotalCount
			} else if c.TotalCount != total {
				t.Errorf("page %d: totalCount %d, first page said %d", pages, c.TotalCount, total)
			}
			if len(c.Nodes) > 7 {
				t.Errorf("page %d: %d nodes for first: 7", pages, len(c.Nodes))
			}
			for _, n := range c.Nodes {
				if seen[n.ID] {
					t.Errorf("page %d repeats innovation %s", pages, n.ID)
				}
				seen[n.ID] = true
			}
			if !c.PageInfo.HasNextPage {
				break
			}
			if c.PageInfo.EndCursor == nil || len(c.Nodes) == 0 {
				t.Fatalf("page %d: hasNextPage with no endCursor or no nodes", pages)
			}
			if pages > 100 {
				t.Fatal("more than 100 pages: pagination does not advance")
			}
			after = *c.PageInfo.EndCursor
		}
		if total < 15*smallDemo.InnovationsPerRegion || len(seen) != total {
			t.Errorf("walked %d innovations in %d pages, totalCount %d (want >= %d, all seen once)",
				len(seen), pages, total, 15*smallDemo.InnovationsPerRegion)
		}
	})
}

func TestE2ETransports(t *testing.T) {
	t.Parallel()
	s := startServer(t, testdb.URL(t, testdb.Reference))

	t.Run("GET query", func(t *testing.T) {
		v := url.Values{}
		v.Set("query", `query One($code: String!) { region(code: $code) { code name } regions { code } }`)
		v.Set("operationName", "One")
		v.Set("variables", `{"code":"HI-EM"}`)
		req, err := http.NewRequest(http.MethodGet, s.base+"/graphql?"+v.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("GraphQL-Require-Preflight", "1") // as a script sends it; see the CSRF check
		resp, body := s.do(t, req)
		out := decodeGraphQL(t, resp, body)
		if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
			t.Fatalf("GET query: status %d, errors %+v", resp.StatusCode, out.Errors)
		}
		var data struct {
			Region  *struct{ Code, Name string }
			Regions []struct{ Code string }
		}
		if err := json.Unmarshal(out.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.Region == nil || data.Region.Code != "HI-EM" || len(data.Regions) != 15 {
			t.Errorf("GET query data = %s", out.Data)
		}
	})

	// GET must never change anything; the schema has no mutations yet, so a
	// mutation document is refused whichever check catches it first.
	t.Run("GET mutation", func(t *testing.T) {
		v := url.Values{}
		v.Set("query", `mutation M { __typename }`)
		resp, body := s.get(t, "/graphql?"+v.Encode())
		out := decodeGraphQL(t, resp, body)
		if out.hasData() || len(out.Errors) == 0 {
			t.Errorf("GET mutation: status %d, body %s; want errors and no data", resp.StatusCode, body)
		}
	})

	// Content types a browser may send cross-site without a preflight must
	// not run queries (CSRF); only application/json does.
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		t.Run("POST "+ct, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", strings.NewReader(`{"query":"{ regions { code } }"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ct)
			resp, body := s.do(t, req)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("POST %s: status %d, want 4xx: %s", ct, resp.StatusCode, body)
			}
			assertNoInternals(t, body)
			var out gqlResponse
			if json.Unmarshal(body, &out) == nil && out.hasData() {
				t.Errorf("POST %s ran the query: %s", ct, body)
			}
		})
	}
}

func TestE2EErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, testdb.URL(t, testdb.Reference), "--max-body-bytes", "2048")

	cases := []struct {
		name  string
		req   gqlRequest
		codes []string // any of these is right
		field string   // extensions.field, when the error names one
	}{
		{name: "syntax", req: gqlRequest{Query: `{ regions { code `}, codes: []string{"GRAPHQL_PARSE_FAILED"}},
		{name: "unknown field", req: gqlRequest{Query: `{ regions { nope } }`}, codes: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "missing variable", req: gqlRequest{Query: `query V($n: Int!) { innovations(first: $n) { totalCount } }`},
			codes: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "unknown operation", req: gqlRequest{Query: `query A { regions { code } }`, OperationName: "B"},
			codes: []string{"GRAPHQL_VALIDATION_FAILED", "BAD_REQUEST"}},
		{name: "first 501 at the root", req: gqlRequest{Query: `{ innovations(first: 501) { totalCount } }`},
			codes: []string{"INVALID_ARGUMENT"}, field: "first"},
		{name: "first 501 nested", req: gqlRequest{Query: `{ regions { innovations(first: 501) { totalCount } } }`},
			codes: []string{"INVALID_ARGUMENT"}, field: "first"},
		{name: "first 501 as a variable", req: gqlRequest{Query: `query P($n: Int) { pilots(first: $n) { totalCount } }`,
			Variables: map[string]any{"n": 501}}, codes: []string{"INVALID_ARGUMENT"}, field: "first"},
		{name: "negative first", req: gqlRequest{Query: `{ outcomes(first: -1) { totalCount } }`},
			codes: []string{"INVALID_ARGUMENT"}, field: "first"},
		{name: "garbage cursor", req: gqlRequest{Query: `{ innovations(after: "not-a-cursor") { totalCount } }`},
			codes: []string{"INVALID_ARGUMENT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, out := s.post(t, tc.req, nil)
			if len(out.Errors) == 0 {
				t.Fatalf("status %d, no errors", resp.StatusCode)
			}
			codes := errorCodes(out.Errors)
			ok := false
			for _, want := range tc.codes {
				if codes[0] == want {
					ok = true
				}
			}
			if !ok {
				t.Errorf("status %d, codes %v, want one of %v: %+v", resp.StatusCode, codes, tc.codes, out.Errors)
			}
			if tc.field != "" && out.Errors[0].Extensions["field"] != tc.field {
				t.Errorf("extensions.field = %v, want %q", out.Errors[0].Extensions["field"], tc.field)
			}
		})
	}

	t.Run("malformed JSON", func(t *testing.T) {
		t.Parallel()
		req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", strings.NewReader(`{"query": `))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, body := s.do(t, req)
		out := decodeGraphQL(t, resp, body)
		if resp.StatusCode != http.StatusBadRequest || len(out.Errors) == 0 || out.hasData() {
			t.Errorf("status %d, body %s; want 400 with errors", resp.StatusCode, body)
		}
	})

	// 10 KB of valid JSON: the query padded with a comment.
	bigBody := func(t *testing.T) []byte {
		b, err := json.Marshal(gqlRequest{Query: "{ regions { code } }\n#" + strings.Repeat("x", 10<<10)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	checkTooLarge := func(t *testing.T, resp *http.Response, body []byte) {
		t.Helper()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413: %s", resp.StatusCode, body)
		}
		out := decodeGraphQL(t, resp, body)
		if out.hasData() || len(out.Errors) == 0 || errorCodes(out.Errors)[0] != "REQUEST_TOO_LARGE" {
			t.Errorf("413 body = %s, want a JSON error with code REQUEST_TOO_LARGE", body)
		}
	}
	t.Run("body too large", func(t *testing.T) {
		t.Parallel()
		req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(bigBody(t)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, body := s.do(t, req)
		checkTooLarge(t, resp, body)
	})
	// Without Content-Length (chunked) the size is only known while reading.
	t.Run("chunked body too large", func(t *testing.T) {
		t.Parallel()
		// a plain io.Reader hides the length, so the client sends it chunked
		body := struct{ io.Reader }{bytes.NewReader(bigBody(t))}
		req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if req.ContentLength > 0 {
			t.Fatal("request has a Content-Length; the test needs a chunked body")
		}
		resp, respBody := s.do(t, req)
		checkTooLarge(t, resp, respBody)
	})
	t.Run("body at the limit is served", func(t *testing.T) {
		t.Parallel()
		resp, out := s.post(t, gqlRequest{Query: "{ regions { code } }\n#" + strings.Repeat("x", 1500)}, nil)
		if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
			t.Errorf("a body under the limit: status %d, errors %+v", resp.StatusCode, out.Errors)
		}
	})
}

func TestE2ERequestIDs(t *testing.T) {
	t.Parallel()
	s := startServer(t, testdb.URL(t, testdb.Reference))
	generated := regexp.MustCompile(`^[0-9a-f]{16}$`)
	q := gqlRequest{Query: `query Ids { regions { code } }`, OperationName: "Ids"}

	resp, _ := s.post(t, q, nil)
	first := resp.Header.Get("X-Request-Id")
	if !generated.MatchString(first) {
		t.Errorf("X-Request-Id without one sent = %q, want 16 hex digits", first)
	}
	resp, _ = s.post(t, q, nil)
	if second := resp.Header.Get("X-Request-Id"); second == first {
		t.Errorf("two requests got the same id %q", first)
	}
	// Every route gets one, health probes too.
	if resp, _ := s.get(t, "/healthz"); !generated.MatchString(resp.Header.Get("X-Request-Id")) {
		t.Errorf("/healthz X-Request-Id = %q", resp.Header.Get("X-Request-Id"))
	}

	const sane = "edge-7f3a.B_12"
	resp, _ = s.post(t, q, map[string]string{"X-Request-Id": sane})
	if got := resp.Header.Get("X-Request-Id"); got != sane {
		t.Errorf("sane X-Request-Id %q came back as %q", sane, got)
	}
	s.waitLog(t, "with the caller's request id", withRequestID(sane))

	// Ids a caller could use to forge or flood log lines are replaced.
	for _, bad := range []string{"has spaces in it", strings.Repeat("a", 500), `x"},"level":"ERROR`, "tab\there"} {
		resp, _ := s.post(t, q, map[string]string{"X-Request-Id": bad})
		if got := resp.Header.Get("X-Request-Id"); got == bad || !generated.MatchString(got) {
			t.Errorf("insane X-Request-Id %.40q came back as %.40q, want a fresh id", bad, got)
		}
	}
}

func TestE2EAccessLog(t *testing.T) {
	t.Parallel()
	s := startServer(t, testdb.URL(t, testdb.Reference))

	if resp, _ := s.get(t, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", resp.StatusCode)
	}
	resp, out := s.post(t, gqlRequest{Query: `query LogProbe { regions { code name } }`, OperationName: "LogProbe"},
		map[string]string{"X-Request-Id": "e2e-log-probe"})
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		t.Fatalf("status %d, errors %+v", resp.StatusCode, out.Errors)
	}
	l := s.waitLog(t, "for LogProbe", withRequestID("e2e-log-probe"))
	if l["operation"] != "LogProbe" {
		t.Errorf("operation = %v, want LogProbe", l["operation"])
	}
	if l["status"] != float64(200) || l["method"] != "POST" || l["path"] != "/graphql" {
		t.Errorf("status/method/path = %v %v %v, want 200 POST /graphql", l["status"], l["method"], l["path"])
	}
	if n, ok := l["sql_statements"].(float64); !ok || n <= 0 {
		t.Errorf("sql_statements = %v, want > 0", l["sql_statements"])
	}
	if _, ok := l["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms = %v, want a number", l["duration_ms"])
	}
	if n, _ := l["bytes"].(float64); n <= 0 {
		t.Errorf("bytes = %v, want the response size", l["bytes"])
	}

	// A failing request is logged with its status and operation as well.
	resp, _ = s.post(t, gqlRequest{Query: `query Broken { regions { nope } }`, OperationName: "Broken"},
		map[string]string{"X-Request-Id": "e2e-log-broken"})
	l = s.waitLog(t, "for Broken", withRequestID("e2e-log-broken"))
	if l["status"] != float64(resp.StatusCode) {
		t.Errorf("logged status %v, client got %d", l["status"], resp.StatusCode)
	}

	// Probes are polled every few seconds and would drown the log.
	if s.logged(t, func(l logLine) bool { return l["path"] == "/healthz" || l["path"] == "/readyz" }) {
		t.Errorf("health probes are in the access log:\n%s", s.stdout.String())
	}
	// lines() has already failed the test on any non-JSON line.
	if len(s.stdout.lines(t)) == 0 {
		t.Error("nothing on stdout")
	}
}

// TestE2EGracefulShutdown cancels the server while a request is half sent
// and requires the request to finish normally and run to return nil.
func TestE2EGracefulShutdown(t *testing.T) {
	t.Parallel()
	s := startServer(t, testdb.URL(t, testdb.Reference))

	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatal(err)
	}
	body := `{"query":"query InFlight { regions { code name } }","operationName":"InFlight"}`
	// Expect: 100-continue makes the request's progress visible: Go's server
	// answers "100 Continue" only once the handler starts reading the body.
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\nX-Request-Id: e2e-in-flight\r\n\r\n", s.addr, len(body))
	br := bufio.NewReader(conn)
	cont, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("waiting for 100 Continue: %v", err)
	}
	if cont.StatusCode != http.StatusContinue {
		t.Fatalf("got %s before the body was sent, want 100 Continue", cont.Status)
	}
	half := len(body) / 2
	if _, err := io.WriteString(conn, body[:half]); err != nil {
		t.Fatal(err)
	}

	// Shut down, as SIGTERM would, and wait until the server no longer
	// accepts connections: shutdown has begun with our request in flight.
	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	s.waitLog(t, "about shutting down", func(l logLine) bool { return strings.HasPrefix(fmt.Sprint(l["msg"]), "shutting down") })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err != nil {
			break
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepts connections 10s after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("run returned (%v) while a request was still being received", err)
	default:
	}

	if _, err := io.WriteString(conn, body[half:]); err != nil {
		t.Fatalf("finish the body after shutdown began: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read the response of the in-flight request: %v", err)
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatalf("read the response body: %v", err)
	}
	out := decodeGraphQL(t, resp, respBody)
	var data struct{ Regions []struct{ Code, Name string } }
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 || json.Unmarshal(out.Data, &data) != nil || len(data.Regions) != 15 {
		t.Fatalf("in-flight request: status %d, body %s; want 200 with 15 regions", resp.StatusCode, respBody)
	}

	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("run returned %v after a graceful shutdown", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("run did not return after the in-flight request finished")
	}
	s.waitLog(t, "for the in-flight request", withRequestID("e2e-in-flight"))
	s.waitLog(t, `"stopped"`, func(l logLine) bool { return l["msg"] == "stopped" })
}

func TestE2ECORS(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t, testdb.Reference)
	// the space checks that the list is trimmed
	s := startServer(t, dbURL, "--cors-origins", "https://dash.example, https://ops.example")
	plain := startServer(t, dbURL)

	preflight := func(t *testing.T, s *testServer, origin string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodOptions, s.base+"/graphql", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type, x-request-id")
		resp, _ := s.do(t, req)
		return resp
	}

	for _, origin := range []string{"https://dash.example", "https://ops.example"} {
		resp := preflight(t, s, origin)
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			t.Errorf("preflight from %s: status %d", origin, resp.StatusCode)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin = %q", origin, got)
		}
		if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(strings.ToUpper(m), "POST") {
			t.Errorf("preflight from %s: Access-Control-Allow-Methods = %q, want POST", origin, m)
		}
		h := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
		if !strings.Contains(h, "content-type") || !strings.Contains(h, "x-request-id") {
			t.Errorf("preflight from %s: Access-Control-Allow-Headers = %q", origin, h)
		}
	}
	for _, origin := range []string{"https://evil.example", "https://dash.example.evil.example", "http://dash.example"} {
		if got := preflight(t, s, origin).Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin = %q, want none", origin, got)
		}
	}
	if got := preflight(t, plain, "https://dash.example").Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("without --cors-origins: Access-Control-Allow-Origin = %q, want none", got)
	}

	// The actual request: allowed origins may read it, others may not.
	q := gqlRequest{Query: `query Cors { regions { code } }`, OperationName: "Cors"}
	resp, out := s.post(t, q, map[string]string{"Origin": "https://dash.example"})
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		t.Fatalf("POST from an allowed origin: status %d, errors %+v", resp.StatusCode, out.Errors)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://dash.example" {
		t.Errorf("POST from an allowed origin: Access-Control-Allow-Origin = %q", got)
	}
	resp, _ = s.post(t, q, map[string]string{"Origin": "https://evil.example"})
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("POST from another origin: Access-Control-Allow-Origin = %q, want none", got)
	}
}
