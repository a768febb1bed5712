package graph

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Subscriptions. Outcome changes reach Live.Notify from the database (the
// trigger of migration 00008 NOTIFYs, store.ListenOutcomeChanges LISTENs on
// one connection per process), so a write through any process reaches the
// subscribers of every process. Live fans each change out to the
// subscriptions it may concern. A subscription waits a short while after
// the first change before it looks again, so a burst (a return, a publish
// of many rows, several writes in quick succession) gives it one update.

// DefaultMaxSubscriptionsPerCaller is the default of LiveConfig.MaxPerCaller
// (and of the server's --max-subscriptions).
const DefaultMaxSubscriptionsPerCaller = 20

// LiveConfig configures subscriptions; zero durations take the defaults,
// and a zero cap means no cap, as for every other limit.
type LiveConfig struct {
	// Coalesce is how long a subscription waits for the next change of a
	// burst before it recomputes (default 150 ms); a burst that never
	// pauses is cut after six times that. A figure answers the first
	// change after a quiet spell at once, and gathers the rest.
	Coalesce time.Duration
	// MaxPerCaller caps the subscriptions one caller (token subject, or
	// client address without a token) may hold open; 0 means no cap (their
	// cost together is still bounded by the caller's cost budget).
	MaxPerCaller int
	// Timeout bounds one recomputation of a figure, its SQL included
	// (default 15 s).
	Timeout time.Duration
	// MaxStreamsPerAddress and MaxStreamsPerSubject cap the streams
	// (WebSockets and SSE responses) open at once per client address
	// without a token and per token subject; 0 means no cap.
	MaxStreamsPerAddress, MaxStreamsPerSubject int
	// StreamIdle closes a WebSocket that has held no subscription for
	// this long; 0 means never.
	StreamIdle time.Duration
	Log        *slog.Logger
}

// maxCoalesce bounds how long a subscription keeps gathering a burst that
// never pauses, in multiples of Coalesce.
const maxCoalesce = 6

// Live fans outcome changes out to the open subscriptions of one process.
type Live struct {
	store *store.Store
	cfg   LiveConfig

	mu        sync.Mutex
	subs      map[*liveSub]struct{} // one per run (see share.go)
	members   int                   // subscriptions of clients, once running
	perCaller map[string]int
	costs     map[string]int // per caller: the cost of its open subscriptions together
	streams   map[string]int // per caller: open streams (stream.go)
	closed    bool
	done      chan struct{}
	running   sync.WaitGroup // one per subscription goroutine

	groupMu sync.Mutex
	groups  map[string]*group // runs shared by identical subscriptions

	flightMu sync.Mutex
	flights  map[string]*flight // the latest figure computation per subscription key

	updates atomic.Int64 // updates sent, for the bench tool
}

// NewLive makes the hub; feed it with Notify.
func NewLive(s *store.Store, cfg LiveConfig) *Live {
	if cfg.Coalesce <= 0 {
		cfg.Coalesce = 150 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Live{store: s, cfg: cfg, subs: map[*liveSub]struct{}{}, perCaller: map[string]int{}, costs: map[string]int{},
		streams: map[string]int{}, done: make(chan struct{}), groups: map[string]*group{}, flights: map[string]*flight{}}
}

// liveSub is one run of a subscription, shared by its group's members.
type liveSub struct {
	match func(hin.OutcomeChange) bool
	// matchSubmission, when set, takes submission changes too (NotifySubmission).
	matchSubmission func(hin.SubmissionChange) bool
	kick            chan struct{} // a change arrived; holds at most one signal

	mu      sync.Mutex
	pending []hin.OutcomeChange
}

// Notify hands a change to every subscription it may concern. It never
// blocks on a subscriber.
func (l *Live) Notify(c hin.OutcomeChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs {
		if !s.match(c) {
			continue
		}
		s.mu.Lock()
		if len(s.pending) < 1000 { // beyond that, the next recompute covers it anyway
			s.pending = append(s.pending, c)
		}
		s.mu.Unlock()
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// Open is the number of clients' subscriptions running: changes reach each from then on.
func (l *Live) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.members
}

// opened counts a client's subscription as open once its run is (it may
// be sent changes from then on); the function returned uncounts it.
func (l *Live) opened(leave func()) func() {
	l.mu.Lock()
	l.members++
	l.mu.Unlock()
	return func() {
		leave()
		l.mu.Lock()
		l.members--
		l.mu.Unlock()
	}
}

// Runs is the number of subscriptions running: identical ones run once.
func (l *Live) Runs() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subs)
}

// admit counts a client's subscription of the given cost against its
// caller: the number open, and their cost together, which bounds what one
// change may send the caller (budget, 0 for none). leave gives both back.
func (l *Live) admit(ctx context.Context, cost, budget int) (leave func(), _ error) {
	caller := callerKey(ctx)
	l.mu.Lock()
	switch {
	case l.closed:
		l.mu.Unlock()
		return nil, hin.Errorf(hin.EUNAVAILABLE, "the server is shutting down; reconnect")
	case l.cfg.MaxPerCaller > 0 && l.perCaller[caller] >= l.cfg.MaxPerCaller:
		l.mu.Unlock()
		return nil, hin.Errorf(hin.ESUBSCRIPTIONLIMIT, "at most %d subscriptions may be open at once per caller; close one first", l.cfg.MaxPerCaller)
	case budget > 0 && l.costs[caller]+cost > budget:
		l.mu.Unlock()
		return nil, hin.Errorf(hin.ESUBSCRIPTIONLIMIT, "the subscriptions open for this caller could send up to %d values for one change with this one; the limit is %d: close one, or select less", l.costs[caller]+cost, budget)
	}
	l.perCaller[caller]++
	l.costs[caller] += cost
	l.mu.Unlock()
	s := streamFrom(ctx) // outside l.mu: stream.signIn holds its lock while it takes l.mu
	if s != nil {
		s.hold()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if s != nil {
				s.drop()
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.perCaller[caller]--; l.perCaller[caller] <= 0 {
				delete(l.perCaller, caller)
			}
			if l.costs[caller] -= cost; l.costs[caller] <= 0 {
				delete(l.costs, caller)
			}
		})
	}, nil
}

// Updates is the number of updates sent since start.
func (l *Live) Updates() int64 { return l.updates.Load() }

// Close ends every subscription (each gets its "complete") and refuses new
// ones, and returns once every subscription has ended or ctx ends; the
// server calls it on shutdown.
func (l *Live) Close(ctx context.Context) {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
	l.mu.Unlock()
	ended := make(chan struct{})
	go func() { l.running.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-ctx.Done():
	}
}

// subscribe registers a run of a subscription (callers are counted by
// admit, per member) and runs it until ctx or the hub ends: after each
// change that matches, it waits Coalesce, then calls update with the
// changes gathered. With leading, the first change after a quiet spell of
// Coalesce is answered at once, and the changes that follow are gathered:
// for an update that is the whole state (a figure), an update computed
// after a transaction's NOTIFY already sees all of it, and one equal to the
// last sent is not sent again. finish runs last.
func (l *Live) subscribe(ctx context.Context, match func(hin.OutcomeChange) bool, leading bool,
	update func(ctx context.Context, changes []hin.OutcomeChange, since time.Time), finish func()) error {
	return l.subscribeWith(ctx, match, nil, leading, update, finish)
}

// subscribeWith is subscribe for a subscription that also hears of
// submission changes that matchSubmission accepts.
func (l *Live) subscribeWith(ctx context.Context, match func(hin.OutcomeChange) bool, matchSubmission func(hin.SubmissionChange) bool, leading bool,
	update func(ctx context.Context, changes []hin.OutcomeChange, since time.Time), finish func()) error {
	s := &liveSub{match: match, matchSubmission: matchSubmission, kick: make(chan struct{}, 1)}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return hin.Errorf(hin.EUNAVAILABLE, "the server is shutting down; reconnect")
	}
	l.subs[s] = struct{}{}
	l.running.Add(1)
	l.mu.Unlock()
	if start, ok := ctx.Value(runStartKey{}).(*runStart); ok {
		start.started = true
	}

	go func() {
		defer l.running.Done()
		defer func() {
			l.mu.Lock()
			delete(l.subs, s)
			l.mu.Unlock()
			finish()
		}()
		wait := time.NewTimer(0)
		<-wait.C
		var updated time.Time // when the last update ended
		for {
			select {
			case <-ctx.Done():
				return
			case <-l.done:
				return
			case <-s.kick:
			}
			since := time.Now() // every change so far was committed before this
			// Gather the rest of the burst: wait until no change has come for
			// Coalesce (a return written in several transactions keeps
			// coming), but never longer than maxCoalesce in all.
			first := time.Now()
			for quiet := leading && first.Sub(updated) >= l.cfg.Coalesce; !quiet; {
				wait.Reset(l.cfg.Coalesce)
				select {
				case <-ctx.Done():
					return
				case <-l.done:
					return
				case <-s.kick:
					wait.Stop() // since Go 1.23 nothing stale is left to drain
					since = time.Now()
					quiet = time.Since(first) >= maxCoalesce*l.cfg.Coalesce
				case <-wait.C:
					quiet = true
				}
			}
			s.mu.Lock()
			changes := s.pending
			s.pending = nil
			s.mu.Unlock()
			update(ctx, changes, since)
			updated = time.Now()
		}
	}()
	return nil
}

// send delivers one update unless the subscription ended meanwhile.
func send[T any](ctx context.Context, l *Live, out chan<- T, v T) {
	select {
	case out <- v:
	case <-ctx.Done():
	case <-l.done:
	}
}

// figureUpdated answers Subscription.figureUpdated: the request is checked
// at once, so bad arguments fail before anything is subscribed; afterwards
// the figure is recomputed after each burst of changes that may move it.
// Each member is sent it unless it equals the last one that member got
// (share.go); the first is always sent: the client may have read the
// figure before or after the change.
func (l *Live) figureUpdated(ctx context.Context, r hin.FigureRequest) (<-chan *hin.Figure, error) {
	spec, err := check(WithLoaders(ctx, l.store), r, hin.ShapeFigure)
	if err != nil {
		return nil, err
	}
	metrics := map[string]bool{}
	for _, m := range spec.Metrics {
		metrics[m.Code] = true
	}
	regions := spec.Filter.RegionCodes
	drafts := r.IncludeDrafts != nil && *r.IncludeDrafts
	match := func(c hin.OutcomeChange) bool {
		if c.Everything {
			return true
		}
		if !metrics[c.MetricCode] || !c.Overlaps(spec.Window.From, spec.Window.To) {
			return false
		}
		if len(regions) > 0 && !slices.Contains(regions, c.RegionCode) {
			return false
		}
		return !c.OnlyDrafts() || drafts && spec.Drafts.Sees(hin.OutcomeDraft, c.RegionID)
	}
	out := make(chan *hin.Figure, 1)
	// Runs with the same arguments and the same drafts in sight (identical
	// subscriptions already share a run; these differ in what they select)
	// share one computation per burst.
	keyJSON, _ := json.Marshal([]any{r, spec.Drafts})
	key := string(keyJSON)
	update := func(ctx context.Context, _ []hin.OutcomeChange, since time.Time) {
		f, err := l.shared(key, since, func() (*hin.Figure, error) {
			fctx, cancel := context.WithTimeout(WithLoaders(context.WithoutCancel(ctx), l.store), l.cfg.Timeout)
			defer cancel()
			return nationalFigure(fctx, r)
		})
		if err != nil {
			if ctx.Err() == nil {
				l.cfg.Log.Warn("figureUpdated: recomputing the figure failed", "err", err)
			}
			return
		}
		send(ctx, l, out, f)
	}
	if err := l.subscribe(ctx, match, true, update, func() { close(out) }); err != nil {
		return nil, err
	}
	return out, nil
}

// outcomeChanges answers Subscription.outcomeChanges: a region's changes,
// merged per metric over each burst. Changes among drafts only go to
// callers who may see the region's drafts.
func (l *Live) outcomeChanges(ctx context.Context, regionCode string) (<-chan *hin.OutcomeChange, error) {
	region, err := l.store.RegionByCode(ctx, regionCode)
	if err != nil {
		if hin.ErrorCode(err) == hin.ENOTFOUND {
			return nil, hin.Invalid("regionCode", "no region has the code %q", regionCode)
		}
		return nil, err
	}
	scope := hin.PrincipalFrom(ctx).DraftScope()
	match := func(c hin.OutcomeChange) bool {
		return !c.Everything && c.RegionID == region.ID && (!c.OnlyDrafts() || scope.Sees(hin.OutcomeDraft, c.RegionID))
	}
	out := make(chan *hin.OutcomeChange, 1)
	update := func(ctx context.Context, changes []hin.OutcomeChange, _ time.Time) {
		for _, c := range mergeChanges(changes) {
			send(ctx, l, out, c)
		}
	}
	if err := l.subscribe(ctx, match, false, update, func() { close(out) }); err != nil {
		return nil, err
	}
	return out, nil
}

// flight is one computation of a figure, shared by the subscriptions that
// ask for the same figure.
type flight struct {
	started time.Time
	done    chan struct{}
	figure  *hin.Figure
	err     error
}

// shared runs compute for key, or joins a run of it that started at or
// after since (and so saw every change committed before since).
func (l *Live) shared(key string, since time.Time, compute func() (*hin.Figure, error)) (*hin.Figure, error) {
	l.flightMu.Lock()
	if f, ok := l.flights[key]; ok && !f.started.Before(since) {
		l.flightMu.Unlock()
		<-f.done
		return f.figure, f.err
	}
	now := time.Now()
	for k, f := range l.flights { // forget old runs; keys are few
		if now.Sub(f.started) > time.Minute {
			delete(l.flights, k)
		}
	}
	f := &flight{started: now, done: make(chan struct{})}
	l.flights[key] = f
	l.flightMu.Unlock()
	f.figure, f.err = compute()
	close(f.done)
	return f.figure, f.err
}

// mergeChanges folds a burst into one change per metric, in the order each
// metric first changed.
func mergeChanges(changes []hin.OutcomeChange) []*hin.OutcomeChange {
	var out []*hin.OutcomeChange
	byMetric := map[string]*hin.OutcomeChange{}
	for _, c := range changes {
		m, ok := byMetric[c.MetricID]
		if !ok {
			c := c
			c.Statuses = slices.Clone(c.Statuses)
			byMetric[c.MetricID] = &c
			out = append(out, &c)
			continue
		}
		if c.PeriodStart.Before(m.PeriodStart) {
			m.PeriodStart = c.PeriodStart
		}
		if c.PeriodEnd.After(m.PeriodEnd) {
			m.PeriodEnd = c.PeriodEnd
		}
		if c.ChangedAt.After(m.ChangedAt) {
			m.ChangedAt = c.ChangedAt
		}
		m.Outcomes += c.Outcomes
		for _, s := range c.Statuses {
			if !slices.Contains(m.Statuses, s) {
				m.Statuses = append(m.Statuses, s)
			}
		}
	}
	for _, m := range out {
		slices.Sort(m.Statuses)
	}
	return out
}

type callerKeyCtx struct{}

// WithCaller names the caller whose subscriptions are counted together
// (the HTTP edge sets the token subject or the client address).
func WithCaller(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, callerKeyCtx{}, key)
}

func callerKey(ctx context.Context) string {
	if p := hin.PrincipalFrom(ctx); p.Subject != "" {
		return "sub:" + p.Subject
	}
	if k, ok := ctx.Value(callerKeyCtx{}).(string); ok {
		return k
	}
	return "anonymous"
}
