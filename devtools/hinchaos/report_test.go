package main

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chaosRun is the input of analyse for one run.
type chaosRun struct {
	o   *options
	rec *recorder
	tl  timeline
	dc  dataCheck
	ls  *logScan
}

// healthyRun is a run that passes: writes acknowledged before, during and
// after a restart, clean retryable failures while PostgreSQL is down,
// /readyz 503 then 200, every acknowledged write stored once, and a clean
// exit on SIGTERM.
func healthyRun() *chaosRun {
	s := time.Second
	ok := result{status: http.StatusOK}
	down := result{status: http.StatusServiceUnavailable, codes: []string{"UNAVAILABLE"}}
	return &chaosRun{
		o:  &options{recoverWithin: 5 * s, maxAttempts: 10, maxRequests: 1000, shutdownWait: 10 * s},
		tl: timeline{restartStart: 10 * s, restartEnd: 15 * s, loadEnd: 30 * s, shutdownAt: 31 * s, serverExited: true},
		rec: &recorder{
			attempts: []attempt{
				{op: "write", sent: 1 * s, done: 1*s + 100, res: ok},
				{op: "read", sent: 2 * s, done: 2*s + 100, res: ok},
				{op: "write", sent: 11 * s, done: 11*s + 100, res: down},
				{op: "read", sent: 12 * s, done: 12*s + 100, res: down},
				{op: "write", sent: 16 * s, done: 16*s + 100, res: ok},
				{op: "write", sent: 32 * s, done: 32*s + 100, res: result{transport: syscall.ECONNREFUSED}},
			},
			writes: []*write{{key: "a", attempts: 1, acked: true}, {key: "b", attempts: 2, acked: true},
				{key: "c", attempts: 1, gaveUpAtShutdown: true}},
			readyz: []readyzSample{{0, http.StatusOK}, {11 * s, http.StatusServiceUnavailable}, {16 * s, http.StatusOK}},
		},
		dc: dataCheck{stored: 2, acked: 2},
		ls: &logScan{sawStopped: true},
	}
}

// TestChaosVerdict: the verdict that decides make resilience passes a
// healthy run and fails each way a run can go wrong, saying why.
func TestChaosVerdict(t *testing.T) {
	s := time.Second
	cases := map[string]struct {
		spoil func(r *chaosRun)
		want  string
	}{
		"healthy":    {func(*chaosRun) {}, ""},
		"lost write": {func(r *chaosRun) { r.dc.lost = []string{"a"} }, "acknowledged writes are not stored (lost)"},
		"duplicate":  {func(r *chaosRun) { r.dc.duplicates = 1 }, "duplicate rows"},
		"stored more than acknowledged": {func(r *chaosRun) { r.dc.stored = 3; r.dc.storedUnacked = []string{"c"} },
			"stored but were never acknowledged"},
		"write never acknowledged": {func(r *chaosRun) { r.rec.writes[2].gaveUpAtShutdown = false },
			"writes were never acknowledged within 10 attempts"},
		"internal error in the outage": {func(r *chaosRun) {
			r.rec.attempts[2].res = result{status: http.StatusOK, codes: []string{"INTERNAL"}, messages: []string{"internal error"}}
		}, "non-retryable errors"},
		"driver text leaked": {func(r *chaosRun) { r.rec.attempts[3].res.leak = "pq: terminating connection" }, "leak internals"},
		"still failing after recovery": {func(r *chaosRun) {
			r.rec.attempts = append(r.rec.attempts, attempt{op: "read", sent: 25 * s, done: 25*s + 100,
				res: result{status: http.StatusServiceUnavailable, codes: []string{"UNAVAILABLE"}}})
		}, "still failed"},
		"no write after the restart": {func(r *chaosRun) { r.rec.attempts[4].res = r.rec.attempts[2].res }, "did not recover"},
		"readyz stayed up":           {func(r *chaosRun) { r.rec.readyz = r.rec.readyz[:1] }, "/readyz never answered 503"},
		"readyz stayed down":         {func(r *chaosRun) { r.rec.readyz = r.rec.readyz[:2] }, "/readyz did not return to 200"},
		"never restarted":            {func(r *chaosRun) { r.tl.restartStart, r.tl.restartEnd = 0, 0 }, "never restarted"},
		"restart failed":             {func(r *chaosRun) { r.tl.restartErr = errors.New("pg_ctl: boom") }, "restart command failed"},
		"no exit":                    {func(r *chaosRun) { r.tl.serverExited = false }, "did not exit"},
		"exit status":                {func(r *chaosRun) { r.tl.serverExitCode = 1 }, "exited with status 1"},
		"cut off at SIGTERM": {func(r *chaosRun) {
			r.rec.attempts = append(r.rec.attempts, attempt{op: "write", sent: 30 * s, done: 32 * s, res: result{transport: errors.New("EOF")}})
		}, "cut off without an answer"},
		"no stopped line": {func(r *chaosRun) { r.ls.sawStopped = false }, `did not log "stopped"`},
		"server errors":   {func(r *chaosRun) { r.ls.errors = 1; r.ls.samples = []string{"panic"} }, "logged 1 errors"},
		"budget spent":    {func(r *chaosRun) { r.rec.budgetSpent.Store(true) }, "request budget"},
		"API count differs": {func(r *chaosRun) { r.dc.apiCountChecked = true; r.dc.apiCount = 1 },
			"the API counts 1 DRAFT outcomes of the run, PostgreSQL holds 2"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := healthyRun()
			c.spoil(r)
			rep := analyse(r.o, r.rec, r.tl, r.dc, r.ls)
			var out bytes.Buffer
			rep.print(&out)
			all := strings.Join(rep.violations, "\n")
			switch {
			case c.want == "" && (len(rep.violations) > 0 || !strings.Contains(out.String(), "RESULT: PASS")):
				t.Errorf("a healthy run fails: %s", all)
			case c.want != "" && !strings.Contains(all, c.want):
				t.Errorf("want a violation saying %q, got:\n%s", c.want, all)
			case c.want != "" && !strings.Contains(out.String(), "RESULT: FAIL"):
				t.Errorf("the report does not say FAIL:\n%s", out.String())
			}
		})
	}
}
