// Package ratelimit keeps one caller from using the service for everyone:
// a token bucket per bearer-token subject, and per client address for
// callers without a token, answered with HTTP 429 and Retry-After.
package ratelimit

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Rate is a sustained rate with a burst on top, and how many requests may
// be in flight at once: a few heavy requests that each pass every query
// limit hurt everyone by running together, not by arriving fast.
type Rate struct {
	PerSecond float64
	Burst     int
	InFlight  int // 0: no cap
}

// Config sets the rates; a zero PerSecond turns that limit off.
type Config struct {
	Authenticated Rate
	Anonymous     Rate
	// MaxKeys bounds memory: past it, the least recently seen buckets go.
	MaxKeys int
	// OnReject is told of each refused request (for metrics).
	OnReject func()
	now      func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Limiter holds the buckets.
type Limiter struct {
	cfg      Config
	mu       sync.Mutex
	buckets  map[string]*bucket
	inflight map[string]int
}

// New makes a limiter.
func New(cfg Config) *Limiter {
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 100_000
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	return &Limiter{cfg: cfg, buckets: map[string]*bucket{}, inflight: map[string]int{}}
}

// Allow takes a token for key at rate r; when none is left it says how
// long until one will be.
func (l *Limiter) Allow(key string, r Rate) (ok bool, retryAfter time.Duration) {
	if r.PerSecond <= 0 {
		return true, 0
	}
	now := l.cfg.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.cfg.MaxKeys {
			l.evict(now, r)
		}
		b = &bucket{tokens: float64(r.Burst), last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(float64(r.Burst), b.tokens+now.Sub(b.last).Seconds()*r.PerSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / r.PerSecond * float64(time.Second))
	return false, wait
}

// enter takes one of key's in-flight places, or says there is none.
func (l *Limiter) enter(key string, r Rate) bool {
	if r.InFlight <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inflight[key] >= r.InFlight {
		return false
	}
	l.inflight[key]++
	return true
}

func (l *Limiter) leave(key string, r Rate) {
	if r.InFlight <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inflight[key]--; l.inflight[key] <= 0 {
		delete(l.inflight, key)
	}
}

// evict drops buckets that have refilled (they hold no state worth
// keeping), and if none have, the oldest one.
func (l *Limiter) evict(now time.Time, r Rate) {
	var oldestKey string
	var oldest time.Time
	for k, b := range l.buckets {
		if now.Sub(b.last).Seconds()*r.PerSecond >= float64(r.Burst) {
			delete(l.buckets, k)
			continue
		}
		if oldestKey == "" || b.last.Before(oldest) {
			oldestKey, oldest = k, b.last
		}
	}
	if len(l.buckets) >= l.cfg.MaxKeys && oldestKey != "" {
		delete(l.buckets, oldestKey)
	}
}

// Middleware limits each request by its caller: the token's subject when
// signed in, else the client's address. It runs after authentication.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := hin.PrincipalFrom(r.Context())
		key, rate := "sub:"+p.Subject, l.cfg.Authenticated
		if p.Role == hin.RoleAnonymous {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			key, rate = "ip:"+host, l.cfg.Anonymous
		}
		ok, wait := l.Allow(key, rate)
		if !ok {
			l.refuse(w, wait, "too many requests")
			return
		}
		if !l.enter(key, rate) {
			l.refuse(w, time.Second, fmt.Sprintf("too many requests at once (at most %d in flight)", rate.InFlight))
			return
		}
		defer l.leave(key, rate)
		next.ServeHTTP(w, r)
	})
}

func (l *Limiter) refuse(w http.ResponseWriter, wait time.Duration, why string) {
	if l.cfg.OnReject != nil {
		l.cfg.OnReject()
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = fmt.Fprintf(w, `{"errors":[{"message":"%s: retry after %d seconds","extensions":{"code":"RATE_LIMITED"}}]}`, why, secs)
}
