package main

// --hostile: load on one endpoint with hostile queries mixed in; normal
// requests should keep their latency.
//
// The API is served by internal/httpapi with its DefaultConfig (limits,
// timeouts, body cap, bearer tokens, rate limits: hostile_server.go).
// Normal traffic is a few dashboards, each signed in with its own ANALYST
// token and paced like a person's browser; hostile traffic is anonymous,
// from one loopback address (or --hostile-addrs of them), and sends the
// kinds of hostile_queries.go back to back. Phase A measures the normal
// traffic alone, phase B with the hostile traffic, phase A again checks
// that the machine did not change under us; --hostile-isolate then runs
// the normal traffic with each hostile kind alone, to find which one
// costs the normal requests their latency.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hin-graph/hin-graph/internal/store"
)

// defaultHostileQueries is the normal traffic's mix unless --queries says otherwise.
var defaultHostileQueries = []string{"figure_count", "comparison", "series", "nested_page"}

// reply is what one request got.
type reply struct {
	status int
	code   string // the first error's extensions.code; "" when the response has no errors
	msg    string // the first error's message
	bytes  int
	err    error // transport error: no response
}

// send posts body, with a bearer token unless token is "", and reads the
// whole response; a tag makes the API record the request's SQL.
func send(ctx context.Context, hc *http.Client, url string, body []byte, token, tag string) reply {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return reply{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if tag != "" {
		req.Header.Set(tagHeader, tag)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, bytes: len(b)}
	if err != nil {
		r.err = err
		return r
	}
	// gqlgen writes "errors" before "data": a 200 that starts with data has none
	if resp.StatusCode == http.StatusOK && bytes.HasPrefix(b, []byte(`{"data":`)) {
		return r
	}
	var e struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &e) != nil {
		r.code, r.msg = "NOT_JSON", truncate(string(b), 120)
		return r
	}
	if len(e.Errors) > 0 {
		r.code, _ = e.Errors[0].Extensions["code"].(string)
		if r.code == "" {
			r.code = "NO_CODE"
		}
		r.msg = e.Errors[0].Message
	}
	return r
}

// label names an outcome: status and code, or what went wrong.
func (r reply) label(phaseEnded bool) string {
	switch {
	case r.err != nil && phaseEnded:
		return "cancelled at phase end"
	case r.err != nil:
		var ne net.Error
		if errors.Is(r.err, context.DeadlineExceeded) || errors.As(r.err, &ne) && ne.Timeout() {
			return "client timeout"
		}
		return "connection error"
	case r.status == http.StatusTooManyRequests:
		return "429"
	case r.code == "":
		return strconv.Itoa(r.status) + " data"
	}
	return strconv.Itoa(r.status) + " " + r.code
}

func (r reply) failed() bool { return r.err != nil || r.status != http.StatusOK || r.code != "" }

// normalStats is what the normal traffic measured in one phase.
type normalStats struct {
	requests int
	errors   int
	firstErr string
	outcomes map[string]int
	elapsed  time.Duration
	all      []time.Duration // sorted
	byQuery  map[string][]time.Duration
}

func (s *normalStats) throughput() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.requests) / s.elapsed.Seconds()
}

// kindStats is what one hostile kind got in one phase.
type kindStats struct {
	sent     int
	outcomes map[string]int
	admitted []time.Duration // latencies of the requests not refused with 429, sorted
	bytes    int64
	firstMsg map[string]string // a message per outcome, for unexpected ones
}

// record counts one normal request to query.
func (s *normalStats) record(query string, r reply, lat time.Duration) {
	s.requests++
	s.all = append(s.all, lat)
	s.byQuery[query] = append(s.byQuery[query], lat)
	if !r.failed() {
		return
	}
	s.errors++
	l := r.label(false)
	s.outcomes[l]++
	if s.firstErr == "" {
		s.firstErr = fmt.Sprintf("%s: %s", query, l)
		if r.msg != "" {
			s.firstErr += ": " + r.msg
		} else if r.err != nil {
			s.firstErr += ": " + r.err.Error()
		}
	}
}

// record counts one hostile request that ended as outcome l.
func (s *kindStats) record(r reply, l string, lat time.Duration) {
	s.sent++
	s.outcomes[l]++
	s.bytes += int64(r.bytes)
	if r.status != http.StatusTooManyRequests && r.err == nil {
		s.admitted = append(s.admitted, lat)
	}
	if _, ok := s.firstMsg[l]; !ok {
		switch {
		case r.msg != "":
			s.firstMsg[l] = r.msg
		case r.err != nil:
			s.firstMsg[l] = r.err.Error()
		}
	}
}

type phaseResult struct {
	name       string
	normal     *normalStats
	kinds      []*hostileKind
	hostile    map[string]*kindStats
	busy       float64 // machine CPU busy, 0..1
	selfCores  float64 // CPU this process (API and both clients) used, in cores
	rateRefuse int64   // requests the rate limiter refused
	liveHeap   uint64  // after the phase, after a GC
}

// hostileEnv is what every phase shares.
type hostileEnv struct {
	o       *options
	api     *prodAPI
	normal  *http.Client
	tokens  []string // one ANALYST token per dashboard worker
	queries []*benchQuery
	bodies  [][]byte
	hclient []*http.Client // per hostile source address
	seq     atomic.Int64   // hostile request counter, for unique texts
}

func newHostileEnv(o *options, api *prodAPI) (*hostileEnv, error) {
	e := &hostileEnv{o: o, api: api}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = o.Concurrency + 4
	t.MaxIdleConnsPerHost = o.Concurrency + 4
	e.normal = &http.Client{Transport: t, Timeout: 60 * time.Second}
	for i := range o.Concurrency {
		tok, err := api.token(fmt.Sprintf("hinbench-dashboard-%d", i+1))
		if err != nil {
			return nil, err
		}
		e.tokens = append(e.tokens, tok)
	}
	for _, name := range o.Queries {
		q := findQuery(name)
		e.queries = append(e.queries, q)
		e.bodies = append(e.bodies, requestBody(q))
	}
	for i := range o.HostileAddrs {
		d := &net.Dialer{Timeout: 5 * time.Second}
		if o.HostileAddrs > 1 {
			// all of 127/8 is loopback on Linux: each address is its own anonymous caller
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))}
		}
		ht := http.DefaultTransport.(*http.Transport).Clone()
		ht.DialContext = d.DialContext
		ht.MaxIdleConns = o.HostileWorkers + 2
		ht.MaxIdleConnsPerHost = o.HostileWorkers + 2
		// longer than the request timeout: the server should answer first
		e.hclient = append(e.hclient, &http.Client{Transport: ht, Timeout: prod.RequestTimeout + 5*time.Second})
	}
	return e, nil
}

// pacer spaces requests interval apart across all who call wait; a
// caller that is late is not made up for.
type pacer struct {
	mu       sync.Mutex
	next     time.Time
	interval time.Duration
}

func (p *pacer) wait(ctx context.Context) {
	if p == nil || p.interval <= 0 {
		return
	}
	p.mu.Lock()
	now := time.Now()
	t := p.next
	if t.Before(now) {
		t = now
	}
	p.next = t.Add(p.interval)
	p.mu.Unlock()
	sleepUntil(ctx, t)
}

func sleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// runPhase runs the normal traffic, and the hostile kinds if any, for d.
// Only requests started within d count. Normal requests all finish; hostile
// ones still running 5 seconds after the normal traffic has stopped are
// cancelled (counted as such), so a phase never outlasts d by more than the
// slowest normal request plus 5 seconds.
func (e *hostileEnv) runPhase(ctx context.Context, name string, kinds []*hostileKind, d time.Duration) *phaseResult {
	o := e.o
	e.api.resetLimiter()
	refused0 := e.api.rejectedRate.Load()
	cpu0 := readCPU()
	res := &phaseResult{name: name, kinds: kinds, hostile: map[string]*kindStats{}}
	ns := &normalStats{outcomes: map[string]int{}, byQuery: map[string][]time.Duration{}}
	res.normal = ns
	var mu sync.Mutex
	start := time.Now()
	deadline := start.Add(d)

	var nwg sync.WaitGroup
	for w := range o.Concurrency {
		nwg.Add(1)
		go func() {
			defer nwg.Done()
			var interval time.Duration
			if o.NormalRate > 0 {
				interval = time.Duration(float64(time.Second) / o.NormalRate)
			}
			// stagger the dashboards over one interval
			next := start.Add(interval * time.Duration(w) / time.Duration(o.Concurrency))
			for i := w; ctx.Err() == nil; i++ {
				sleepUntil(ctx, next)
				if !time.Now().Before(deadline) || ctx.Err() != nil {
					break
				}
				qi := i % len(e.queries)
				t0 := time.Now()
				r := send(ctx, e.normal, e.api.url, e.bodies[qi], e.tokens[w], "")
				lat := time.Since(t0)
				if next = next.Add(interval); next.Before(time.Now()) {
					next = time.Now() // late: no catching up in a burst
				}
				mu.Lock()
				ns.record(e.queries[qi].name, r, lat)
				mu.Unlock()
			}
		}()
	}

	hctx, hcancel := context.WithCancel(ctx)
	defer hcancel()
	var phaseEnded atomic.Bool
	var hwg sync.WaitGroup
	if len(kinds) > 0 {
		for _, k := range kinds {
			res.hostile[k.name] = &kindStats{outcomes: map[string]int{}, firstMsg: map[string]string{}}
		}
		var pace *pacer
		if o.HostileRate > 0 {
			pace = &pacer{interval: time.Duration(float64(time.Second) / o.HostileRate)}
		}
		for w := range o.HostileWorkers {
			hwg.Add(1)
			go func() {
				defer hwg.Done()
				hc := e.hclient[w%len(e.hclient)]
				for i := w; time.Now().Before(deadline) && hctx.Err() == nil; i++ {
					pace.wait(hctx)
					if !time.Now().Before(deadline) || hctx.Err() != nil {
						break
					}
					k := kinds[i%len(kinds)]
					body := k.body(e.seq.Add(1))
					t0 := time.Now()
					r := send(hctx, hc, e.api.url, body, "", "")
					lat := time.Since(t0)
					l := r.label(phaseEnded.Load())
					mu.Lock()
					res.hostile[k.name].record(r, l, lat)
					mu.Unlock()
				}
			}()
		}
	}
	nwg.Wait()
	ns.elapsed = time.Since(start)
	hdone := make(chan struct{})
	go func() { hwg.Wait(); close(hdone) }()
	select {
	case <-hdone:
	case <-time.After(5 * time.Second):
		phaseEnded.Store(true)
		hcancel()
		<-hdone
	}
	cpu1 := readCPU()
	res.busy, res.selfCores = cpu0.usage(cpu1)
	res.rateRefuse = e.api.rejectedRate.Load() - refused0
	slices.Sort(ns.all)
	for _, l := range ns.byQuery {
		slices.Sort(l)
	}
	for _, ks := range res.hostile {
		slices.Sort(ks.admitted)
	}
	e.api.rec.take("") // untagged: not wanted, only kept by the recorder
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.liveHeap = ms.HeapAlloc
	return res
}

// probe sends each hostile kind alone, one request at a time, anonymous,
// and reports what it gets and how long it takes with nothing else running.
type probeResult struct {
	kind    *hostileKind
	outcome string
	msg     string
	lat     time.Duration // median of the runs
	sql     time.Duration // time in SQL, median of the runs
	stmts   string        // SQL statements per request
	bytes   int
}

func (e *hostileEnv) probe(ctx context.Context, kinds []*hostileKind, runs int) []probeResult {
	var out []probeResult
	for _, k := range kinds {
		e.api.resetLimiter()
		var lats []time.Duration
		var last reply
		tag := "probe/" + k.name
		for range runs {
			t0 := time.Now()
			last = send(ctx, e.hclient[0], e.api.url, k.body(e.seq.Add(1)), "", tag)
			lats = append(lats, time.Since(t0))
		}
		slices.Sort(lats)
		msg := last.msg
		if last.err != nil {
			msg = last.err.Error()
		}
		st := &runStats{}
		st.addServed(e.api.rec.take(tag))
		out = append(out, probeResult{kind: k, outcome: last.label(false), msg: msg, lat: percentile(lats, 0.5),
			sql: percentile(st.sqlTimes, 0.5), stmts: fmtStmts(st), bytes: last.bytes})
	}
	return out
}

// cpuSample is the machine's CPU ticks and this process's, from /proc
// (zero where there is no /proc).
type cpuSample struct {
	total, idle, self uint64
}

func readCPU() cpuSample {
	var s cpuSample
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		for i, v := range f[1:] {
			n, _ := strconv.ParseUint(v, 10, 64)
			if i >= 8 { // guest time is already in user
				break
			}
			s.total += n
			if i == 3 || i == 4 { // idle, iowait
				s.idle += n
			}
		}
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		// the command name may hold spaces; the fields after it are fixed
		if i := bytes.LastIndexByte(b, ')'); i > 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 13 {
				u, _ := strconv.ParseUint(f[11], 10, 64) // utime
				k, _ := strconv.ParseUint(f[12], 10, 64) // stime
				s.self = u + k
			}
		}
	}
	return s
}

// usage between two samples: the machine's busy share, and this process's
// CPU in cores (both count in the same clock ticks).
func (a cpuSample) usage(b cpuSample) (busy, selfCores float64) {
	total := float64(b.total - a.total)
	if total <= 0 {
		return 0, 0
	}
	return float64((b.total-b.idle)-(a.total-a.idle)) / total, float64(b.self-a.self) / total * float64(runtime.NumCPU())
}

// measureHostile runs the --hostile phases on one bench database. It
// returns false when any normal request failed.
func measureHostile(ctx context.Context, o *options, dsn string, out, progress io.Writer) (bool, error) {
	api, err := startProdAPI(ctx, dsn, o.MaxOpenConns)
	if err != nil {
		return false, err
	}
	defer func() { _ = api.stop() }()
	e, err := newHostileEnv(o, api)
	if err != nil {
		return false, err
	}
	var kinds []*hostileKind
	for _, name := range o.HostileKinds {
		kinds = append(kinds, findHostileKind(name))
	}
	printHostileSetup(out, o, kinds)

	fmt.Fprintf(progress, "hinbench: hostile: each hostile kind alone, %d requests each\n", 3)
	probes := e.probe(ctx, kinds, 3)
	printProbes(out, probes)

	if o.Warmup > 0 {
		fmt.Fprintf(progress, "hinbench: hostile: warm-up %s\n", o.Warmup)
		e.runPhase(ctx, "warm-up", nil, o.Warmup)
	}
	var phases []*phaseResult
	run := func(name string, ks []*hostileKind) *phaseResult {
		fmt.Fprintf(progress, "hinbench: hostile: phase %s for %s\n", name, o.Duration)
		p := e.runPhase(ctx, name, ks, o.Duration)
		phases = append(phases, p)
		return p
	}
	a := run("A  normal only", nil)
	b := run(fmt.Sprintf("B  normal + %d hostile", o.HostileWorkers), kinds)
	a2 := run("A' normal only, again", nil)
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var isolated []*phaseResult
	if o.HostileIsolate {
		for _, k := range kinds {
			p := run("B1 "+k.name+" alone", []*hostileKind{k})
			isolated = append(isolated, p)
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
	}
	printHostile(out, o, a, b, a2, isolated)
	ok := true
	for _, p := range phases {
		if p.normal.errors > 0 {
			ok = false
		}
	}
	return ok, nil
}

func printHostileSetup(w io.Writer, o *options, kinds []*hostileKind) {
	rate := "back to back"
	if o.NormalRate > 0 {
		rate = fmt.Sprintf("paced at %g req/s each", o.NormalRate)
	}
	hrate := "back to back (no pause)"
	if o.HostileRate > 0 {
		hrate = fmt.Sprintf("%g req/s in all", o.HostileRate)
	}
	addrs := "one address, 127.0.0.1"
	if o.HostileAddrs > 1 {
		addrs = fmt.Sprintf("%d addresses, 127.0.0.1-%d", o.HostileAddrs, o.HostileAddrs)
	}
	fmt.Fprintf(w, "\nhostile mode: the API as a default hingraph serves it (httpapi.DefaultConfig)\n")
	fmt.Fprintf(w, "  limits:    tokens %d, depth %d, aliases %d, directives %d, cost %d; body %d bytes\n",
		prod.Limits.MaxTokens, prod.Limits.MaxDepth, prod.Limits.MaxAliases, prod.Limits.MaxDirectives, prod.Limits.MaxCost, prod.MaxBodyBytes)
	fmt.Fprintf(w, "  timeouts:  request %s, statement %s; pool %d connections\n", prod.RequestTimeout, store.DefaultStatementTimeout, o.MaxOpenConns)
	fmt.Fprintf(w, "  rates:     signed in %g req/s burst %d per subject; anonymous %g req/s burst %d per address (reset at each phase)\n",
		prod.Rate.PerSecond, prod.Rate.Burst, prod.AnonymousRate.PerSecond, prod.AnonymousRate.Burst)
	fmt.Fprintf(w, "  normal:    %d dashboards, each its own ANALYST token, %s, cycling %s\n", o.Concurrency, rate, strings.Join(o.Queries, ", "))
	fmt.Fprintf(w, "  hostile:   %d workers, anonymous, from %s, %s, cycling %d kinds: %s\n",
		o.HostileWorkers, addrs, hrate, len(kinds), strings.Join(o.HostileKinds, ", "))
	fmt.Fprintf(w, "             each query text made unique per request (a trailing comment), so the parsed-query cache does not help\n")
	fmt.Fprintf(w, "  phases:    %s each: A normal only, B normal + hostile, A' normal only again", o.Duration)
	if o.HostileIsolate {
		fmt.Fprintf(w, ", then B1 normal + each hostile kind alone")
	}
	fmt.Fprintf(w, "\n  note:      clients, API and PostgreSQL share this machine: the hostile clients' own CPU is part of the load\n")
}

func printProbes(w io.Writer, ps []probeResult) {
	fmt.Fprintf(w, "\nEach hostile kind alone (anonymous, sequential, median of 3; nothing else running)\n")
	t := &table{head: []string{"kind", "answer", "latency", "in SQL", "sql/req", "resp bytes", "expected", "message"}, leftAlso: []int{1, 6, 7}}
	for _, p := range ps {
		t.add(p.kind.name, p.outcome, fmtDur(p.lat), fmtDur(p.sql), p.stmts, strconv.Itoa(p.bytes), p.kind.expect, truncate(p.msg, 90))
	}
	t.print(w)
}

func fmtPct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

func fmtMB(b uint64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

func printHostile(w io.Writer, o *options, a, b, a2 *phaseResult, isolated []*phaseResult) {
	fmt.Fprintf(w, "\nNormal traffic by phase (latency: the request alone, sent to answered)\n")
	t := &table{head: []string{"phase", "requests", "req/s", "errors", "p50", "p99", "max", "p99/A", "CPU busy", "hinbench CPU", "429s", "live heap"}}
	row := func(p *phaseResult) {
		n := p.normal
		t.add(p.name, strconv.Itoa(n.requests), fmt.Sprintf("%.1f", n.throughput()), strconv.Itoa(n.errors),
			fmtDur(percentile(n.all, 0.5)), fmtDur(percentile(n.all, 0.99)), fmtDur(percentile(n.all, 1)),
			fmtRatio(float64(percentile(n.all, 0.99)), float64(percentile(a.normal.all, 0.99))),
			fmtPct(p.busy), fmt.Sprintf("%.2f cores", p.selfCores), strconv.FormatInt(p.rateRefuse, 10), fmtMB(p.liveHeap))
	}
	for _, p := range []*phaseResult{a, b, a2} {
		row(p)
	}
	t.print(w)
	fmt.Fprintf(w, "  CPU busy: the whole machine; hinbench CPU: this process (API, dashboards and attackers); 429s: refused by the rate limiter\n")

	fmt.Fprintf(w, "\nNormal p50 / p99 by query, A vs B\n")
	q := &table{head: []string{"query", "n A", "n B", "p50 A", "p50 B", "B/A", "p99 A", "p99 B", "B/A"}}
	for _, name := range o.Queries {
		la, lb := a.normal.byQuery[name], b.normal.byQuery[name]
		q.add(name, strconv.Itoa(len(la)), strconv.Itoa(len(lb)),
			fmtDur(percentile(la, 0.5)), fmtDur(percentile(lb, 0.5)), fmtRatio(float64(percentile(lb, 0.5)), float64(percentile(la, 0.5))),
			fmtDur(percentile(la, 0.99)), fmtDur(percentile(lb, 0.99)), fmtRatio(float64(percentile(lb, 0.99)), float64(percentile(la, 0.99))))
	}
	q.print(w)

	fmt.Fprintf(w, "\nHostile outcomes in phase B (latency of the requests not refused with 429)\n")
	printKinds(w, b)

	if len(isolated) > 0 {
		fmt.Fprintf(w, "\nNormal traffic with each hostile kind alone (%d workers of the one kind)\n", o.HostileWorkers)
		it := &table{head: []string{"hostile kind", "normal n", "errors", "p50", "p99", "p99/A", "CPU busy", "sent", "admitted", "admitted p50", "admitted max", "answers"}}
		for _, p := range isolated {
			k := p.kinds[0]
			ks := p.hostile[k.name]
			n := p.normal
			it.add(k.name, strconv.Itoa(n.requests), strconv.Itoa(n.errors), fmtDur(percentile(n.all, 0.5)), fmtDur(percentile(n.all, 0.99)),
				fmtRatio(float64(percentile(n.all, 0.99)), float64(percentile(a.normal.all, 0.99))), fmtPct(p.busy),
				strconv.Itoa(ks.sent), strconv.Itoa(len(ks.admitted)), fmtDur(percentile(ks.admitted, 0.5)), fmtDur(percentile(ks.admitted, 1)),
				fmtOutcomes(ks.outcomes, 3))
		}
		it.leftAlso = []int{11}
		it.print(w)
	}

	for _, p := range append([]*phaseResult{a, b, a2}, isolated...) {
		if p.normal.errors > 0 {
			fmt.Fprintf(w, "  %s: %d normal requests failed (%s); first: %s\n", p.name, p.normal.errors, fmtOutcomes(p.normal.outcomes, 5), p.normal.firstErr)
		}
	}
	pa, pb := percentile(a.normal.all, 0.99), percentile(b.normal.all, 0.99)
	fmt.Fprintf(w, "\nnormal p99: A %s, B %s (%s); p50: A %s, B %s (%s); A' p99 %s\n",
		fmtDur(pa), fmtDur(pb), fmtRatio(float64(pb), float64(pa)),
		fmtDur(percentile(a.normal.all, 0.5)), fmtDur(percentile(b.normal.all, 0.5)),
		fmtRatio(float64(percentile(b.normal.all, 0.5)), float64(percentile(a.normal.all, 0.5))), fmtDur(percentile(a2.normal.all, 0.99)))
	if pa > 0 && float64(pb) > 3*float64(pa) {
		fmt.Fprintf(w, "WARNING: normal p99 under hostile load is more than 3x the baseline; rerun with --hostile-isolate to find the kind responsible\n")
	}
}

func printKinds(w io.Writer, p *phaseResult) {
	t := &table{head: []string{"kind", "sent", "admitted", "p50", "p99", "max", "avg resp bytes", "answers"}, leftAlso: []int{7}}
	var notes []string
	for _, k := range p.kinds {
		ks := p.hostile[k.name]
		avg := int64(0)
		if ks.sent > 0 {
			avg = ks.bytes / int64(ks.sent)
		}
		t.add(k.name, strconv.Itoa(ks.sent), strconv.Itoa(len(ks.admitted)), fmtDur(percentile(ks.admitted, 0.5)),
			fmtDur(percentile(ks.admitted, 0.99)), fmtDur(percentile(ks.admitted, 1)), strconv.FormatInt(avg, 10), fmtOutcomes(ks.outcomes, 0))
		for l, m := range ks.firstMsg {
			if l != "429" {
				notes = append(notes, fmt.Sprintf("  %s, %s: %s", k.name, l, truncate(m, 160)))
			}
		}
	}
	t.print(w)
	sort.Strings(notes)
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

// fmtOutcomes lists outcomes by count, most first; keep > 0 lists only that many.
func fmtOutcomes(m map[string]int, keep int) string {
	type oc struct {
		l string
		n int
	}
	var l []oc
	for k, v := range m {
		l = append(l, oc{k, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].n > l[j].n || l[i].n == l[j].n && l[i].l < l[j].l })
	var parts []string
	for i, x := range l {
		if keep > 0 && i == keep {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, fmt.Sprintf("%s x%d", x.l, x.n))
	}
	return strings.Join(parts, ", ")
}
