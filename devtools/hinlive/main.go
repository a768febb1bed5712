// Command hinlive measures live updates: how long a published write takes
// to reach subscribers (the dashboard case: 10,000 of them on one figure),
// what open subscriptions cost in memory, and the CPU a 5,000-row return
// costs the process that serves them.
//
// It loads demo data into a database hinlive on the server of DATABASE_URL,
// starts two hingraph processes on it (subscribers on one, writes through
// the other, as in a deployment with replicas), opens --subscriptions
// WebSockets to the first, each a figureUpdated subscription of its own
// caller, then publishes returns through the second.
//
//	make live-bench                      (scripts/with-postgres.sh, then this)
//	DATABASE_URL=postgres://... go run ./devtools/hinlive --subscriptions 10000 --writes 30
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	_ "github.com/lib/pq"

	"github.com/hin-graph/hin-graph/devtools/internal/devserver"
	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
)

type options struct {
	databaseURL   string
	hingraph      string
	subscriptions int
	writes        int
	burstRows     int
	scale         int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "hinlive:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	o := options{}
	fs := flag.NewFlagSet("hinlive", flag.ContinueOnError)
	fs.StringVar(&o.databaseURL, "database-url", getenv("DATABASE_URL"), "PostgreSQL URL of a role that may create databases (env DATABASE_URL)")
	fs.StringVar(&o.hingraph, "hingraph", "bin/hingraph", "the server binary to start (make build)")
	fs.IntVar(&o.subscriptions, "subscriptions", 10000, "open subscriptions, each on its own WebSocket and token (identical, so they share one run)")
	fs.IntVar(&o.writes, "writes", 30, "single-row returns published, one at a time, for the delay figures")
	fs.IntVar(&o.burstRows, "burst-rows", 5000, "rows of the return published for the CPU figure")
	fs.IntVar(&o.scale, "scale", 1, "demo data scale")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.databaseURL == "" {
		return errors.New("set DATABASE_URL (make live-bench starts a local PostgreSQL)")
	}
	dsn, err := prepare(ctx, o, out)
	if err != nil {
		return err
	}
	secret := []byte("hinlive-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-0123456789abcdefghijklmnop")
	subs, err := startServer(ctx, o.hingraph, dsn, secret)
	if err != nil {
		return err
	}
	defer subs.stop()
	// the burst's return, a row per day and programme, is over the default body limit
	writes, err := startServer(ctx, o.hingraph, dsn, secret, "--max-body-bytes", "16777216")
	if err != nil {
		return err
	}
	defer writes.stop()
	editor, err := auth.Mint(auth.MintConfig{Secret: secret, Subject: "hinlive-editor", Role: "REGION_EDITOR", RegionCode: "UCLP", TTL: time.Hour})
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "servers:       subscribers on %s (pid %d), writes through %s (pid %d)\n", subs.base, subs.Pid(), writes.base, writes.Pid())
	time.Sleep(time.Second)
	rssBefore := rss(subs.Pid())
	clients, err := openSubscriptions(ctx, subs.base, secret, o.subscriptions)
	defer func() {
		for _, c := range clients {
			c.conn.CloseNow()
		}
	}()
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the server settle
	rssAfter := rss(subs.Pid())
	perK := float64(rssAfter-rssBefore) / float64(o.subscriptions) * 1000
	fmt.Fprintf(out, "subscriptions: %d open; server RSS %.1f MB before, %.1f MB after: %.1f MB per 1,000\n",
		o.subscriptions, mb(rssBefore), mb(rssAfter), mb(int64(perK)))

	// delay: from the write's acknowledgement to each subscriber's update
	var delays, perWrite []time.Duration
	for i := range o.writes {
		drain(clients)
		ack, err := publish(ctx, writes.base, editor, i, 1, nil)
		if err != nil {
			return err
		}
		got, missing := collect(clients, ack, 10*time.Second)
		if missing > 0 {
			return fmt.Errorf("write %d: %d subscribers got no update within 10 s", i, missing)
		}
		delays = append(delays, got...)
		slices.Sort(got)
		perWrite = append(perWrite, pct(got, 0.99))
		time.Sleep(300 * time.Millisecond)
	}
	slices.Sort(delays)
	slices.Sort(perWrite)
	fmt.Fprintf(out, "delay:         write acknowledged -> update received, %d writes x %d subscribers: p50 %s, p99 %s, max %s\n",
		o.writes, o.subscriptions, pct(delays, 0.50), pct(delays, 0.99), delays[len(delays)-1].Round(time.Millisecond))
	fmt.Fprintf(out, "               each write's own p99: best %s, median %s, worst %s\n",
		perWrite[0], pct(perWrite, 0.5), perWrite[len(perWrite)-1])

	// a burst: one return of burstRows rows
	programmes, err := programmeIDs(ctx, writes.base)
	if err != nil {
		return err
	}
	drain(clients)
	cpu0, t0 := cpuTime(subs.Pid()), time.Now()
	ack, err := publish(ctx, writes.base, editor, o.writes, o.burstRows, programmes)
	if err != nil {
		return err
	}
	got, missing := collect(clients, ack, 20*time.Second)
	cpu1, wall := cpuTime(subs.Pid()), time.Since(t0)
	time.Sleep(time.Second)
	extra := 0
	for _, c := range clients {
		extra += len(c.updates)
	}
	slices.Sort(got)
	fmt.Fprintf(out, "burst:         a %d-row return took %s to acknowledge; %d subscribers updated (p50 %s, p99 %s after the ack), %d missing, %d extra updates\n",
		o.burstRows, ack.Sub(t0).Round(time.Millisecond), len(got), pct(got, 0.5), pct(got, 0.99), missing, extra)
	fmt.Fprintf(out, "cpu:           subscriber process used %s of CPU over %s from the write to the last update (%.2f cores on average)\n",
		(cpu1 - cpu0).Round(time.Millisecond), wall.Round(time.Millisecond), (cpu1-cpu0).Seconds()/wall.Seconds())
	if missing > 0 || extra > 0 {
		return fmt.Errorf("the burst gave %d missing and %d extra updates; each subscriber should get exactly one", missing, extra)
	}
	return nil
}

// prepare makes the database hinlive with demo data, reusing it when its
// seed is already the one asked for.
func prepare(ctx context.Context, o options, out io.Writer) (string, error) {
	u, err := url.Parse(o.databaseURL)
	if err != nil {
		return "", fmt.Errorf("database url: %w", err)
	}
	admin, err := sql.Open("postgres", o.databaseURL)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'hinlive')`).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE hinlive`); err != nil {
			return "", err
		}
	}
	u.Path = "/hinlive"
	dsn := u.String()
	s, err := store.Open(ctx, store.Config{URL: dsn, MaxOpenConns: 2})
	if err != nil {
		return "", err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return "", err
	}
	size := seed.Scale(o.scale)
	want := seed.Fingerprint(&size)
	if have, err := s.SeedFingerprint(ctx); err != nil {
		return "", err
	} else if have != want {
		start := time.Now()
		if err := s.ReplaceAll(ctx, seed.Build(&size), want); err != nil {
			return "", err
		}
		fmt.Fprintf(out, "database:      hinlive seeded in %s\n", time.Since(start).Round(100*time.Millisecond))
	}
	return dsn, nil
}

type server struct {
	*devserver.Proc
	base string
	log  bytes.Buffer
}

func startServer(ctx context.Context, bin, dsn string, secret []byte, flags ...string) (*server, error) {
	port, err := devserver.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := &server{base: "http://" + addr}
	s.Proc, err = devserver.Start(ctx, devserver.Spec{
		Name:   bin,
		Argv:   append([]string{bin, "serve", "--addr", addr, "--metrics-addr", "", "--log-level", "warn"}, flags...),
		Env:    []string{"DATABASE_URL=" + dsn, "HINGRAPH_JWT_SECRET=" + string(secret)},
		Log:    &s.log,
		Ready:  devserver.Readyz(s.base),
		Within: 10 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("the server at %s did not come up: %w\n%s", s.base, err, s.log.String())
	}
	return s, nil
}

func (s *server) stop() { s.Stop(10 * time.Second) }

const subscription = `subscription { figureUpdated(metrics: ["patients_benefiting"], window: {financialYear: "FY2024-25"}) { value outcomeCount coverage { reportingCount } } }`

type subscriber struct {
	conn    *websocket.Conn
	updates chan time.Time
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// openSubscriptions opens n WebSockets, each with a token of its own caller
// (the per-caller cap stays in force), 50 at a time.
func openSubscriptions(ctx context.Context, base string, secret []byte, n int) ([]*subscriber, error) {
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/graphql"
	out := make([]*subscriber, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = openOne(ctx, wsURL, secret, i)
		}()
	}
	wg.Wait()
	var live []*subscriber
	for _, s := range out {
		if s != nil {
			live = append(live, s)
		}
	}
	return live, errors.Join(errs...)
}

func openOne(ctx context.Context, wsURL string, secret []byte, i int) (*subscriber, error) {
	token, err := auth.Mint(auth.MintConfig{Secret: secret, Subject: fmt.Sprintf("hinlive-dashboard-%d", i), Role: "ANALYST", TTL: time.Hour})
	if err != nil {
		return nil, err
	}
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPHeader:   http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		return nil, fmt.Errorf("subscriber %d: %w", i, err)
	}
	if err := wsjson.Write(ctx, c, wsMessage{Type: "connection_init"}); err != nil {
		return nil, err
	}
	var ack wsMessage
	if err := wsjson.Read(ctx, c, &ack); err != nil || ack.Type != "connection_ack" {
		return nil, fmt.Errorf("subscriber %d: no connection_ack (%v)", i, err)
	}
	payload, _ := json.Marshal(map[string]string{"query": subscription})
	if err := wsjson.Write(ctx, c, wsMessage{ID: "1", Type: "subscribe", Payload: payload}); err != nil {
		return nil, err
	}
	s := &subscriber{conn: c, updates: make(chan time.Time, 100)}
	go func() {
		for {
			var m wsMessage
			if err := wsjson.Read(context.Background(), c, &m); err != nil {
				return
			}
			switch m.Type {
			case "ping":
				_ = wsjson.Write(context.Background(), c, wsMessage{Type: "pong"})
			case "next":
				s.updates <- time.Now()
			case "error", "complete":
				fmt.Fprintf(os.Stderr, "subscriber %d: %s %s\n", i, m.Type, m.Payload)
				return
			}
		}
	}()
	return s, nil
}

// runOffset makes each run's values differ from the last run's, whose
// figures the reused database still holds: a write equal to them would
// move no figure.
var runOffset = int(time.Now().UnixMilli() % 997)

// publish sends a published return of rows rows for UCLP and returns the
// moment the server acknowledged it. One row is a month's figure; a larger
// return holds one figure per day of FY2024-25 for each programme of
// programmes in turn (a key may appear once in a return, and the demo
// data reports programmes only with an innovation, so these clash with
// none of its figures).
func publish(ctx context.Context, base, token string, i, rows int, programmes []string) (time.Time, error) {
	month := 4 + i%9
	start := time.Date(2024, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, -1)
	if rows > 1 && rows > 365*len(programmes) {
		return time.Time{}, fmt.Errorf("a return of %d rows needs %d programmes; the database has %d", rows, (rows+364)/365, len(programmes))
	}
	rs := make([]map[string]any, rows)
	for r := range rs {
		// a figure may be published already: restating it needs a reason
		rs[r] = map[string]any{"metricCode": "patients_benefiting", "value": 1 + (runOffset+i+r)%997, "reason": "hinlive restates it"}
		if rows > 1 {
			day := time.Date(2024, time.April, 1+r%365, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			rs[r]["periodStart"], rs[r]["periodEnd"], rs[r]["programmeId"] = day, day, programmes[r/365]
		}
	}
	body, _ := json.Marshal(map[string]any{
		"query": `mutation($input: ReturnInput!) { submitReturn(input: $input) { id } }`,
		"variables": map[string]any{"input": map[string]any{
			"regionCode": "UCLP", "periodStart": start.Format(time.DateOnly), "periodEnd": end.Format(time.DateOnly),
			"status": "PUBLISHED", "source": "hinlive", "rows": rs,
		}},
	})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer res.Body.Close()
	var reply struct{ Errors []json.RawMessage }
	if err := json.NewDecoder(res.Body).Decode(&reply); err != nil || len(reply.Errors) > 0 {
		first := ""
		if len(reply.Errors) > 0 {
			first = string(reply.Errors[0][:min(len(reply.Errors[0]), 500)])
		}
		return time.Time{}, fmt.Errorf("publish: status %d, %v %s", res.StatusCode, err, first)
	}
	return time.Now(), nil
}

// programmeIDs reads the IDs of up to 50 programmes.
func programmeIDs(ctx context.Context, base string) ([]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql",
		strings.NewReader(`{"query":"{ programmes(first: 50) { nodes { id } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var reply struct {
		Data struct {
			Programmes struct{ Nodes []struct{ ID string } }
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&reply); err != nil {
		return nil, fmt.Errorf("programmes: %w", err)
	}
	var ids []string
	for _, n := range reply.Data.Programmes.Nodes {
		ids = append(ids, n.ID)
	}
	return ids, nil
}

func drain(clients []*subscriber) {
	for _, c := range clients {
		for len(c.updates) > 0 {
			<-c.updates
		}
	}
}

// collect waits for one update on every subscriber and returns the delays
// after ack, and how many got none in time.
func collect(clients []*subscriber, ack time.Time, within time.Duration) ([]time.Duration, int) {
	deadline := time.After(within)
	var got []time.Duration
	missing := 0
	for _, c := range clients {
		select {
		case t := <-c.updates:
			got = append(got, t.Sub(ack))
		case <-deadline:
			missing++
			deadline = closedChan
		}
	}
	return got, missing
}

var closedChan = func() <-chan time.Time { c := make(chan time.Time); close(c); return c }()

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Round(time.Millisecond)
}

// rss is a process's resident memory in bytes (Linux).
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is a process's user and system CPU time so far (Linux; clock
// ticks are 1/100 s on every Linux this runs on).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
