package ratelimit

import (
	"fmt"
	"testing"
	"time"
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

func TestReadyDoesNotSpend(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(0, 0)}
	l := New(Config{now: c.now})
	r := Rate{PerSecond: 1, Burst: 2}
	for i := 0; i < 5; i++ {
		if ok, _ := l.Ready("k", r); !ok {
			t.Fatalf("Ready %d on a full bucket said no", i)
		}
	}
	l.Allow("k", r)
	l.Allow("k", r)
	ok, wait := l.Ready("k", r)
	if ok || wait != time.Second {
		t.Fatalf("Ready on an empty bucket: ok=%v wait=%v, want refused with 1s", ok, wait)
	}
	l.Reset()
	if ok, _ := l.Allow("k", r); !ok {
		t.Fatal("after Reset the bucket should be full again")
	}
}

func TestInFlightCap(t *testing.T) {
	t.Parallel()
	l := New(Config{})
	r := Rate{PerSecond: 1000, Burst: 1000, InFlight: 2}
	for i := 0; i < 2; i++ {
		if !l.Enter("k", r) {
			t.Fatalf("place %d was refused", i+1)
		}
	}
	if l.Enter("k", r) {
		t.Fatal("a third request in flight was let in")
	}
	if !l.Enter("other", r) {
		t.Fatal("another key has its own places")
	}
	l.Leave("k", r)
	if !l.Enter("k", r) {
		t.Fatal("a place given back was not reusable")
	}
	if !l.Enter("k", Rate{}) {
		t.Fatal("no cap (InFlight 0) refused a request")
	}
}
