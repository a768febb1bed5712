package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/store"
)

const (
	tagHeader     = "X-Hinbench-Tag"     // which phase of which query a request belongs to
	captureHeader = "X-Hinbench-Capture" // record this request's SQL (for --explain)
)

// statement is one SQL statement the API sent, with its arguments.
type statement struct {
	query string
	args  []any
}

type captureKey struct{}

type capture struct {
	mu    sync.Mutex
	stmts []statement
}

// served is what the API side saw of one request.
type served struct {
	stmts int64         // SQL statements, by the store's own counter
	sql   time.Duration // time spent in those statements (summed)
}

type sqlTimerKey struct{}

// sqlTimer sums the time a request's statements take; statements of one
// request may run concurrently, so it is time in SQL, not wall time.
type sqlTimer struct{ ns atomic.Int64 }

// statementTimer is a store.StatementHook that charges each statement's
// time to the request's timer.
func statementTimer(ctx context.Context, _ string) (context.Context, func(error)) {
	t, ok := ctx.Value(sqlTimerKey{}).(*sqlTimer)
	if !ok {
		return ctx, func(error) {}
	}
	start := time.Now()
	return ctx, func(error) { t.ns.Add(int64(time.Since(start))) }
}

// recorder keeps, per tag, what the API saw of every request it served,
// and the statements of captured requests.
type recorder struct {
	inflight atomic.Int64
	mu       sync.Mutex
	counts   map[string][]served
	captured map[string][]statement
}

// middleware counts each request's statements with the store's own
// counter, on the request context like hingraph's access log does.
func (rec *recorder) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.inflight.Add(1)
		defer rec.inflight.Add(-1)
		ctx, counter := store.WithStatementCounter(r.Context())
		timer := &sqlTimer{}
		ctx = context.WithValue(ctx, sqlTimerKey{}, timer)
		var c *capture
		if r.Header.Get(captureHeader) != "" {
			c = &capture{}
			ctx = context.WithValue(ctx, captureKey{}, c)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
		tag := r.Header.Get(tagHeader)
		rec.mu.Lock()
		rec.counts[tag] = append(rec.counts[tag], served{counter.Count(), time.Duration(timer.ns.Load())})
		if c != nil {
			rec.captured[tag] = c.stmts
		}
		rec.mu.Unlock()
	})
}

// onStatement is the store's OnStatement hook: it keeps the SQL of
// captured requests.
func onStatement(ctx context.Context, query string, args []any) {
	if c, ok := ctx.Value(captureKey{}).(*capture); ok {
		c.mu.Lock()
		c.stmts = append(c.stmts, statement{query, append([]any(nil), args...)})
		c.mu.Unlock()
	}
}

// settle waits until the API has finished every request: a client may read
// the last byte of a response a moment before the handler has returned and
// the middleware recorded its count.
func (rec *recorder) settle() {
	for deadline := time.Now().Add(5 * time.Second); rec.inflight.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// take returns and forgets what was recorded under tag.
func (rec *recorder) take(tag string) []served {
	rec.settle()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	c := rec.counts[tag]
	delete(rec.counts, tag)
	return c
}

func (rec *recorder) takeCaptured(tag string) []statement {
	rec.settle()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	c := rec.captured[tag]
	delete(rec.captured, tag)
	delete(rec.counts, tag)
	return c
}

// apiServer is the real API (graph.NewHandler over the store) on a
// loopback port, so requests cross real HTTP and the whole gqlgen stack.
type apiServer struct {
	url   string
	srv   *http.Server
	rec   *recorder
	store *store.Store
	done  chan error
}

func startAPI(ctx context.Context, dsn string, poolSize int) (*apiServer, error) {
	s, err := store.Open(ctx, store.Config{
		URL: dsn, StatementTimeout: 30 * time.Second, MaxOpenConns: poolSize, MaxIdleConns: poolSize,
		OnStatement: onStatement,
	})
	if err != nil {
		return nil, err
	}
	s.AddHook(statementTimer)
	// warnings and internal errors only: the benchmark's output is stdout
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rec := &recorder{counts: map[string][]served{}, captured: map[string][]statement{}}
	api := graph.NewHandler(s, graph.Options{RequestTimeout: 30 * time.Second, Log: log})
	mux := http.NewServeMux()
	mux.Handle("/graphql", rec.middleware(api))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	a := &apiServer{
		url: "http://" + ln.Addr().String() + "/graphql",
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		rec:   rec,
		store: s,
		done:  make(chan error, 1),
	}
	go func() { a.done <- a.srv.Serve(ln) }()
	return a, nil
}

func (a *apiServer) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	if serveErr := <-a.done; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	if cerr := a.store.Close(); err == nil {
		err = cerr
	}
	return err
}
