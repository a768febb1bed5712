package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// client posts GraphQL requests to the API.
type client struct {
	url           string
	http          *http.Client
	authorization string // sent as the Authorization header when set
}

func newClient(url string, concurrency int) *client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// keep one connection per worker alive: the benchmark measures queries, not TCP handshakes
	t.MaxIdleConns = concurrency + 4
	t.MaxIdleConnsPerHost = concurrency + 4
	return &client{url: url, http: &http.Client{Transport: t, Timeout: 60 * time.Second}}
}

type gqlError struct {
	Message string `json:"message"`
}

// post sends one query and returns the response body; an error means the
// request failed: transport error, a status other than 200, or any
// GraphQL error in the response.
func (c *client) post(ctx context.Context, body []byte, tag string, capture bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(tagHeader, tag)
	if c.authorization != "" {
		req.Header.Set("Authorization", c.authorization)
	}
	if capture {
		req.Header.Set(captureHeader, "1")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	// gqlgen writes "errors" before "data", so a body that starts with data
	// has no errors; only other bodies are worth decoding (this keeps the
	// client's CPU, which the server shares, off large nested pages).
	if resp.StatusCode == http.StatusOK && bytes.HasPrefix(b, []byte(`{"data":`)) {
		return b, nil
	}
	var r struct {
		Errors []gqlError `json:"errors"`
	}
	_ = json.Unmarshal(b, &r)
	switch {
	case resp.StatusCode != http.StatusOK && len(r.Errors) > 0:
		return b, fmt.Errorf("HTTP %d: %s", resp.StatusCode, r.Errors[0].Message)
	case resp.StatusCode != http.StatusOK:
		return b, fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(string(b), 200))
	case len(r.Errors) > 0:
		return b, fmt.Errorf("GraphQL error: %s", r.Errors[0].Message)
	}
	if !json.Valid(b) {
		return b, fmt.Errorf("response is not JSON: %s", truncate(string(b), 200))
	}
	return b, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// runStats is what one phase of requests measured.
type runStats struct {
	requests  int
	errors    int
	firstErr  string
	elapsed   time.Duration
	bytes     int64           // response bytes, all requests
	latencies []time.Duration // sorted
	stmts     []int64         // SQL statements per request, as the API counted them
	sqlTimes  []time.Duration // time in SQL per request, sorted
}

// addServed adds the API side's view of the requests.
func (r *runStats) addServed(ss []served) {
	for _, s := range ss {
		r.stmts = append(r.stmts, s.stmts)
		r.sqlTimes = append(r.sqlTimes, s.sql)
	}
	slices.Sort(r.sqlTimes)
}

func (r *runStats) throughput() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

func (r *runStats) avgBytes() int64 {
	if r.requests == 0 {
		return 0
	}
	return r.bytes / int64(r.requests)
}

func (r *runStats) p(q float64) time.Duration { return percentile(r.latencies, q) }

func (r *runStats) stmtRange() (lo, hi int64) {
	if len(r.stmts) == 0 {
		return -1, -1
	}
	return slices.Min(r.stmts), slices.Max(r.stmts)
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// load runs workers that each send the query back to back until the
// duration is over. Only requests started within it count; the elapsed
// time runs until the last of them has finished.
func load(ctx context.Context, c *client, body []byte, tag string, workers int, d time.Duration) *runStats {
	var (
		mu  sync.Mutex
		all = &runStats{}
		wg  sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lats []time.Duration
			var size int64
			errs, firstErr := 0, ""
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				b, err := c.post(ctx, body, tag, false)
				lats = append(lats, time.Since(t0))
				size += int64(len(b))
				if err != nil {
					if errs == 0 {
						firstErr = err.Error()
					}
					errs++
				}
			}
			mu.Lock()
			all.latencies = append(all.latencies, lats...)
			all.errors += errs
			all.bytes += size
			if all.firstErr == "" {
				all.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	all.requests = len(all.latencies)
	slices.Sort(all.latencies)
	return all
}

// sequential sends n requests one after another and keeps the last
// response (for checking its figures).
func sequential(ctx context.Context, c *client, body []byte, tag string, n int) (*runStats, []byte) {
	st := &runStats{}
	var last []byte
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		t0 := time.Now()
		b, err := c.post(ctx, body, tag, false)
		st.latencies = append(st.latencies, time.Since(t0))
		if err != nil {
			if st.errors == 0 {
				st.firstErr = err.Error()
			}
			st.errors++
			continue
		}
		last = b
	}
	st.elapsed = time.Since(start)
	st.requests = len(st.latencies)
	slices.Sort(st.latencies)
	return st, last
}
