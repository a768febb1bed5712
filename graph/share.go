package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Identical subscriptions run once. Subscriptions with the same query
// text, operation name and variables, sent by callers who see the same
// data (role and region), form a group: the first one's resolver and
// selection run, and every member is handed the same response. A thousand
// dashboards on one figure then cost one computation and one rendering per
// change, not a thousand. Each member is still counted against its caller:
// the number of subscriptions open and their cost together (what one
// change may send the caller) are capped.

// costStat is where limitExtension leaves an operation's cost.
const costStat = "HinGraphCost"

// latestOnly are the subscription fields whose every event is the whole
// state: a member that has not taken one event yet gets only the newest,
// and an event equal to the last it got is not sent again. Events of the
// other fields (a region's changes) are each news and are queued.
var latestOnly = map[string]bool{"figureUpdated": true, "trackerUpdated": true}

// maxQueued bounds the events queued for a member that does not read
// them; past it the member is ended (it may subscribe again).
const maxQueued = 1000

// group is the subscriptions that share one run.
type group struct {
	key    string
	ready  chan struct{} // closed once the run started, or failed to
	cancel context.CancelFunc

	// guarded by Live.groupMu
	ended   bool
	members map[*member]struct{}
}

// member is one client's subscription in a group.
type member struct {
	latest bool
	wake   chan struct{} // holds at most one signal

	mu     sync.Mutex
	queue  []*graphql.Response
	last   []byte // the data last handed over (latest-only groups)
	ended  bool   // the group's run ended: hand over the queue, then stop
	behind bool   // the queue overflowed
}

// shareSubscriptions is an operation interceptor: each subscription is
// admitted for its caller, then joins the group of identical ones, whose
// run starts with the first. Other operations pass through.
func (l *Live) shareSubscriptions(limits *Limits) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
			return next(ctx)
		}
		p := hin.PrincipalFrom(ctx)
		if p.ExpiredAt(time.Now()) {
			return graphql.OneShot(errorResponse(tokenExpired()))
		}
		cost, _ := oc.Stats.GetExtension(costStat).(int)
		leave, err := l.admit(ctx, cost, limits.maxCost(p.Role == hin.RoleAnonymous))
		if err != nil {
			return graphql.OneShot(errorResponse(err))
		}
		field := rootField(oc)
		m := &member{latest: latestOnly[field], wake: make(chan struct{}, 1)}
		key, shareable := shareKey(oc, p)
		if !shareable {
			h := l.runAlone(ctx, next)
			context.AfterFunc(ctx, l.opened(leave))
			return h
		}
		g, h := l.join(ctx, key, m, next)
		if g == nil { // the subscription did not start: h answers why
			context.AfterFunc(ctx, leave)
			return h
		}
		leave = l.opened(leave)
		context.AfterFunc(ctx, func() {
			l.quit(g, m)
			leave()
		})
		return l.deliver(ctx, m)
	}
}

// shareKey names a subscription's group: the query text, the operation
// and its variables, and what the caller may see. ok is false when the
// variables cannot be written down, and the subscription runs alone.
func shareKey(oc *graphql.OperationContext, p hin.Principal) (string, bool) {
	vars, err := json.Marshal(oc.Variables) // map keys sorted: one text per set of values
	if err != nil {
		return "", false
	}
	k, err := json.Marshal([]any{oc.RawQuery, oc.OperationName, json.RawMessage(vars), p.Role, p.RegionID})
	return string(k), err == nil
}

// rootField is the name of the subscription's one root field.
func rootField(oc *graphql.OperationContext) string {
	fields := graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Subscription"})
	if len(fields) != 1 {
		return ""
	}
	return fields[0].Name
}

type runStartKey struct{}

// runStart is set by Live.subscribe once a run's resolver has subscribed.
type runStart struct{ started bool }

// startRun runs next under a context of the run's own: it outlives the
// member that started it, and carries nothing of that member's request but
// the operation and what the caller may see (the members' transports and
// telemetry keep their own). started is false when the resolver refused
// the subscription; the handler then answers with the errors.
func (l *Live) startRun(ctx context.Context, next graphql.OperationHandler) (graphql.ResponseHandler, context.Context, context.CancelFunc, bool) {
	start := &runStart{}
	runCtx := graphql.WithOperationContext(context.Background(), graphql.GetOperationContext(ctx))
	p := hin.PrincipalFrom(ctx)
	p.Expires = time.Time{} // each member's stream ends with its own token
	runCtx = hin.WithPrincipal(runCtx, p)
	runCtx = WithLoaders(context.WithValue(runCtx, runStartKey{}, start), l.store)
	runCtx, cancel := context.WithCancel(runCtx)
	h := next(runCtx)
	return h, runCtx, cancel, start.started
}

// runAlone runs a subscription for one member only, ended with it.
func (l *Live) runAlone(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	h, runCtx, cancel, _ := l.startRun(ctx, next)
	context.AfterFunc(ctx, cancel)
	return func(context.Context) *graphql.Response { return h(runCtx) }
}

// join adds m to the group for key, starting its run when there is none.
// It returns a nil group, and a handler with the resolver's errors, when
// the run did not start.
func (l *Live) join(ctx context.Context, key string, m *member, next graphql.OperationHandler) (*group, graphql.ResponseHandler) {
	for {
		l.groupMu.Lock()
		g, ok := l.groups[key]
		if !ok {
			g = &group{key: key, ready: make(chan struct{}), members: map[*member]struct{}{}}
			l.groups[key] = g
			l.groupMu.Unlock()
			h, runCtx, cancel, started := l.startRun(ctx, next)
			l.groupMu.Lock()
			g.cancel = cancel
			if started {
				g.members[m] = struct{}{}
			} else {
				g.ended = true
				delete(l.groups, key)
			}
			l.groupMu.Unlock()
			close(g.ready)
			if !started {
				context.AfterFunc(ctx, cancel)
				return nil, func(context.Context) *graphql.Response { return h(runCtx) }
			}
			go l.pump(g, h, runCtx)
			return g, nil
		}
		l.groupMu.Unlock()
		select {
		case <-g.ready:
		case <-ctx.Done():
			return nil, func(context.Context) *graphql.Response { return nil }
		}
		l.groupMu.Lock()
		if !g.ended {
			g.members[m] = struct{}{}
			l.groupMu.Unlock()
			return g, nil
		}
		l.groupMu.Unlock() // it failed to start or has just ended: start one afresh
	}
}

// pump hands each response of the group's run to every member.
func (l *Live) pump(g *group, h graphql.ResponseHandler, runCtx context.Context) {
	for {
		resp := h(runCtx)
		if resp == nil {
			break
		}
		// gqlgen writes each event of a subscription into the same buffer;
		// members still hold the last one.
		resp.Data = bytes.Clone(resp.Data)
		l.groupMu.Lock()
		for m := range g.members {
			m.put(resp)
		}
		l.groupMu.Unlock()
	}
	l.groupMu.Lock()
	g.ended = true
	if l.groups[g.key] == g {
		delete(l.groups, g.key)
	}
	for m := range g.members {
		m.finish()
	}
	l.groupMu.Unlock()
	g.cancel()
}

// quit takes m out of its group; the last member out ends the run.
func (l *Live) quit(g *group, m *member) {
	l.groupMu.Lock()
	delete(g.members, m)
	last := len(g.members) == 0 && !g.ended
	if last {
		g.ended = true
		if l.groups[g.key] == g {
			delete(l.groups, g.key)
		}
	}
	l.groupMu.Unlock()
	if last {
		g.cancel()
	}
}

func (m *member) put(resp *graphql.Response) {
	m.mu.Lock()
	switch {
	case m.latest:
		m.queue = append(m.queue[:0], resp)
	case len(m.queue) >= maxQueued:
		m.behind = true
	default:
		m.queue = append(m.queue, resp)
	}
	m.mu.Unlock()
	m.signal()
}

func (m *member) finish() {
	m.mu.Lock()
	m.ended = true
	m.mu.Unlock()
	m.signal()
}

func (m *member) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// deliver is a member's response handler: the next response for it, or
// nil once its group's run or its own context (ctx) has ended. A member
// ended by its stream (its token expired) is told why first. The context
// the transport passes is not the member's: gqlgen hands back the one the
// innermost interceptor ran the operation under, which for the member that
// started a run is the run's.
func (l *Live) deliver(ctx context.Context, m *member) graphql.ResponseHandler {
	reported := false
	return func(context.Context) *graphql.Response {
		for {
			m.mu.Lock()
			if m.behind {
				m.behind, m.ended, m.queue = false, true, nil
				m.mu.Unlock()
				return errorResponse(hin.Errorf(hin.EUNAVAILABLE, "this subscription fell more than %d events behind and was ended; subscribe again", maxQueued))
			}
			if len(m.queue) > 0 {
				resp := m.queue[0]
				m.queue = m.queue[1:]
				if m.latest && len(resp.Errors) == 0 && bytes.Equal(resp.Data, m.last) {
					m.mu.Unlock()
					continue // the change did not move what this member sees
				}
				if m.latest {
					m.last = resp.Data
				}
				m.mu.Unlock()
				l.updates.Add(1)
				return resp
			}
			ended := m.ended
			m.mu.Unlock()
			if ended {
				return nil
			}
			select {
			case <-m.wake:
			case <-ctx.Done():
				var he *hin.Error
				if cause := context.Cause(ctx); !reported && errors.As(cause, &he) {
					reported = true
					return errorResponse(he)
				}
				return nil
			}
		}
	}
}

// errorResponse is a response of one error, with its code.
func errorResponse(err error) *graphql.Response {
	return &graphql.Response{Errors: gqlerror.List{{
		Message:    hin.ErrorMessage(err),
		Extensions: map[string]any{"code": hin.ErrorCode(err)},
	}}}
}
