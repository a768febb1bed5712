package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// NotifySubmission hands a submission's change of state to the tracker
// subscriptions it may concern. It never blocks on a subscriber.
func (l *Live) NotifySubmission(c hin.SubmissionChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs {
		if s.matchSubmission == nil || !s.matchSubmission(c) {
			continue
		}
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// trackerUpdated answers Subscription.trackerUpdated: the period is checked
// at once; afterwards the tracker is read again after each burst of changes
// that may move it (a submission of the period changing state, a draft of a
// collected metric overlapping the period, which may start a submission),
// and sent unless it equals the last one sent.
func (l *Live) trackerUpdated(ctx context.Context, periodID string) (<-chan *hin.CollectionTracker, error) {
	uuid, err := hin.ParseIDOf(hin.KindCollectionPeriod, "periodId", periodID)
	if err != nil {
		return nil, err
	}
	periods, err := l.store.CollectionPeriodsByID(ctx, []string{uuid})
	if err != nil {
		return nil, err
	}
	p, ok := periods[uuid]
	if !ok {
		return nil, hin.Invalid("periodId", "no collection period has the ID %s", hin.Quote(periodID))
	}
	ms, err := l.store.CollectionMetrics(ctx, []string{p.CollectionID})
	if err != nil {
		return nil, err
	}
	metrics := map[string]bool{}
	for _, m := range ms[p.CollectionID] {
		metrics[m.MetricID] = true
	}
	matchOutcome := func(c hin.OutcomeChange) bool {
		return c.Everything || metrics[c.MetricID] && c.Overlaps(p.PeriodStart, p.PeriodEnd)
	}
	matchSubmission := func(c hin.SubmissionChange) bool { return c.Everything || c.PeriodID == uuid }
	out := make(chan *hin.CollectionTracker, 1)
	var last []byte
	update := func(ctx context.Context, _ []hin.OutcomeChange, _ time.Time) {
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.Timeout)
		defer cancel()
		trs, err := l.store.Trackers(tctx, []string{uuid})
		if err != nil {
			if ctx.Err() == nil {
				l.cfg.Log.Warn("trackerUpdated: reading the tracker failed", "err", err)
			}
			return
		}
		t := trs[uuid]
		t.Period.Today = time.Time{} // the day alone is no change
		b, _ := json.Marshal(t)
		if bytes.Equal(b, last) {
			return
		}
		last = b
		t = trs[uuid]
		send(ctx, l, out, &t)
	}
	if err := l.subscribeWith(ctx, matchOutcome, matchSubmission, false, update, func() { close(out) }); err != nil {
		return nil, err
	}
	return out, nil
}
