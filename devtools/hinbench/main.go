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
// It has three modes, one subcommand each (queries, the default; hostile;
// peer), each defined in its own mode_*.go file with its flags. The old
// spellings --hostile and --peer still choose the last two.
//
// hostile instead serves the API with hingraph's default limits,
// timeouts and rate limits, and measures a few signed-in dashboards alone
// and then with anonymous hostile requests mixed in (hostile.go); it exits
// non-zero when any normal request fails.
//
//	DATABASE_URL=postgres://... go run ./devtools/hinbench hostile --scales 10 --duration 10s
//
// peer instead runs the built hingraph and PostGraphile V5 (from
// bench/postgraphile, installed with npm ci) over the same database, checks
// that they answer a nested page, a list page and a lookup with the same
// rows, and loads them in interleaved rounds (peer.go); make bench-peer.
//
//	DATABASE_URL=postgres://... go run ./devtools/hinbench peer --scales 10
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
	"slices"
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
	Mode         *mode
	// hostile
	HostileWorkers int
	HostileKinds   []string
	HostileAddrs   int
	HostileRate    float64
	HostileIsolate bool
	NormalRate     float64
	// peer
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

// mode is one of hinbench's benchmarks, chosen by the subcommand.
type mode struct {
	name, summary string
	// flags registers the mode's own flags; check sets the mode's defaults
	// for the flags not given (set names those given) and checks them.
	flags func(fs *flag.FlagSet, o *options)
	check func(o *options, set map[string]bool) error
	// header describes the run; measure runs one scale's database; verdict
	// prints the result of every scale and says whether the run passed.
	header  func(w io.Writer, o *options)
	measure func(ctx context.Context, o *options, dsn string, res *scaleResult, out, progress io.Writer) error
	verdict func(w io.Writer, o *options, ok bool, all []*scaleResult) bool
}

var modes = []*mode{queriesMode, hostileMode, peerMode}

// judged adapts the measure of a mode that judges each scale itself.
func judged(m func(ctx context.Context, o *options, dsn string, out, progress io.Writer) (bool, error)) func(context.Context, *options, string, *scaleResult, io.Writer, io.Writer) error {
	return func(ctx context.Context, o *options, dsn string, res *scaleResult, out, progress io.Writer) error {
		ok, err := m(ctx, o, dsn, out, progress)
		res.failed = !ok
		return err
	}
}

// result is a verdict that prints the run's result line.
func result(pass, fail string) func(io.Writer, *options, bool, []*scaleResult) bool {
	return func(w io.Writer, _ *options, ok bool, _ []*scaleResult) bool {
		if ok {
			fmt.Fprintf(w, "\nresult: OK (%s)\n", pass)
		} else {
			fmt.Fprintf(w, "\nresult: FAILED (%s)\n", fail)
		}
		return ok
	}
}

// chooseMode takes the subcommand, or the old --hostile or --peer flag,
// off the arguments.
func chooseMode(args []string) (*mode, []string) {
	if len(args) > 0 {
		for _, m := range modes {
			if args[0] == m.name {
				return m, args[1:]
			}
		}
	}
	for i, a := range args {
		if a == "--" {
			break
		}
		for _, m := range modes[1:] {
			if a == "--"+m.name || a == "-"+m.name || a == "--"+m.name+"=true" {
				return m, append(slices.Clone(args[:i]), args[i+1:]...)
			}
		}
	}
	return queriesMode, args
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	o.Mode, args = chooseMode(args)
	fs := flag.NewFlagSet("hinbench "+o.Mode.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: hinbench [%s] [flags]\n", strings.Join(modeNames(), "|"))
		for _, m := range modes {
			fmt.Fprintf(stderr, "  %-8s %s\n", m.name, m.summary)
		}
		fmt.Fprintf(stderr, "flags of %s:\n", o.Mode.name)
		fs.PrintDefaults()
	}
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
	o.Mode.flags(fs, o)
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
	if err := o.Mode.check(o, set); err != nil {
		return nil, err
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

func modeNames() []string {
	var names []string
	for _, m := range modes {
		names = append(names, m.name)
	}
	return names
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
	stopProfiles, err := startProfiles(o)
	if err != nil {
		return false, err
	}
	defer stopProfiles()
	fmt.Fprintf(stdout, "hinbench  %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(stdout, "machine:     %d cores (GOMAXPROCS %d), %s/%s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(stdout, "postgres:    %s\n", pgVersion)
	if la := loadAverage(); la != "" {
		// other work on the machine skews every number below; say how busy it was
		fmt.Fprintf(stdout, "load avg:    %s at start (1, 5, 15 min)\n", la)
	}
	o.Mode.header(stdout, o)

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
	return o.Mode.verdict(stdout, o, ok, all), nil
}

// startProfiles starts the CPU profile and arranges the allocation
// profile; the API runs in this process, so they cover the server's side.
func startProfiles(o *options) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return stop, err
		}
		stops = append(stops, func() { f.Close() })
		if err := pprof.StartCPUProfile(f); err != nil {
			stop()
			return func() {}, err
		}
		stops = append(stops, pprof.StopCPUProfile)
	}
	if o.MemProfile != "" {
		stops = append(stops, func() {
			if f, err := os.Create(o.MemProfile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		})
	}
	return stop, nil
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
