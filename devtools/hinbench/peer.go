package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/devtools/internal/devserver"
)

// --peer: hin-graph against PostGraphile V5 on the same database.
//
// Both servers run as processes of their own (the built `hingraph serve`,
// and `node bench/postgraphile/server.mjs` from the pinned npm package), so
// each one's resident memory is its own. Before anything is timed, each
// shape is sent to both and the answers must hold the same rows. Then, in
// every round, each shape loads each server in turn (the order alternating
// from round to round) at the same concurrency, so both meet the same
// background load of a shared machine and the ratio within a round means
// something even when absolute numbers wander.

// peerProc is a server process started for the run.
type peerProc struct {
	*devserver.Proc
	name    string
	url     string // the GraphQL endpoint
	token   string // hin-graph: an ANALYST's bearer token
	metrics string // hin-graph's Prometheus endpoint; "" for PostGraphile
	logPath string
	logFile *os.File
}

func startProc(ctx context.Context, name, logPath string, env []string, argv []string, url, metrics string, ready func(context.Context) bool) (*peerProc, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p, err := devserver.Start(ctx, devserver.Spec{Name: name, Argv: argv, Env: env, Log: lf, Ready: ready,
		Within: 90 * time.Second, Poll: 200 * time.Millisecond, LogHint: "; see " + logPath})
	if err != nil {
		lf.Close()
		return nil, err
	}
	return &peerProc{Proc: p, name: name, url: url, metrics: metrics, logPath: logPath, logFile: lf}, nil
}

func (p *peerProc) stop() {
	p.Stop(10 * time.Second)
	p.logFile.Close()
}

// procStatus reads a field of /proc/<pid>/status in kB (VmHWM: peak
// resident memory; VmRSS: current). 0 where there is no /proc.
func (p *peerProc) procStatus(field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// mallocs reads hin-graph's count of heap allocations so far from its
// metrics listener (the Go collector's go_memstats_mallocs_total).
func (p *peerProc) mallocs(ctx context.Context) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metrics, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_mallocs_total "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, errors.New("no go_memstats_mallocs_total in the metrics")
}

func answers(ctx context.Context, url, token string, body []byte) bool {
	c := newClient(url, 1)
	if token != "" {
		c.authorization = "Bearer " + token
	}
	_, err := c.post(ctx, body, "ready", false)
	return err == nil
}

func startHingraph(ctx context.Context, o *options, dsn, dir string) (*peerProc, error) {
	bin := o.PeerHingraph
	if bin == "" {
		var err error
		if bin, err = devserver.Build(ctx, "", dir); err != nil {
			return nil, fmt.Errorf("%w (run from the repository, or pass --peer-hingraph)", err)
		}
	}
	port, err := devserver.FreePort()
	if err != nil {
		return nil, err
	}
	mport, err := devserver.FreePort()
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/graphql", port)
	// The client signs in as an ANALYST, who sees drafts as PostGraphile
	// (no row security here) does, so both answer with the same rows. The
	// serving defaults stay, except the per-caller rate, in-flight and cost
	// limits, which one client sending back to back would meet.
	secret := "hinbench-peer-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-0123456789abcdef"
	tok, err := devserver.Token(ctx, bin, secret, "ANALYST", "hinbench", 12*time.Hour)
	if err != nil {
		return nil, err
	}
	argv := []string{bin, "serve", "--database-url", dsn, "--jwt-secret", secret,
		"--addr", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", mport),
		"--log-level", "warn", "--rate", "0", "--max-in-flight", "0", "--max-cost", "0"}
	body := gqlBody(`{ regions { code } }`, nil)
	p, err := startProc(ctx, "hin-graph", filepath.Join(dir, "hingraph.log"), nil, argv, url,
		fmt.Sprintf("http://127.0.0.1:%d/metrics", mport), func(ctx context.Context) bool { return answers(ctx, url, "", body) })
	if p != nil {
		p.token = tok
	}
	return p, err
}

func startPostGraphile(ctx context.Context, o *options, dsn, dir string) (*peerProc, error) {
	script := filepath.Join(o.PeerDir, "server.mjs")
	if _, err := os.Stat(filepath.Join(o.PeerDir, "node_modules", "postgraphile")); err != nil {
		return nil, fmt.Errorf("PostGraphile is not installed in %s; run `npm ci` there (make bench-peer does)", o.PeerDir)
	}
	port, err := devserver.FreePort()
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/graphql", port)
	body := gqlBody(`{ allRegions { totalCount } }`, nil)
	// PostGraphile 5 needs Node.js 22 or newer; the package pins one
	node := filepath.Join(o.PeerDir, "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		node = "node"
	}
	return startProc(ctx, "PostGraphile", filepath.Join(dir, "postgraphile.log"), []string{"NODE_ENV=production"},
		[]string{node, script, dsn, strconv.Itoa(port)}, url, "", func(ctx context.Context) bool { return answers(ctx, url, "", body) })
}

// peerRound is one load phase of one shape on one server.
type peerRound struct {
	stats   *runStats
	mallocs float64 // hin-graph: heap allocations during the phase
}

type peerResult struct {
	shape      *peerShape
	rows       int
	bytes      [2]int // response size, hin-graph and PostGraphile
	hin, pg    []peerRound
	hinSingle  *runStats
	pgSingle   *runStats
	mismatched string
}

func measurePeer(ctx context.Context, o *options, dsn string, out, progress io.Writer) (bool, error) {
	db, err := openDB(dsn)
	if err != nil {
		return false, err
	}
	defer db.Close()
	// PostGraphile V5 follows a foreign key only where an index starts with
	// its columns; outcome_by_pilot is partial, which does not count
	if _, err := db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS hinbench_outcome_pilot ON outcome (pilot_id)`); err != nil {
		return false, fmt.Errorf("index for PostGraphile: %w", err)
	}
	params := &peerParams{}
	// an innovation in the middle of the name order, with a lead region
	if err := db.QueryRowContext(ctx, `SELECT id::text FROM innovation WHERE lead_region_id IS NOT NULL AND archived_at IS NULL
		ORDER BY name, id OFFSET (SELECT count(*) / 2 FROM innovation) LIMIT 1`).Scan(&params.innovationID); err != nil {
		return false, fmt.Errorf("pick an innovation: %w", err)
	}
	dir, err := os.MkdirTemp("", "hinbench-peer-")
	if err != nil {
		return false, err
	}
	hg, err := startHingraph(ctx, o, dsn, dir)
	if err != nil {
		return false, err
	}
	defer hg.stop()
	pg, err := startPostGraphile(ctx, o, dsn, dir)
	if err != nil {
		return false, err
	}
	defer pg.stop()
	fmt.Fprintf(out, "servers:     hin-graph %s (pid %d), PostGraphile %s (pid %d); logs in %s\n", hg.url, hg.Pid(), pg.url, pg.Pid(), dir)

	hc, pc := newClient(hg.url, o.Concurrency), newClient(pg.url, o.Concurrency)
	hc.authorization = "Bearer " + hg.token
	results, ok, err := comparePeers(ctx, o.PeerShapes, params, hc, pc)
	if err != nil {
		return false, err
	}
	for _, r := range results {
		if r.mismatched != "" {
			fmt.Fprintf(out, "MISMATCH %s: %s\n", r.shape.name, r.mismatched)
		}
	}
	if !ok {
		return false, nil
	}
	fmt.Fprintf(out, "rows:        each shape's answers are equal on both servers (objects compared: %s)\n", rowCounts(results))

	// PostGraphile runs on V8, whose JIT needs a while to settle; measure
	// both servers warm
	fmt.Fprintf(progress, "hinbench: peer warm-up, %s per shape and server\n", o.PeerWarmup)
	for _, r := range results {
		load(ctx, hc, r.shape.hin(params), "warmup", o.Concurrency, o.PeerWarmup)
		load(ctx, pc, r.shape.pg(params), "warmup", o.Concurrency, o.PeerWarmup)
	}
	for round := 1; round <= o.PeerRounds; round++ {
		fmt.Fprintf(progress, "hinbench: peer round %d of %d\n", round, o.PeerRounds)
		for _, r := range results {
			hinFirst := round%2 == 1
			for i := range 2 {
				onHin := (i == 0) == hinFirst
				if onHin {
					body := r.shape.hin(params)
					warmup(ctx, o, hc, body)
					before, err := hg.mallocs(ctx)
					if err != nil {
						return false, err
					}
					st := load(ctx, hc, body, "load", o.Concurrency, o.Duration)
					after, err := hg.mallocs(ctx)
					if err != nil {
						return false, err
					}
					r.hin = append(r.hin, peerRound{stats: st, mallocs: after - before})
				} else {
					body := r.shape.pg(params)
					warmup(ctx, o, pc, body)
					r.pg = append(r.pg, peerRound{stats: load(ctx, pc, body, "load", o.Concurrency, o.Duration)})
				}
			}
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
	}
	// one request at a time: the cost of a request without queueing
	for _, r := range results {
		r.hinSingle, _ = sequential(ctx, hc, r.shape.hin(params), "single", o.SeqRequests)
		r.pgSingle, _ = sequential(ctx, pc, r.shape.pg(params), "single", o.SeqRequests)
	}
	printPeer(out, o, results, [2]int64{hg.procStatus("VmHWM"), pg.procStatus("VmHWM")})
	for _, r := range results {
		for _, rs := range append(append([]peerRound{}, r.hin...), r.pg...) {
			if rs.stats.errors > 0 {
				fmt.Fprintf(out, "ERRORS %s: %d failed requests, first: %s\n", r.shape.name, rs.stats.errors, rs.stats.firstErr)
				ok = false
			}
		}
	}
	return ok, nil
}

// comparePeers asks both servers each shape once and compares their rows.
func comparePeers(ctx context.Context, shapes []string, params *peerParams, hc, pc *client) ([]*peerResult, bool, error) {
	var results []*peerResult
	ok := true
	for _, name := range shapes {
		s := findPeerShape(name)
		r := &peerResult{shape: s}
		results = append(results, r)
		hb, err := hc.post(ctx, s.hin(params), "check", false)
		if err != nil {
			return nil, false, fmt.Errorf("%s: hin-graph: %w", s.name, err)
		}
		pb, err := pc.post(ctx, s.pg(params), "check", false)
		if err != nil {
			return nil, false, fmt.Errorf("%s: PostGraphile: %w", s.name, err)
		}
		hn, err := normalise(hb, false)
		if err != nil {
			return nil, false, fmt.Errorf("%s: hin-graph: %w", s.name, err)
		}
		pn, err := normalise(pb, true)
		if err != nil {
			return nil, false, fmt.Errorf("%s: PostGraphile: %w", s.name, err)
		}
		r.rows, r.bytes = countRows(hn), [2]int{len(hb), len(pb)}
		if hn != pn {
			r.mismatched = firstDifference(hn, pn)
			ok = false
		}
	}
	return results, ok, nil
}

func warmup(ctx context.Context, o *options, c *client, body []byte) {
	if o.Warmup > 0 {
		load(ctx, c, body, "warmup", o.Concurrency, o.Warmup)
	}
}

func rowCounts(rs []*peerResult) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%s %d", r.shape.name, r.rows))
	}
	return strings.Join(s, ", ")
}

// merged is every latency of a server's rounds, for p50 and p99.
func merged(rounds []peerRound) (*runStats, []float64) {
	all := &runStats{}
	var rps []float64
	for _, r := range rounds {
		all.latencies = append(all.latencies, r.stats.latencies...)
		all.requests += r.stats.requests
		all.elapsed += r.stats.elapsed
		all.errors += r.stats.errors
		rps = append(rps, r.stats.throughput())
	}
	slices.Sort(all.latencies)
	return all, rps
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRange(xs []float64, format string) string {
	if len(xs) == 0 {
		return "-"
	}
	return fmt.Sprintf(format+"–"+format, slices.Min(xs), slices.Max(xs))
}

func printPeer(w io.Writer, o *options, rs []*peerResult, peakKB [2]int64) {
	fmt.Fprintf(w, "\nafter %s of warm-up per shape and server, %d interleaved rounds; each: %s warm-up then %s closed-loop at concurrency %d, per shape and server\n",
		o.PeerWarmup, o.PeerRounds, o.Warmup, o.Duration, o.Concurrency)
	t := &table{head: []string{"shape", "hin-graph req/s", "V5 req/s", "hin/V5 (median, range)", "hin p50/p99", "V5 p50/p99", "single hin/V5 p50", "allocs/req (hin)", "KB hin/V5"}}
	for _, r := range rs {
		h, hrps := merged(r.hin)
		p, prps := merged(r.pg)
		var ratios []float64
		var allocs float64
		for i := range min(len(r.hin), len(r.pg)) {
			if prps[i] > 0 {
				ratios = append(ratios, hrps[i]/prps[i])
			}
			allocs += r.hin[i].mallocs
		}
		perReq := "-"
		if h.requests > 0 {
			perReq = fmt.Sprintf("%.0f", allocs/float64(h.requests))
		}
		t.add(r.shape.name,
			fmt.Sprintf("%.1f (%s)", median(hrps), fmtRange(hrps, "%.1f")),
			fmt.Sprintf("%.1f (%s)", median(prps), fmtRange(prps, "%.1f")),
			fmt.Sprintf("%.2fx (%s)", median(ratios), fmtRange(ratios, "%.2f")),
			fmtDur(h.p(0.5))+" / "+fmtDur(h.p(0.99)),
			fmtDur(p.p(0.5))+" / "+fmtDur(p.p(0.99)),
			fmtDur(r.hinSingle.p(0.5))+" / "+fmtDur(r.pgSingle.p(0.5)),
			perReq,
			fmt.Sprintf("%d / %d", r.bytes[0]/1024, r.bytes[1]/1024))
	}
	t.print(w)
	for _, r := range rs {
		fmt.Fprintf(w, "  %s: %s\n", r.shape.name, r.shape.what)
	}
	fmt.Fprintf(w, "peak RSS:    hin-graph %d MB, PostGraphile %d MB (VmHWM at the end of the run)\n", peakKB[0]/1024, peakKB[1]/1024)
	if la := loadAverage(); la != "" {
		fmt.Fprintf(w, "load avg:    %s at the end (1, 5, 15 min)\n", la)
	}
}
