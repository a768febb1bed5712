package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const s = time.Second

// passingRun is a run that keeps every promise: PostgreSQL restarts from 5s
// to 8s, writes fail only with UNAVAILABLE meanwhile, /readyz goes to 503
// and back, everything acknowledged is stored, and SIGTERM at 20s ends the
// server cleanly.
func passingRun() (*options, *recorder, timeline, dataCheck, *logScan) {
	o := &options{recoverWithin: 10 * s, maxAttempts: 60, maxRequests: 1000, shutdownWait: 5 * s}
	ok := result{status: http.StatusOK}
	down := result{status: http.StatusServiceUnavailable, codes: []string{"UNAVAILABLE"}, messages: []string{"the database is unavailable"}}
	rec := &recorder{
		writes: []*write{{key: "a", attempts: 1, acked: true}, {key: "b", attempts: 3, acked: true}},
		attempts: []attempt{
			{op: "write", sent: 1 * s, done: 1*s + 100*time.Millisecond, res: ok},
			{op: "read", sent: 2 * s, done: 2*s + 50*time.Millisecond, res: ok},
			{op: "write", sent: 6 * s, done: 6*s + 100*time.Millisecond, res: down},
			{op: "write", sent: 9 * s, done: 9*s + 100*time.Millisecond, res: ok},
			{op: "write", sent: 21 * s, done: 21 * s, res: result{transport: io.EOF}},
		},
		readyz: []readyzSample{{0, 200}, {3 * s, 200}, {6 * s, 503}, {9 * s, 200}},
	}
	tl := timeline{restartStart: 5 * s, restartEnd: 8 * s, loadEnd: 20 * s, shutdownAt: 20 * s, serverExited: true, serverExitAfter: s}
	dc := dataCheck{stored: 2, acked: 2, apiCount: 7, apiBaseline: 5, apiCountChecked: true}
	return o, rec, tl, dc, &logScan{sawStopping: true, sawStopped: true}
}

func TestVerdictPassesAGoodRun(t *testing.T) {
	r := analyse(passingRun())
	if len(r.violations) > 0 {
		t.Fatalf("a good run failed: %q", r.violations)
	}
	if r.acked != 2 || r.retried != 1 || r.readsOK != 1 || r.outage["write: HTTP 503 UNAVAILABLE"] != 1 ||
		r.readyz503 != 6*s || r.readyzBack != 9*s || r.firstAck != 9*s+100*time.Millisecond || len(r.readyzRuns) != 3 {
		t.Errorf("report: %+v", r)
	}
	var out strings.Builder
	r.print(&out)
	if !strings.Contains(out.String(), "RESULT: PASS") {
		t.Errorf("printed:\n%s", out.String())
	}
}

func TestVerdictFailsEachBrokenPromise(t *testing.T) {
	internal := result{status: http.StatusOK, codes: []string{"INTERNAL"}, messages: []string{"internal error"}}
	down := result{status: http.StatusServiceUnavailable, codes: []string{"UNAVAILABLE"}}
	for _, c := range []struct {
		name, want string
		breakIt    func(*options, *recorder, *timeline, *dataCheck, *logScan)
	}{
		{"budget", "request budget (--max-requests 1000) ran out", func(_ *options, rec *recorder, _ *timeline, _ *dataCheck, _ *logScan) {
			rec.budgetSpent.Store(true)
		}},
		{"no restart", "PostgreSQL was never restarted", func(_ *options, _ *recorder, tl *timeline, _ *dataCheck, _ *logScan) {
			tl.restartStart, tl.restartEnd = 0, 0
		}},
		{"lost", "1 acknowledged writes are not stored (lost), e.g. b", func(_ *options, _ *recorder, _ *timeline, dc *dataCheck, _ *logScan) {
			dc.lost, dc.stored = []string{"b"}, 1
		}},
		{"duplicates", "2 duplicate rows", func(_ *options, _ *recorder, _ *timeline, dc *dataCheck, _ *logScan) { dc.duplicates = 2 }},
		{"api count", "the API counts 1 DRAFT outcomes of the run, PostgreSQL holds 2", func(_ *options, _ *recorder, _ *timeline, dc *dataCheck, _ *logScan) {
			dc.apiCount = 6
		}},
		{"unacknowledged", "1 writes were never acknowledged within 60 attempts", func(_ *options, rec *recorder, _ *timeline, _ *dataCheck, _ *logScan) {
			rec.writes = append(rec.writes, &write{key: "c", attempts: 60})
		}},
		{"non-retryable", "non-retryable errors: write: HTTP 200 INTERNAL ×1", func(_ *options, rec *recorder, _ *timeline, _ *dataCheck, _ *logScan) {
			rec.attempts = append(rec.attempts, attempt{op: "write", sent: 6 * s, done: 6 * s, res: internal})
		}},
		{"leak", "error messages leak internals", func(_ *options, rec *recorder, _ *timeline, _ *dataCheck, _ *logScan) {
			leaky := down
			leaky.leak = "pq: "
			rec.attempts = append(rec.attempts, attempt{op: "read", sent: 6 * s, done: 6 * s, res: leaky})
		}},
		{"readyz", "/readyz never answered 503", func(_ *options, rec *recorder, _ *timeline, _ *dataCheck, _ *logScan) {
			rec.readyz = []readyzSample{{0, 200}, {9 * s, 200}}
		}},
		{"readyz back", "/readyz did not return to 200", func(_ *options, rec *recorder, _ *timeline, _ *dataCheck, _ *logScan) {
			rec.readyz = rec.readyz[:3]
		}},
		{"late", "1 requests sent more than 10s after PostgreSQL was back still failed", func(_ *options, rec *recorder, _ *timeline, _ *dataCheck, _ *logScan) {
			rec.attempts = append(rec.attempts, attempt{op: "write", sent: 19 * s, done: 19 * s, res: down})
		}},
		{"no exit", "hingraph did not exit within 5s of SIGTERM", func(_ *options, _ *recorder, tl *timeline, _ *dataCheck, _ *logScan) {
			tl.serverExited = false
		}},
		{"exit status", "hingraph exited with status 2 after SIGTERM", func(_ *options, _ *recorder, tl *timeline, _ *dataCheck, _ *logScan) {
			tl.serverExitCode = 2
		}},
		{"cut off", "1 requests in flight at SIGTERM were cut off", func(_ *options, rec *recorder, _ *timeline, _ *dataCheck, _ *logScan) {
			rec.attempts = append(rec.attempts, attempt{op: "read", sent: 19 * s, done: 20*s + 1, res: result{transport: io.ErrUnexpectedEOF}})
		}},
		{"not stopped", `did not log "stopped"`, func(_ *options, _ *recorder, _ *timeline, _ *dataCheck, ls *logScan) { ls.sawStopped = false }},
		{"log errors", "the server logged 1 errors, e.g. boom", func(_ *options, _ *recorder, _ *timeline, _ *dataCheck, ls *logScan) {
			ls.errors, ls.samples = 1, []string{"boom"}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, rec, tl, dc, ls := passingRun()
			c.breakIt(o, rec, &tl, &dc, ls)
			r := analyse(o, rec, tl, dc, ls)
			if !strings.Contains(strings.Join(r.violations, "\n"), c.want) {
				t.Errorf("violations %q, want one with %q", r.violations, c.want)
			}
			var out strings.Builder
			r.print(&out)
			if !strings.Contains(out.String(), "RESULT: FAIL") {
				t.Errorf("printed:\n%s", out.String())
			}
		})
	}
}
