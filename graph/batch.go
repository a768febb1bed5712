package graph

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Batching works per field path. gqlgen resolves every sibling of a field
// (each region's innovations, each pilot's site) concurrently; a batcher
// collects those calls and runs one statement when the last one arrives.
// It knows how many to expect because whatever produced the parent objects
// registered their number first (see produced). Waiting for a count rather
// than for a time window makes the number of statements depend only on the
// query's shape, however slowly the siblings are scheduled, and costs no
// fixed delay.

const (
	// idleWait: when the number of siblings is unknown (below node and
	// nodes, whose fragments may apply to some objects only), a batch runs
	// once no new call has come for this long.
	idleWait = 3 * time.Millisecond
	// stragglerWait: when the number is known, a batch waits for all of
	// them; this only bounds the wait, after the latest sibling, if one
	// never comes (its resolver failed before asking).
	stragglerWait = 2 * time.Second
)

// fieldPattern is the response path of the field being resolved, without
// list indexes: "regions.innovations.nodes.pilots".
func fieldPattern(ctx context.Context) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return ""
	}
	var b strings.Builder
	for _, el := range fc.Path() {
		if name, ok := el.(ast.PathName); ok {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(name))
		}
	}
	return b.String()
}

func parentPattern(p string) string {
	i := strings.LastIndexByte(p, '.')
	if i < 0 {
		return ""
	}
	return p[:i]
}

// objects counts, per path pattern, the objects a response holds there.
type objects struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *objects) add(pattern string, n int) {
	o.mu.Lock()
	o.n[pattern] += n
	o.mu.Unlock()
}

// expected is how many calls a field at pattern will get: one per object
// of its parent. The query root is a single object.
func (o *objects) expected(pattern string) int {
	parent := parentPattern(pattern)
	if parent == "" {
		return 1
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[parent]
}

// batcher runs fetch once for all sibling calls of one field.
type batcher[K comparable, V any] struct {
	objs    *objects
	pattern string
	fetch   func(ctx context.Context, keys []K) (map[K]V, error)
	// register, when set, records the objects a batch puts in the response,
	// before any caller gets its result, so their own fields can batch.
	register func(objs *objects, pattern string, calls []K, res map[K]V)

	mu    sync.Mutex
	cur   *batch[K, V]
	total int // calls so far, over every batch
}

type batch[K comparable, V any] struct {
	ctx   context.Context
	keys  []K
	seen  map[K]bool
	calls []K // every key asked for, once per call, for register
	fired bool
	timer *time.Timer
	done  chan struct{}
	res   map[K]V
	err   error
}

func newBatcher[K comparable, V any](objs *objects, pattern string, fetch func(context.Context, []K) (map[K]V, error),
	register func(*objects, string, []K, map[K]V)) *batcher[K, V] {
	return &batcher[K, V]{objs: objs, pattern: pattern, fetch: fetch, register: register}
}

// join adds one call with its keys to the open batch and fires it when every
// expected sibling has called.
func (b *batcher[K, V]) join(ctx context.Context, keys []K, skip bool) *batch[K, V] {
	b.mu.Lock()
	bt := b.cur
	if bt == nil {
		bt = &batch[K, V]{ctx: ctx, seen: map[K]bool{}, done: make(chan struct{})}
		b.cur = bt
	}
	for _, k := range keys {
		if !bt.seen[k] {
			bt.seen[k] = true
			bt.keys = append(bt.keys, k)
		}
	}
	b.total++
	if !skip {
		bt.calls = append(bt.calls, keys...)
	}
	expected := b.objs.expected(b.pattern)
	full := expected > 0 && b.total >= expected
	if !full {
		wait := stragglerWait
		if expected == 0 {
			wait = idleWait
		}
		// measured from the latest call, so siblings that keep arriving,
		// however slowly a starved CPU schedules them, stay in one batch
		if bt.timer == nil {
			bt.timer = time.AfterFunc(wait, func() { b.fire(bt) })
		} else {
			bt.timer.Reset(wait)
		}
	}
	b.mu.Unlock()
	if full {
		b.fire(bt)
	}
	return bt
}

func (b *batcher[K, V]) fire(bt *batch[K, V]) {
	b.mu.Lock()
	if bt.fired {
		b.mu.Unlock()
		return
	}
	bt.fired = true
	if bt.timer != nil {
		bt.timer.Stop()
	}
	if b.cur == bt {
		b.cur = nil
	}
	b.mu.Unlock()
	if len(bt.keys) > 0 {
		bt.res, bt.err = b.fetch(bt.ctx, bt.keys)
	}
	if b.register != nil && bt.err == nil {
		b.register(b.objs, b.pattern, bt.calls, bt.res)
	}
	close(bt.done)
}

// Load returns the value for key; found is false when fetch had none.
func (b *batcher[K, V]) Load(ctx context.Context, key K) (v V, found bool, err error) {
	bt := b.join(ctx, []K{key}, false)
	select {
	case <-bt.done:
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
	if bt.err != nil {
		return v, false, bt.err
	}
	v, found = bt.res[key]
	return v, found, nil
}

// LoadMany counts as one call and returns the values found, in key order.
func (b *batcher[K, V]) LoadMany(ctx context.Context, keys []K) ([]V, error) {
	bt := b.join(ctx, keys, len(keys) == 0)
	select {
	case <-bt.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if bt.err != nil {
		return nil, bt.err
	}
	out := make([]V, 0, len(keys))
	for _, k := range keys {
		if v, ok := bt.res[k]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// Skip counts a sibling that needs nothing (a null foreign key), so the
// batch does not wait for it.
func (b *batcher[K, V]) Skip(ctx context.Context) {
	b.join(ctx, nil, true)
}
