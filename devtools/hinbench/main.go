// Command hinbench measures the hin-graph API's dashboard queries against
// databases of growing size, and checks their figures against plain SQL.
//
// For each scale it prepares a database hinbench_s<scale> on the server of
// DATABASE_URL (created, migrated and seeded once, then reused), starts the
// real API in-process on a loopback port, loads each dashboard query over
// HTTP at a fixed concurrency, and times the plainest hand-written SQL for
// the same figures. It exits non-zero when any request fails or any figure
// differs from the SQL's.
//
//	DATABASE_URL=postgres://... go run ./devtools/hinbench --scales 10,100 --duration 10s
//
// With --hostile it instead serves the API with hingraph's default limits,
// timeouts and rate limits, and measures a few signed-in dashboards alone
// and then with anonymous hostile requests mixed in (hostile.go); it exits
// non-zero when any normal request fails.
//
//	DATABASE_URL=postgres://... go run ./devtools/hinbench --scales 10 --hostile --duration 10s
//
// With --peer it instead runs the built hingraph and PostGraphile V5 (from
// bench/postgraphile, installed with npm ci) over the same database, checks
// that they answer a nested page, a list page and a lookup with the same
// rows, and loads them in interleaved rounds (peer.go); make bench-peer.
//
//	DATABASE_URL=postgres://... go run ./devtools/hinbench --scales 10 --peer
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

type options struct {
	DatabaseURL  string
	Scales       []int
	Concurrency  int
	Duration     time.Duration
	Warmup       time.Duration
	Queries      []string
	Keep         bool
	Reset        bool
	SeqRequests  int
	SQLRuns      int
	MaxOpenConns int
	Explain      bool
	CPUProfile   string
	MemProfile   string
	// --hostile
	Hostile        bool
	HostileWorkers int
	HostileKinds   []string
	HostileAddrs   int
	HostileRate    float64
	HostileIsolate bool
	NormalRate     float64
	// --peer
	Peer         bool
	PeerRounds   int
	PeerWarmup   time.Duration
	PeerDir      string
	PeerHingraph string
	PeerShapes   []string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hinbench:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("hinbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var scales, queries string
	fs.StringVar(&o.DatabaseURL, "database-url", getenv("DATABASE_URL"), "PostgreSQL server URL (env DATABASE_URL); the role must be allowed to create databases")
	fs.StringVar(&scales, "scales", "10,100", "demo data scales to measure, comma-separated (10 ≈ 200k outcomes, 100 ≈ 2M)")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "concurrent clients in the load phase")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "load phase length per query")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "warm-up before each load phase (not measured)")
	fs.StringVar(&queries, "queries", "", "comma-separated subset of queries to run: "+strings.Join(queryNames(), ", ")+" (default all)")
	fs.BoolVar(&o.Keep, "keep", true, "keep the bench databases for the next run (false drops them at the end)")
	fs.BoolVar(&o.Reset, "reset", false, "drop and reseed the bench databases first")
	fs.IntVar(&o.SeqRequests, "seq-requests", 50, "requests in the sequential (concurrency 1) API pass compared with SQL")
	fs.IntVar(&o.SQLRuns, "sql-runs", 20, "timed runs of each baseline SQL query (after 2 warm-ups)")
	fs.IntVar(&o.MaxOpenConns, "max-open-conns", store.DefaultMaxOpenConns, "the API's database pool size (hingraph's default)")
	fs.BoolVar(&o.Explain, "explain", false, "print EXPLAIN ANALYZE of every statement one request of each query sends")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run (API server included) to this file")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write an allocation profile of the whole run (API server included) to this file at the end")
	var hostileKinds string
	fs.BoolVar(&o.Hostile, "hostile", false, "instead of the per-query benchmark: normal dashboard traffic alone, then with hostile requests mixed in, "+
		"against the API wired with hingraph's default limits, timeouts and rate limits; fails if any normal request fails")
	fs.IntVar(&o.HostileWorkers, "hostile-workers", 8, "--hostile: concurrent hostile clients, each sending back to back")
	fs.StringVar(&hostileKinds, "hostile-kinds", "", "--hostile: comma-separated hostile kinds to mix: "+strings.Join(hostileKindNames(false), ", ")+
		" (default all of those); also "+strings.Join(hostileKindNames(true), ", "))
	fs.IntVar(&o.HostileAddrs, "hostile-addrs", 1, "--hostile: loopback addresses the hostile clients come from (127.0.0.1 to 127.0.0.N), each an anonymous caller of its own (Linux: all of 127/8 is loopback)")
	fs.Float64Var(&o.HostileRate, "hostile-rate", 0, "--hostile: cap on all hostile requests per second (0: no pause between requests)")
	fs.BoolVar(&o.HostileIsolate, "hostile-isolate", false, "--hostile: also run the normal traffic with each hostile kind alone, one phase each")
	fs.Float64Var(&o.NormalRate, "normal-rate", 5, "--hostile: requests per second of each dashboard (0: back to back; above 50 meets the signed-in rate limit)")
	var peerShapesFlag string
	fs.BoolVar(&o.Peer, "peer", false, "instead of the per-query benchmark: hin-graph against PostGraphile V5 over the same database, "+
		"answers checked equal, then interleaved rounds of closed-loop load (defaults: scale 10, 5s per phase)")
	fs.IntVar(&o.PeerRounds, "peer-rounds", 3, "--peer: interleaved rounds")
	fs.DurationVar(&o.PeerWarmup, "peer-warmup", 5*time.Second, "--peer: load per shape and server before the first round, so that Node's JIT (and both servers' caches) are warm")
	fs.StringVar(&o.PeerDir, "peer-dir", "bench/postgraphile", "--peer: directory of server.mjs and the installed postgraphile package")
	fs.StringVar(&o.PeerHingraph, "peer-hingraph", "", "--peer: hingraph binary to run (default: go build ./cmd/hingraph into a temporary directory)")
	fs.StringVar(&peerShapesFlag, "peer-shapes", "", "--peer: comma-separated shapes: "+strings.Join(peerShapeNames(), ", ")+" (default all)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.DatabaseURL == "" {
		return nil, errors.New("no database server: set DATABASE_URL or --database-url")
	}
	for _, s := range hin.SplitList(scales) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("--scales: %q is not a scale from 1 to 1000", s)
		}
		o.Scales = append(o.Scales, n)
	}
	if len(o.Scales) == 0 {
		return nil, errors.New("--scales: give at least one scale")
	}
	o.Queries = hin.SplitList(queries)
	if o.Peer {
		if !set["scales"] {
			o.Scales = []int{10}
		}
		if !set["duration"] {
			o.Duration = 5 * time.Second
		}
		if !set["seq-requests"] {
			o.SeqRequests = 20
		}
		o.PeerShapes = hin.SplitList(peerShapesFlag)
		for _, s := range o.PeerShapes {
			if findPeerShape(s) == nil {
				return nil, fmt.Errorf("--peer-shapes: unknown shape %q; known: %s", s, strings.Join(peerShapeNames(), ", "))
			}
		}
		if len(o.PeerShapes) == 0 {
			o.PeerShapes = peerShapeNames()
		}
		if o.PeerRounds < 1 {
			return nil, errors.New("--peer-rounds must be positive")
		}
	}
	if o.Hostile {
		// a modest dashboard load, unless told otherwise
		if !set["concurrency"] {
			o.Concurrency = 4
		}
		if len(o.Queries) == 0 {
			o.Queries = defaultHostileQueries
		}
		o.HostileKinds = hin.SplitList(hostileKinds)
		for _, k := range o.HostileKinds {
			if findHostileKind(k) == nil {
				return nil, fmt.Errorf("--hostile-kinds: unknown kind %q; known: %s", k, strings.Join(append(hostileKindNames(false), hostileKindNames(true)...), ", "))
			}
		}
		if len(o.HostileKinds) == 0 {
			o.HostileKinds = hostileKindNames(false)
		}
		if o.HostileWorkers < 1 || o.HostileAddrs < 1 || o.HostileAddrs > 254 || o.HostileRate < 0 || o.NormalRate < 0 {
			return nil, errors.New("--hostile-workers must be positive, --hostile-addrs from 1 to 254, --hostile-rate and --normal-rate not negative")
		}
	}
	for _, q := range o.Queries {
		if findQuery(q) == nil {
			return nil, fmt.Errorf("--queries: unknown query %q; known: %s", q, strings.Join(queryNames(), ", "))
		}
	}
	if len(o.Queries) == 0 {
		o.Queries = queryNames()
	}
	if o.Concurrency < 1 || o.Duration <= 0 || o.SeqRequests < 1 || o.SQLRuns < 1 || o.Warmup < 0 {
		return nil, errors.New("--concurrency, --duration, --seq-requests and --sql-runs must be positive")
	}
	return o, nil
}

// run returns ok=false when the benchmark completed but found failed
// requests or wrong figures, and an error when it could not complete.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (bool, error) {
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return false, err
	}
	pgVersion, err := serverVersion(ctx, o.DatabaseURL)
	if err != nil {
		return false, err
	}
	if o.CPUProfile != "" {
		// the API runs in this process, so this profiles the server's side too
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return false, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return false, err
		}
		defer pprof.StopCPUProfile()
	}
	if o.MemProfile != "" {
		defer func() {
			if f, err := os.Create(o.MemProfile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	fmt.Fprintf(stdout, "hinbench  %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(stdout, "machine:     %d cores (GOMAXPROCS %d), %s/%s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(stdout, "postgres:    %s\n", pgVersion)
	if la := loadAverage(); la != "" {
		// other work on the machine skews every number below; say how busy it was
		fmt.Fprintf(stdout, "load avg:    %s at start (1, 5, 15 min)\n", la)
	}
	if !o.Hostile && !o.Peer {
		fmt.Fprintf(stdout, "load:        concurrency %d, %s per query after %s warm-up; API, client and PostgreSQL share this machine\n", o.Concurrency, o.Duration, o.Warmup)
		fmt.Fprintf(stdout, "baseline:    API %d sequential requests vs plain SQL %d runs (after 2 warm-ups), p50 of each\n", o.SeqRequests, o.SQLRuns)
	}
	if o.Peer {
		fmt.Fprintf(stdout, "scales:      %s; shapes: %s\n", joinInts(o.Scales), strings.Join(o.PeerShapes, ", "))
	} else {
		fmt.Fprintf(stdout, "scales:      %s; queries: %s\n", joinInts(o.Scales), strings.Join(o.Queries, ", "))
	}

	ok := true
	var all []*scaleResult
	for _, scale := range o.Scales {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		res, err := benchScale(ctx, o, scale, stdout, stderr)
		if err != nil {
			return false, fmt.Errorf("scale %d: %w", scale, err)
		}
		ok = ok && res.ok()
		all = append(all, res)
	}
	switch {
	case o.Peer && ok:
		fmt.Fprintln(stdout, "\nresult: OK (same rows from both servers, no failed requests)")
		return true, nil
	case o.Peer:
		fmt.Fprintln(stdout, "\nresult: FAILED (see MISMATCH or ERRORS above)")
		return false, nil
	case o.Hostile && ok:
		fmt.Fprintln(stdout, "\nresult: OK (no normal request failed)")
	case o.Hostile:
		fmt.Fprintln(stdout, "\nresult: FAILED (normal requests failed; see above)")
	default:
		printGrowth(stdout, o, all)
	}
	if o.Hostile {
		return ok, nil
	}
	if ok {
		fmt.Fprintln(stdout, "\nresult: OK (no failed requests, every checked figure equals plain SQL)")
	} else {
		fmt.Fprintln(stdout, "\nresult: FAILED (see errors and MISMATCH above)")
	}
	return ok, nil
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// loadAverage is the system load average where the OS tells it (Linux).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
