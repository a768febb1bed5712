// Package ratelimit keeps one caller from using the service for everyone:
// a token bucket and an in-flight count per key (a token subject, a client
// address). Which key a request has, and how a refusal is answered, is the
// HTTP edge's business (internal/httpapi).
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Rate is a sustained rate with a burst on top, and how many requests may
// be in flight at once: a few heavy requests that each pass every query
// limit hurt everyone by running together, not by arriving fast.
type Rate struct {
	PerSecond float64
	Burst     int
	InFlight  int // 0: no cap
}

// Config bounds the limiter; the rates come with each call, and a zero
// PerSecond turns that limit off.
type Config struct {
	// MaxKeys bounds memory: past it, the least recently seen buckets go.
	MaxKeys int
	now     func() time.Time
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
	return l.take(key, r, true)
}

// Ready says whether key has a token at rate r without taking it: a
// request whose cost is known only later (a token not yet verified) is
// stopped at an empty bucket, and charged with Allow once it turns out
// to count.
func (l *Limiter) Ready(key string, r Rate) (ok bool, retryAfter time.Duration) {
	return l.take(key, r, false)
}

func (l *Limiter) take(key string, r Rate, spend bool) (ok bool, retryAfter time.Duration) {
	if r.PerSecond <= 0 {
		return true, 0
	}
	now := l.cfg.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if !spend {
			return true, 0 // an unseen key has a full bucket
		}
		if len(l.buckets) >= l.cfg.MaxKeys {
			l.evict(now, r)
		}
		b = &bucket{tokens: float64(r.Burst), last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(float64(r.Burst), b.tokens+now.Sub(b.last).Seconds()*r.PerSecond)
	b.last = now
	if b.tokens >= 1 {
		if spend {
			b.tokens--
		}
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / r.PerSecond * float64(time.Second))
	return false, wait
}

// Reset forgets every bucket, so each caller starts with a full burst.
func (l *Limiter) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets = map[string]*bucket{}
}

// Enter takes one of key's in-flight places at rate r, or says there is
// none; each successful Enter must be followed by Leave.
func (l *Limiter) Enter(key string, r Rate) bool {
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

// Leave gives back the place Enter took.
func (l *Limiter) Leave(key string, r Rate) {
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
