package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// changesChannel is where the trigger of migration 00008 announces outcome
// changes.
const changesChannel = "hin_outcome_changes"

// changeMessage is the trigger's JSON payload.
type changeMessage struct {
	MetricID   string              `json:"metric_id"`
	MetricCode string              `json:"metric"`
	RegionID   string              `json:"region_id"`
	RegionCode string              `json:"region"`
	From       string              `json:"from"`
	To         string              `json:"to"`
	Outcomes   int                 `json:"outcomes"`
	Statuses   []hin.OutcomeStatus `json:"statuses"`
	Everything bool                `json:"everything"`
}

// ParseOutcomeChange reads one payload of the hin_outcome_changes channel.
func ParseOutcomeChange(payload string, at time.Time) (hin.OutcomeChange, error) {
	var m changeMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		return hin.OutcomeChange{}, fmt.Errorf("outcome change payload: %w", err)
	}
	c := hin.OutcomeChange{
		MetricID: m.MetricID, MetricCode: m.MetricCode, RegionID: m.RegionID, RegionCode: m.RegionCode,
		Outcomes: m.Outcomes, Statuses: m.Statuses, ChangedAt: at, Everything: m.Everything,
	}
	if m.Everything {
		return c, nil
	}
	var err1, err2 error
	c.PeriodStart, err1 = time.Parse(time.DateOnly, m.From)
	c.PeriodEnd, err2 = time.Parse(time.DateOnly, m.To)
	if err := errors.Join(err1, err2); err != nil {
		return hin.OutcomeChange{}, fmt.Errorf("outcome change periods: %w", err)
	}
	return c, nil
}

// ListenOutcomeChanges holds one connection of its own LISTENing for
// outcome changes made through any process on this database, and hands each
// to deliver until ctx ends. When the connection drops and comes back,
// changes may have been missed, so deliver gets one change with Everything
// set. It returns once listening has started (or failed to).
func (s *Store) ListenOutcomeChanges(ctx context.Context, log *slog.Logger, deliver func(hin.OutcomeChange)) error {
	if s.url == "" {
		return errors.New("listen for outcome changes: the store has no connection URL of its own")
	}
	if log == nil {
		log = slog.Default()
	}
	l := pq.NewListener(s.url, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn("outcome change listener disconnected", "err", err)
		case pq.ListenerEventReconnected:
			log.Info("outcome change listener reconnected")
		case pq.ListenerEventConnectionAttemptFailed:
			log.Warn("outcome change listener cannot connect", "err", err)
		}
	})
	if err := l.Listen(changesChannel); err != nil {
		_ = l.Close()
		return fmt.Errorf("listen %s: %w", changesChannel, err)
	}
	go func() {
		defer l.Close()
		// A ping now and then finds a dead connection that sends nothing.
		ping := time.NewTicker(30 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ping.C:
				_ = l.Ping()
			case n := <-l.Notify:
				if n == nil { // reconnected: what happened meanwhile is unknown
					deliver(hin.OutcomeChange{Everything: true, ChangedAt: time.Now()})
					continue
				}
				c, err := ParseOutcomeChange(n.Extra, time.Now())
				if err != nil {
					log.Error("outcome change", "err", err)
					continue
				}
				deliver(c)
			}
		}
	}()
	return nil
}
