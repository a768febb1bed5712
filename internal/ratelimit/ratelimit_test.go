package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBucketRefillsAtTheRate(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(0, 0)}
	l := New(Config{now: c.now})
	r := Rate{PerSecond: 2, Burst: 3}
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("k", r); !ok {
			t.Fatalf("request %d within the burst was refused", i)
		}
	}
	ok, wait := l.Allow("k", r)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("past the burst: ok=%v wait=%v, want refused with 500ms", ok, wait)
	}
	c.t = c.t.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("k", r); !ok {
		t.Fatal("a token should have refilled after 500ms")
	}
	if ok, _ := l.Allow("other", r); !ok {
		t.Fatal("another caller has its own bucket")
	}
}

func TestMemoryIsBounded(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(0, 0)}
	l := New(Config{now: c.now, MaxKeys: 100})
	r := Rate{PerSecond: 1, Burst: 5}
	for i := 0; i < 10_000; i++ {
		l.Allow(fmt.Sprint("ip:", i), r)
		c.t = c.t.Add(time.Millisecond)
	}
	if n := len(l.buckets); n > 100 {
		t.Fatalf("%d buckets kept, want at most 100", n)
	}
}

func TestMiddlewareAnswers429WithRetryAfter(t *testing.T) {
	t.Parallel()
	rejected := 0
	l := New(Config{Anonymous: Rate{PerSecond: 0.5, Burst: 2}, Authenticated: Rate{PerSecond: 100, Burst: 100}, OnReject: func() { rejected++ }})
	h := l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	do := func(remote string, p *hin.Principal) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		req.RemoteAddr = remote
		if p != nil {
			req = req.WithContext(hin.WithPrincipal(context.Background(), *p))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i := 0; i < 2; i++ {
		if rec := do("10.0.0.1:1234", nil); rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
	}
	rec := do("10.0.0.1:5678", nil) // same address, another port
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" || !strings.Contains(rec.Body.String(), "RATE_LIMITED") {
		t.Fatalf("got %d Retry-After=%q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if rec := do("10.0.0.2:1", nil); rec.Code != http.StatusOK {
		t.Fatalf("another address is limited separately: %d", rec.Code)
	}
	// a signed-in caller is limited by subject, not by address
	p := hin.Principal{Subject: "analyst-1", Role: hin.RoleAnalyst}
	if rec := do("10.0.0.1:9", &p); rec.Code != http.StatusOK {
		t.Fatalf("signed-in caller on a limited address: %d", rec.Code)
	}
	if rejected != 1 {
		t.Errorf("OnReject called %d times, want 1", rejected)
	}
}

func TestInFlightCap(t *testing.T) {
	t.Parallel()
	l := New(Config{Anonymous: Rate{PerSecond: 1000, Burst: 1000, InFlight: 2}})
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	h := l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	codes := make(chan int, 4)
	for i := 0; i < 2; i++ {
		go func() {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			req.RemoteAddr = "10.0.0.9:1"
			h.ServeHTTP(rec, req)
			codes <- rec.Code
		}()
	}
	<-entered
	<-entered
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.RemoteAddr = "10.0.0.9:2"
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "at once") {
		t.Fatalf("third request in flight: %d %s", rec.Code, rec.Body)
	}
	close(release)
	<-codes
	<-codes
	rec = httptest.NewRecorder()
	go func() { <-entered }()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("after the others finished: %d", rec.Code)
	}
}
