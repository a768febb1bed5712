package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hin-graph/hin-graph/devtools/internal/devserver"
)

// attempt is one HTTP request of the load, with times since the start.
type attempt struct {
	op         string // "write" or "read"
	sent, done time.Duration
	res        result
}

// write is one logical write: one idempotency key, retried until the API
// acknowledges it or the retry budget is spent.
type write struct {
	key, source string
	attempts    int
	acked       bool
	id          string // global ID from the acknowledgement
	lastErr     string
	ackedAt     time.Duration
	// gaveUpAtShutdown: the server stopped listening before this write was
	// acknowledged (expected for writes sent after SIGTERM).
	gaveUpAtShutdown bool
	neverSent        bool // the request budget ran out first
}

type readyzSample struct {
	at     time.Duration
	status int
}

// recorder keeps everything the load saw, for the report.
type recorder struct {
	start       time.Time
	budget      atomic.Int64 // requests left (--max-requests)
	budgetSpent atomic.Bool
	mu          sync.Mutex
	attempts    []attempt
	writes      []*write
	readyz      []readyzSample
}

func (r *recorder) since() time.Duration { return time.Since(r.start) }

// take spends one request of the budget; false when it is used up.
func (r *recorder) take() bool { return r.budget.Add(-1) >= 0 }

func (r *recorder) add(a attempt) {
	r.mu.Lock()
	r.attempts = append(r.attempts, a)
	r.mu.Unlock()
}

func (r *recorder) addWrite(w *write) {
	r.mu.Lock()
	r.writes = append(r.writes, w)
	r.mu.Unlock()
}

// load runs the writers, readers and the /readyz poller.
type load struct {
	rec        *recorder
	c          *client
	runID      string
	prefix     string // source prefix unique to this run
	day        string // the first write's periodStart = periodEnd; each write has a day of its own
	workers    int    // writers, so each write's day is unique
	regions    []string
	metric     string
	maxAttempt int
	// shutting is set just before the server gets SIGTERM: from then on a
	// worker whose request finds no server stops instead of retrying.
	shutting atomic.Bool
}

const recordMutation = `mutation HinchaosRecord($input: OutcomeInput!, $key: String) {
  recordOutcome(input: $input, idempotencyKey: $key) { id source }
}`

var readQueries = []string{
	`query HinchaosRegions { regions { code } }`,
	`query HinchaosFigure { figure(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { value outcomeCount coverage { reportingCount } } }`,
}

// writer sends writes until stop is done. A write that fails is retried
// with the same key and the same input, like a careful client; newCtx
// stops new writes, hard bounds everything (retries included).
func (l *load) writer(newCtx, hard context.Context, n int) {
	region := l.regions[n%len(l.regions)]
	for seq := 1; newCtx.Err() == nil; seq++ {
		key := fmt.Sprintf("hinchaos-%s-w%02d-%06d", l.runID, n, seq)
		w := &write{key: key, source: l.prefix + key}
		l.rec.addWrite(w)
		// one day per write: the same metric, region and day again would be
		// the same figure resent (one current figure per key), not a new row
		first, _ := time.Parse(time.DateOnly, l.day)
		day := first.AddDate(0, 0, (seq-1)*max(l.workers, 1)+n).Format(time.DateOnly)
		vars := map[string]any{
			"key": key,
			"input": map[string]any{
				"metricCode": l.metric, "regionCode": region,
				"periodStart": day, "periodEnd": day,
				"value": 1, "source": w.source,
			},
		}
		if !l.send(hard, w, vars) {
			return
		}
	}
}

// send drives one write to an acknowledgement or gives up; false tells the
// worker to stop (server gone or budget spent).
func (l *load) send(hard context.Context, w *write, vars map[string]any) bool {
	for {
		if !l.rec.take() {
			w.lastErr = "request budget (--max-requests) spent"
			w.neverSent = w.attempts == 0
			l.rec.budgetSpent.Store(true)
			return false
		}
		sent := l.rec.since()
		res := l.c.post(hard, recordMutation, vars, w.key)
		l.rec.add(attempt{op: "write", sent: sent, done: l.rec.since(), res: res})
		w.attempts++
		if res.ok() {
			var d struct {
				RecordOutcome struct{ ID, Source string } `json:"recordOutcome"`
			}
			if json.Unmarshal(res.data, &d) == nil && d.RecordOutcome.ID != "" && d.RecordOutcome.Source == w.source {
				w.acked, w.id, w.ackedAt = true, d.RecordOutcome.ID, l.rec.since()
				return true
			}
			w.lastErr = "200 without the recorded outcome"
			return true
		}
		w.lastErr = res.kind()
		if res.transport != nil && l.shutting.Load() {
			w.gaveUpAtShutdown = true
			return false
		}
		if hard.Err() != nil || w.attempts >= l.maxAttempt || !worthRetry(res) {
			return hard.Err() == nil
		}
		if !sleep(hard, backoff(w.attempts)) {
			return false
		}
	}
}

// worthRetry: retry what may be transient. Retrying an INTERNAL or a lost
// connection is what real clients do too; it keeps the measurement going
// (such errors are still reported as violations). 4xx-style answers are final.
func worthRetry(r result) bool {
	if r.retryable() || r.transport != nil || r.status >= 500 {
		return true
	}
	for _, c := range r.codes {
		if c == "INTERNAL" || c == "" {
			return true
		}
	}
	return false
}

// backoff: 50ms doubling to 1s, with jitter so workers don't retry in step.
func backoff(attempt int) time.Duration {
	d := 50 * time.Millisecond << min(attempt-1, 5)
	d = min(d, time.Second)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// reader sends queries until stop is done; reads are not retried, only counted.
func (l *load) reader(stop context.Context, n int) {
	for i := n; stop.Err() == nil; i++ {
		if !l.rec.take() {
			l.rec.budgetSpent.Store(true)
			return
		}
		sent := l.rec.since()
		res := l.c.get(stop, readQueries[i%len(readQueries)])
		if stop.Err() != nil && res.transport != nil {
			return // our own cancellation, not the server's doing
		}
		l.rec.add(attempt{op: "read", sent: sent, done: l.rec.since(), res: res})
		if res.transport != nil && l.shutting.Load() {
			return
		}
		if !res.ok() {
			sleep(stop, 50*time.Millisecond) // don't spin on a failing API
		}
	}
}

// pollReadyz records /readyz every interval until stop is done.
func (l *load) pollReadyz(stop context.Context, base string, every time.Duration) {
	// A fresh connection per probe, like a load balancer's health check.
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		at := l.rec.since()
		st := devserver.ReadyzStatus(stop, hc, base)
		if stop.Err() != nil {
			return
		}
		l.rec.mu.Lock()
		l.rec.readyz = append(l.rec.readyz, readyzSample{at: at, status: st})
		l.rec.mu.Unlock()
		select {
		case <-stop.Done():
			return
		case <-t.C:
		}
	}
}
