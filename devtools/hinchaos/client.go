package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

// result is what one HTTP request to the API came back with.
type result struct {
	status    int // HTTP status; 0 when no response arrived
	data      json.RawMessage
	codes     []string // extensions.code of each GraphQL error, "" when missing
	messages  []string
	transport error  // no (complete) HTTP response
	leak      string // internals a client should never see (driver text, stacks)
}

// The error codes a client may retry after: the service says "not now".
var retryableCodes = map[string]bool{"UNAVAILABLE": true, "TIMEOUT": true}

func (r result) ok() bool {
	return r.transport == nil && r.status == http.StatusOK && len(r.codes) == 0
}

// retryable is the contract under test: during an outage every failure must
// be a clean UNAVAILABLE or TIMEOUT, as HTTP 200 with errors or as 503.
func (r result) retryable() bool {
	if r.transport != nil || len(r.codes) == 0 || r.leak != "" {
		return false
	}
	if r.status == http.StatusTooManyRequests {
		// Throttled (Retry-After): retryable too, though not an outage.
		return len(r.codes) == 1 && r.codes[0] == "RATE_LIMITED"
	}
	if r.status != http.StatusOK && r.status != http.StatusServiceUnavailable {
		return false
	}
	for _, c := range r.codes {
		if !retryableCodes[c] {
			return false
		}
	}
	return true
}

// refused means the connection was refused: the request never reached the
// server (expected once it has stopped listening on shutdown).
func (r result) refused() bool { return errors.Is(r.transport, syscall.ECONNREFUSED) }

// kind is a short label for tallies: "ok", "HTTP 503 UNAVAILABLE",
// "transport: connection refused", ...
func (r result) kind() string {
	switch {
	case r.ok():
		return "ok"
	case r.transport != nil:
		return "transport: " + transportKind(r.transport)
	}
	codes := uniq(r.codes)
	for i, c := range codes {
		if c == "" {
			codes[i] = "(no code)"
		}
	}
	k := fmt.Sprintf("HTTP %d", r.status)
	if len(codes) > 0 {
		k += " " + strings.Join(codes, "+")
	}
	if r.leak != "" {
		k += " [leaks " + r.leak + "]"
	}
	return k
}

func transportKind(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before the response (EOF)"
	case errors.Is(err, context.DeadlineExceeded):
		return "client timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return "client timeout"
	}
	return err.Error()
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// leakPattern finds internals in what a client sees: driver and network
// error text, Go stack traces, panics. The API must hide these behind a
// code and a plain message.
var leakPattern = regexp.MustCompile(`(?i)goroutine \d+|\.go:\d+|panic|pq: |dial tcp|driver: bad connection|sql: |connection refused|broken pipe|unexpected EOF|SQLSTATE`)

// client talks GraphQL over loopback HTTP.
type client struct {
	base  string // http://127.0.0.1:port, no trailing slash
	token string
	http  *http.Client
}

func newClient(base, token string, timeout time.Duration) *client {
	return &client{
		base:  strings.TrimRight(base, "/"),
		token: token,
		http: &http.Client{
			Timeout: timeout,
			Transport: &http.Transport{
				MaxIdleConnsPerHost: 64,
				DisableCompression:  true,
			},
		},
	}
}

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// post sends a mutation. The Idempotency-Key header makes Go's transport
// treat the POST as replayable, so a request that raced with the server
// closing an idle keep-alive connection is resent rather than failed;
// without it such a race would look like a request cut off in flight.
func (c *client) post(ctx context.Context, query string, vars map[string]any, key string) result {
	body, err := json.Marshal(gqlRequest{Query: query, Variables: vars})
	if err != nil {
		return result{transport: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return result{transport: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return c.do(req)
}

// get sends a query as GET (replayable, like any GET).
func (c *client) get(ctx context.Context, query string) result {
	u := c.base + "/graphql?" + url.Values{"query": {query}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return result{transport: err}
	}
	// a script's GET says so; the server refuses GETs a browser could send cross-site
	req.Header.Set("GraphQL-Require-Preflight", "1")
	return c.do(req)
}

func (c *client) do(req *http.Request) result {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return result{transport: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return result{status: resp.StatusCode, transport: err}
	}
	return parseResponse(resp.StatusCode, raw)
}

func parseResponse(status int, raw []byte) result {
	r := result{status: status}
	var body struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		// Not GraphQL at all (a proxy page, a plain-text 500): an error
		// without a code, which no client can act on.
		r.codes = []string{""}
		r.messages = []string{truncate(string(raw), 200)}
		r.leak = leakPattern.FindString(string(raw))
		return r
	}
	r.data = body.Data
	for _, e := range body.Errors {
		code, _ := e.Extensions["code"].(string)
		r.codes = append(r.codes, code)
		r.messages = append(r.messages, e.Message)
		if m := leakPattern.FindString(e.Message); m != "" {
			r.leak = m
		}
	}
	if status != http.StatusOK && len(r.codes) == 0 {
		r.codes = []string{""}
	}
	return r
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
