// Command hinchaos checks that hin-graph survives its database restarting
// under load, and shutting down under load.
//
// It runs writers that record outcomes (each logical write with its own
// idempotency key, retried with that same key on failure, as a careful
// client does), readers, and a /readyz probe every 200ms. A third of the
// way in it runs a command that restarts PostgreSQL. At the end, when it
// started the server itself, it sends the server SIGTERM while the load is
// still running. Then it compares what was acknowledged with what
// PostgreSQL holds, and prints a report. It exits 1 when an acknowledged
// write is missing or stored twice, when the API answered anything but a
// retryable UNAVAILABLE/TIMEOUT during the outage, when /readyz did not go
// 503 and back to 200, when the service did not recover by itself, or when
// shutdown cut off requests in flight; 2 when it could not run the test.
//
// scripts/resilience.sh runs it against a private throwaway cluster. It
// only talks to loopback addresses, and is bounded in time (--duration plus
// a grace period) and in requests (--max-requests).
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hin-graph/hin-graph/internal/httpapi"

	"github.com/hin-graph/hin-graph/devtools/internal/devserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hinchaos:", err)
	}
	os.Exit(code)
}

// chaosJWTSecret signs the tokens of a server this tool starts; that
// server serves a throwaway database, so a fixed secret is fine.
const chaosJWTSecret = "hinchaos-fixed-secret-for-a-throwaway-test-server"

type options struct {
	url, token, hingraph, jwtSecret, databaseURL, restartCmd, workDir string
	workers, readers, maxAttempts, maxRequests                        int
	duration, restartAt, recoverWithin, shutdownWait                  time.Duration
	shutdown                                                          bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("hinchaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "base URL of a running hingraph on loopback (e.g. http://127.0.0.1:8080); empty: start `hingraph serve` here")
	fs.StringVar(&o.token, "token", "", "NATIONAL_ADMIN bearer token for --url; empty: minted with `hingraph token --secret <jwt-secret>`")
	fs.StringVar(&o.hingraph, "hingraph", "", "hingraph binary; empty: built from ./cmd/hingraph")
	fs.StringVar(&o.jwtSecret, "jwt-secret", chaosJWTSecret, "HS256 secret of the server started here (and for minting the token)")
	fs.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL): for the server started here and to count what was stored")
	fs.StringVar(&o.restartCmd, "pg-restart-cmd", "scripts/resilience.sh --restart-pg", "shell command that restarts PostgreSQL (run from the repository root) and returns once it accepts connections again")
	fs.StringVar(&o.workDir, "work-dir", "", "where to keep the server log; empty: a temporary directory, removed after a passing run")
	fs.IntVar(&o.workers, "workers", 8, "concurrent writers")
	fs.IntVar(&o.readers, "readers", 3, "concurrent readers")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long the load runs (extended to see at least 5s after the restart)")
	fs.DurationVar(&o.restartAt, "restart-at", 0, "when to restart PostgreSQL; 0: a third of --duration")
	fs.DurationVar(&o.recoverWithin, "recover-within", 10*time.Second, "every request sent this long after PostgreSQL is back must succeed")
	fs.IntVar(&o.maxAttempts, "max-attempts", 60, "attempts per logical write (with backoff up to 1s) before the client gives up")
	fs.IntVar(&o.maxRequests, "max-requests", 300000, "bound on HTTP requests, all workers together")
	fs.BoolVar(&o.shutdown, "shutdown-test", true, "when the server is started here, end by sending it SIGTERM under load and check in-flight requests are answered")
	// the server's own shutdown timeout, and time to close the pool and exit
	fs.DurationVar(&o.shutdownWait, "shutdown-wait", httpapi.DefaultConfig().ShutdownTimeout+10*time.Second, "how long the server may take to exit after SIGTERM")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	switch {
	case o.workers < 1 || o.workers > 64:
		return nil, errors.New("--workers must be 1 to 64")
	case o.readers < 0 || o.readers > 64:
		return nil, errors.New("--readers must be 0 to 64")
	case o.duration < 3*time.Second || o.duration > 10*time.Minute:
		return nil, errors.New("--duration must be 3s to 10m")
	case o.maxRequests < 1 || o.maxRequests > 5_000_000:
		return nil, errors.New("--max-requests must be 1 to 5000000")
	case o.maxAttempts < 1 || o.maxAttempts > 1000:
		return nil, errors.New("--max-attempts must be 1 to 1000")
	case o.databaseURL == "":
		return nil, errors.New("no database: set DATABASE_URL or --database-url (needed to count what was stored)")
	case strings.TrimSpace(o.restartCmd) == "":
		return nil, errors.New("--pg-restart-cmd is empty")
	}
	if o.restartAt <= 0 {
		o.restartAt = o.duration / 3
	}
	if o.restartAt >= o.duration {
		return nil, errors.New("--restart-at must be within --duration")
	}
	if o.url != "" {
		if err := checkLoopbackURL(o.url); err != nil {
			return nil, err
		}
	}
	if err := checkLoopbackDB(o.databaseURL); err != nil {
		return nil, err
	}
	return o, nil
}

// The tool restarts databases and floods servers: keep it to this machine.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http://127.0.0.1:PORT", raw)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("--url %q is not a loopback address; hinchaos only runs against this machine", raw)
	}
	return nil
}

func checkLoopbackDB(raw string) error {
	var hosts []string
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("database url: %w", err)
		}
		for _, h := range strings.Split(u.Host, ",") {
			if hh, _, err := net.SplitHostPort(h); err == nil {
				h = hh
			}
			hosts = append(hosts, h)
		}
		if h := u.Query().Get("host"); h != "" {
			hosts = append(hosts, h)
		}
	} else {
		for _, f := range strings.Fields(raw) {
			if v, ok := strings.CutPrefix(f, "host="); ok {
				hosts = append(hosts, strings.Trim(v, "'"))
			}
		}
	}
	for _, h := range hosts {
		// empty = default (local socket); a path or @name = unix socket
		if h == "" || strings.HasPrefix(h, "/") || strings.HasPrefix(h, "@") || isLoopback(h) {
			continue
		}
		return fmt.Errorf("the database host %q is not on loopback; hinchaos only restarts local throwaway clusters", h)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// timeline is when things happened, as offsets from the start of the load.
type timeline struct {
	restartStart, restartEnd time.Duration
	restartErr               error
	loadEnd                  time.Duration
	shutdownAt               time.Duration // 0: no shutdown test
	serverExited             bool
	serverExitAfter          time.Duration
	serverExitCode           int
}

func run(ctx context.Context, args []string, stdout io.Writer) (code int, err error) {
	o, err := parseFlags(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return 2, err
	}
	root, rootErr := devserver.Root()
	keepWork, err := makeWorkDir(o)
	if err != nil {
		return 2, err
	}
	// Runs after the servers' deferred stops (defers run last-in first-out),
	// so their logs are complete.
	defer func() {
		if code == 0 && !keepWork {
			_ = os.RemoveAll(o.workDir)
		} else if code != 0 {
			fmt.Fprintf(os.Stderr, "hinchaos: server log and artefacts kept in %s\n", o.workDir)
		}
	}()

	runID := newRunID()
	managed := o.url == ""
	bin := o.hingraph
	if bin == "" && (managed || o.token == "") {
		if rootErr != nil {
			return 2, rootErr
		}
		fmt.Fprintln(os.Stderr, "hinchaos: building hingraph")
		if bin, err = devserver.Build(ctx, root, o.workDir); err != nil {
			return 2, err
		}
	}

	var srv *server
	base := o.url
	logPath := filepath.Join(o.workDir, "hingraph.log")
	if managed {
		fmt.Fprintf(os.Stderr, "hinchaos: starting hingraph serve (log: %s)\n", logPath)
		if srv, err = startServer(ctx, bin, o.databaseURL, o.jwtSecret, logPath); err != nil {
			return 2, err
		}
		defer srv.stop(o.shutdownWait)
		base = srv.base
	}
	token := o.token
	if token == "" {
		if token, err = mintToken(ctx, bin, o.jwtSecret, "hinchaos-"+runID); err != nil {
			return 2, err
		}
	}
	c := newClient(base, token, 30*time.Second)

	regions, err := apiRegionCodes(ctx, c)
	if err != nil {
		return 2, err
	}
	day := runDay(runID)
	const metric = "patients_benefiting"
	baseline, err := apiDraftCount(ctx, c, metric, day)
	if err != nil {
		return 2, err
	}

	rec := &recorder{start: time.Now()}
	rec.budget.Store(int64(o.maxRequests))
	l := &load{
		rec: rec, c: c, runID: runID, prefix: "hinchaos/" + runID + "/", day: day,
		regions: regions, metric: metric, maxAttempt: o.maxAttempts, workers: o.workers,
	}
	fmt.Fprintf(os.Stderr, "hinchaos: run %s: %d writers, %d readers for %s against %s; PostgreSQL restart at %s\n",
		runID, o.workers, o.readers, o.duration, base, o.restartAt.Round(100*time.Millisecond))

	tl, err := drive(ctx, o, l, srv, base, root)
	if err != nil {
		if ctx.Err() != nil {
			return 2, errors.New("interrupted")
		}
		return 2, err
	}

	dc, stopCounter, err := checkStored(ctx, o, l, tl, c, bin, token, logPath, managed, baseline)
	if err != nil {
		return 2, err
	}
	defer stopCounter()

	var ls *logScan
	if managed {
		scan, err := scanServerLog(logPath)
		if err == nil {
			ls = &scan
		}
	}
	rep := analyse(o, rec, tl, dc, ls)
	rep.runID, rep.base, rep.logPath = runID, base, logPath
	rep.print(stdout)
	if ctx.Err() != nil {
		return 2, errors.New("interrupted")
	}
	if len(rep.violations) > 0 {
		return 1, nil
	}
	return 0, nil
}

// makeWorkDir makes the directory for the server log: the one asked for
// (kept), or a temporary one.
func makeWorkDir(o *options) (keep bool, err error) {
	if o.workDir != "" {
		return true, os.MkdirAll(o.workDir, 0o755)
	}
	o.workDir, err = os.MkdirTemp("", "hinchaos-")
	return false, err
}

// checkStored compares what was acknowledged with PostgreSQL, the ground
// truth, and with the count a user of the API sees. When the server under
// test was shut down, a second one answers the count; stop ends it.
func checkStored(ctx context.Context, o *options, l *load, tl timeline, c *client, bin, token, logPath string,
	managed bool, baseline int) (dc dataCheck, stop func(), err error) {
	stop = func() {}
	stored, total, err := storedRows(ctx, o.databaseURL, l.prefix)
	if err != nil {
		return dc, stop, err
	}
	dc = checkData(l.rec.writes, stored, total)
	dc.apiBaseline = baseline
	countClient := c
	if managed && tl.shutdownAt > 0 {
		srv2, err := startServer(ctx, bin, o.databaseURL, o.jwtSecret, logPath)
		if err != nil {
			dc.apiCountErr = err
		} else {
			stop = func() { srv2.stop(o.shutdownWait) }
			countClient = newClient(srv2.base, token, 30*time.Second)
		}
	}
	if dc.apiCountErr == nil {
		dc.apiCount, dc.apiCountErr = apiDraftCount(ctx, countClient, l.metric, l.day)
		dc.apiCountChecked = dc.apiCountErr == nil
	}
	return dc, stop, nil
}

// drive runs the load and the faults, and returns when every worker is done.
func drive(ctx context.Context, o *options, l *load, srv *server, base, root string) (timeline, error) {
	var tl timeline
	rec := l.rec
	newCtx, stopNew := context.WithCancel(ctx)
	defer stopNew()
	// Retries of writes already started may run past the load's end, but
	// never past this.
	hard, stopHard := context.WithTimeout(ctx, o.duration+o.shutdownWait+90*time.Second)
	defer stopHard()
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()

	var writers, readers, poller sync.WaitGroup
	for i := range o.workers {
		writers.Go(func() { l.writer(newCtx, hard, i) })
	}
	for i := range o.readers {
		readers.Go(func() { l.reader(newCtx, i) })
	}
	poller.Go(func() { l.pollReadyz(pollCtx, base, 200*time.Millisecond) })

	sleepUntil(ctx, rec, o.restartAt)
	if ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "hinchaos: %5.1fs restarting PostgreSQL: %s\n", rec.since().Seconds(), o.restartCmd)
		tl.restartStart = rec.since()
		tl.restartErr = runRestart(ctx, o.restartCmd, root, o.databaseURL)
		tl.restartEnd = rec.since()
		fmt.Fprintf(os.Stderr, "hinchaos: %5.1fs restart command done (%v)\n", tl.restartEnd.Seconds(), errText(tl.restartErr))
	}
	// See recovery under load for a while even if the restart was slow.
	sleepUntil(ctx, rec, max(o.duration, tl.restartEnd+5*time.Second))
	stopPoll()
	poller.Wait()
	tl.loadEnd = rec.since()

	if srv != nil && o.shutdown && ctx.Err() == nil {
		// Under full load: the writers and readers keep sending until the
		// server stops listening.
		l.shutting.Store(true)
		tl.shutdownAt = rec.since()
		fmt.Fprintf(os.Stderr, "hinchaos: %5.1fs sending SIGTERM to hingraph under load\n", tl.shutdownAt.Seconds())
		tl.serverExited = srv.Terminate(o.shutdownWait)
		if tl.serverExited {
			tl.serverExitAfter = srv.ExitedAt().Sub(rec.start) - tl.shutdownAt
			tl.serverExitCode = srv.ExitCode()
		}
	}
	stopNew()
	readers.Wait()
	writers.Wait()
	if ctx.Err() != nil {
		return tl, ctx.Err()
	}
	return tl, nil
}

func sleepUntil(ctx context.Context, rec *recorder, at time.Duration) {
	if d := at - rec.since(); d > 0 {
		sleep(ctx, d)
	}
}

// runRestart runs the restart command through the shell. Its output goes
// to our stderr as a file, not a pipe: a postmaster it starts must not
// hold a pipe we would wait on.
func runRestart(ctx context.Context, command, root, dbURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	if root != "" {
		cmd.Dir = root
	}
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runDay is the period of every outcome of the run: one day in 2000-2019
// picked from the run ID, so that the API count of the run is not mixed
// with other data (and a baseline taken before covers a clash).
func runDay(runID string) string {
	b, _ := hex.DecodeString(runID)
	n := binary.BigEndian.Uint32(b) % 7300
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)).Format(time.DateOnly)
}
